// What the definition modules (os, processors, mempools, storage, sensors) would store for a
// device, without a database: the OS detected from the definitions, then each module's
// discovery rows in LibreNMS's table and column names. For `nms-agent probe`; the context's
// database refuses every use, so nothing here can write.
import { NmsError } from '../../lib/errors.js';
import { createLogger } from '../../lib/log.js';
import type { Db } from '../db/index.js';
import type { DeviceRow } from '../db/devices.js';
import type { SystemIdentity } from '../definitions/detect.js';
import { definitions } from '../definitions/loader.js';
import type { SnmpReader } from '../definitions/reader.js';
import type { OsDefinition } from '../definitions/types.js';
import { moduleEnabled } from './index.js';
import { discoverMempools } from './mempools.js';
import { discoverOs } from './os.js';
import type { PoolRow } from './pools.js';
import { discoverProcessors } from './processors.js';
import { discoverSensors } from './sensor-defs.js';
import { discoverStorage } from './storage.js';
import type { ModuleContext } from './types.js';

/** One module's outcome: its rows by LibreNMS table name, or its error. */
export interface ModuleRows {
  module: string;
  status: 'ok' | 'error';
  /** SNMP time plus processing, ms. */
  ms: number;
  /** Varbinds the module read. */
  varbinds: number;
  tables?: Record<string, unknown[]>;
  error?: string;
}

const noDb = new Proxy({} as Db, {
  get() {
    throw new NmsError('probe: the definition modules write nowhere (no database)');
  },
});

const mempoolRow = (r: PoolRow) => ({
  mempool_index: r.index,
  mempool_type: r.type,
  mempool_class: r.cls,
  mempool_descr: r.descr,
  mempool_precision: r.precision,
  mempool_perc_oid: r.percOid,
  mempool_used_oid: r.usedOid,
  mempool_free_oid: r.freeOid,
  mempool_total_oid: r.totalOid,
  mempool_total: r.total,
  mempool_used: r.used,
  mempool_free: r.free,
  mempool_perc: Math.round(r.perc),
});

const storageRow = (r: PoolRow) => ({
  storage_mib: r.type,
  storage_index: r.index,
  storage_type: r.cls,
  storage_descr: r.descr,
  storage_units: r.precision,
  storage_size: r.total,
  storage_used: r.used,
  storage_free: r.free,
  storage_perc: Math.round(r.perc),
});

/** The modules after `os`, each with the table it fills. */
const MODULES: [string, (ctx: ModuleContext) => Promise<Record<string, unknown[]>>][] = [
  ['processors', async (ctx) => ({ processors: await discoverProcessors(ctx) })],
  ['mempools', async (ctx) => ({ mempools: (await discoverMempools(ctx)).map(mempoolRow) })],
  ['storage', async (ctx) => ({ storage: (await discoverStorage(ctx)).map(storageRow) })],
  ['sensors', async (ctx) => ({ sensors: await discoverSensors(ctx) })],
];

/**
 * Detects the OS and runs the definition modules it leaves on. `fatal` says which errors end the
 * probe (the device stopped answering); any other error is that module's, and the next one runs.
 */
export async function definitionRows(
  device: SnmpReader,
  sys: SystemIdentity,
  fatal: (err: unknown) => boolean,
): Promise<{ def: OsDefinition; rows: ModuleRows[] }> {
  const set = definitions();
  const { reader, taken } = counting(device);
  let t = performance.now();
  const { def, record } = await discoverOs(set, sys, reader);
  const out: ModuleRows[] = [
    { module: 'os', status: 'ok', ms: since(t), varbinds: taken(), tables: { devices: [record] } },
  ];
  const ctx: ModuleContext = {
    db: noDb,
    reader,
    device: { device_id: 0, hostname: 'probe' } as DeviceRow,
    set,
    def,
    host: '',
    points: [],
    log: createLogger('probe'),
    invalid: new Set(),
  };
  for (const [name, run] of MODULES) {
    if (!moduleEnabled(name, 'discovery', def)) continue;
    t = performance.now();
    try {
      out.push({ module: name, status: 'ok', ms: 0, varbinds: 0, tables: await run(ctx) });
    } catch (err) {
      if (fatal(err)) throw err;
      out.push({ module: name, status: 'error', ms: 0, varbinds: 0, error: (err as Error).message });
    }
    Object.assign(out[out.length - 1], { ms: since(t), varbinds: taken() });
  }
  return { def, rows: out };
}

/** A reader that counts the varbinds it returns; `taken()` gives the count since its last call. */
function counting(r: SnmpReader): { reader: SnmpReader; taken: () => number } {
  let n = 0;
  const reader: SnmpReader = {
    async get(oids) {
      const got = await r.get(oids);
      n += got.size;
      return got;
    },
    async next(oid) {
      const vb = await r.next(oid);
      if (vb) n++;
      return vb;
    },
    async walk(columns) {
      const got = await r.walk(columns);
      for (const rows of got.values()) n += rows.size;
      return got;
    },
  };
  const taken = () => {
    const v = n;
    n = 0;
    return v;
  };
  return { reader, taken };
}

const since = (t: number) => Math.round((performance.now() - t) * 10) / 10;
