// The modules with LibreNMS's tables that this set adds (entity-physical, ipv4-addresses,
// discovery-protocols, ucd-diskio) as device modules: `discover` walks the collector's columns
// and replaces the device's rows; `poll` (ucd-diskio only) makes RRD points for the disks
// discovery kept (LibreNMS's ucd_diskio-<descr>.rrd: read, written, reads, writes). The context
// they need is a small one, so that the same objects serve any runner that offers it.
import type { Collector, DiskIoRecord } from '../collectors/types.js';
import {
  discoveryProtocolsCollector,
  entityPhysicalCollector,
  ipv4AddressesCollector,
  ucdDiskioCollector,
} from '../collectors/index.js';
import { activeDisks } from '../collectors/ucd-diskio.js';
import {
  diskioOf,
  portIdsOf,
  syncDiskio,
  syncEntPhysical,
  syncIpv4Addresses,
  syncLinks,
  type Db,
} from '../db/index.js';
import { safeName, type RrdDs, type RrdFileDef } from '../rrd/layout.js';
import type { RrdPoint } from '../rrd/writer.js';
import type { Cell, Varbind } from '../snmp/types.js';
import { SnmpError } from '../snmp/errors.js';
import { isUnder } from '../snmp/values.js';

/** What these modules use of a run. */
export interface TableModuleContext {
  db: Db;
  device: { device_id: number };
  /** Column walks (column OID → row index → cell) and GETNEXT (null at the end of the MIB). */
  reader: {
    walk(columns: string[]): Promise<Map<string, Map<string, Cell>>>;
    next?(oid: string): Promise<Varbind | null>;
  };
  /** RRD host directory. */
  host: string;
  /** Points the module adds; written once with the rest of the poll. */
  points: RrdPoint[];
}

export interface TableModule {
  /** LibreNMS's module name. */
  name: string;
  /** Stores what the device has now; returns how many rows. */
  discover(ctx: TableModuleContext): Promise<number>;
  /** Makes the poll's RRD points; returns how many. */
  poll?(ctx: TableModuleContext): Promise<number>;
}

async function collect<R>(ctx: TableModuleContext, c: Collector<R>): Promise<R> {
  const cols = c.columns ?? [];
  let columns: Map<string, Map<string, Cell>>;
  try {
    columns = await ctx.reader.walk(cols);
  } catch (err) {
    // an agent that serves a table out of order (seen in recordings) fails the fast walk
    if (!(err instanceof SnmpError) || err.failure !== 'walk' || !ctx.reader.next) throw err;
    columns = await unorderedWalk(ctx.reader.next.bind(ctx.reader), cols);
  }
  return c.process({ scalars: new Map(), columns });
}

/**
 * Walks each column with GETNEXT, taking rows in whatever order the agent gives them; stops at
 * the end of the column, at an OID already seen (a real loop) or after MAX_UNORDERED rows.
 */
export async function unorderedWalk(
  next: (oid: string) => Promise<Varbind | null>,
  cols: string[],
): Promise<Map<string, Map<string, Cell>>> {
  const out = new Map<string, Map<string, Cell>>();
  for (const col of cols) {
    const rows = new Map<string, Cell>();
    out.set(col, rows);
    for (let oid = col; rows.size < MAX_UNORDERED;) {
      const vb = await next(oid);
      if (!vb || !isUnder(vb.oid, col)) break;
      const index = vb.oid.slice(col.length + 1);
      if (rows.has(index)) break;
      rows.set(index, { type: vb.type, value: vb.value });
      oid = vb.oid;
    }
  }
  return out;
}
const MAX_UNORDERED = 10_000;

export const entityPhysicalModule: TableModule = {
  name: 'entity-physical',
  discover: async (ctx) => syncEntPhysical(ctx.db, ctx.device.device_id, await collect(ctx, entityPhysicalCollector)),
};

export const ipv4AddressesModule: TableModule = {
  name: 'ipv4-addresses',
  discover: async (ctx) =>
    syncIpv4Addresses(
      ctx.db,
      ctx.device.device_id,
      await collect(ctx, ipv4AddressesCollector),
      await portIdsOf(ctx.db, ctx.device.device_id),
    ),
};

export const discoveryProtocolsModule: TableModule = {
  name: 'discovery-protocols',
  discover: async (ctx) =>
    syncLinks(
      ctx.db,
      ctx.device.device_id,
      await collect(ctx, discoveryProtocolsCollector),
      await portIdsOf(ctx.db, ctx.device.device_id),
    ),
};

export const ucdDiskioModule: TableModule = {
  name: 'ucd-diskio',
  discover: async (ctx) =>
    syncDiskio(ctx.db, ctx.device.device_id, activeDisks(await collect(ctx, ucdDiskioCollector))),
  async poll(ctx) {
    const kept = await diskioOf(ctx.db, ctx.device.device_id);
    if (kept.size === 0) return 0; // nothing discovered: no walk
    const points = diskioPoints(ctx.host, await collect(ctx, ucdDiskioCollector), kept, Date.now() / 1000);
    ctx.points.push(...points);
    return points.length;
  },
};

/** In the order a discovery runs them, after ports. */
export const TABLE_MODULES: TableModule[] = [
  entityPhysicalModule,
  ipv4AddressesModule,
  discoveryProtocolsModule,
  ucdDiskioModule,
];

const DISKIO_DS: readonly RrdDs[] = Object.freeze(
  ['read', 'written', 'reads', 'writes'].map((name) =>
    Object.freeze({ name, type: 'DERIVE' as const, min: 0, max: 125000000000 }),
  ),
);

export const diskioFile = (host: string, descr: string): RrdFileDef => ({
  path: `${safeName(host)}/ucd_diskio-${safeName(descr)}.rrd`,
  ds: DISKIO_DS,
});

/** Points for the disks discovery kept (`kept`: diskio_descr by diskio_index). */
export function diskioPoints(host: string, disks: DiskIoRecord[], kept: Map<number, string>, time: number): RrdPoint[] {
  return disks
    .filter((d) => kept.has(d.diskio_index))
    .map((d) => ({
      def: diskioFile(host, kept.get(d.diskio_index)!),
      time,
      values: [d.read, d.written, d.reads, d.writes],
    }));
}
