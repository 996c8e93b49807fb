// The discovery-time modules with LibreNMS's tables (entity-physical, ipv4-addresses,
// discovery-protocols, ucd-diskio): what each writes after discovery, and the ucd-diskio RRD
// points a poll makes (LibreNMS's ucd_diskio-<descr>.rrd: read, written, reads, writes).
import type { Collector, DiskIoRecord } from '../collectors/types.js';
import { discoveryProtocolsCollector, entityPhysicalCollector, ipv4AddressesCollector, ucdDiskioCollector } from '../collectors/index.js';
import { activeDisks } from '../collectors/ucd-diskio.js';
import { syncDiskio, syncEntPhysical, syncIpv4Addresses, syncLinks, type Db } from '../db/index.js';
import { safeName, type RrdDs, type RrdFileDef } from '../rrd/layout.js';
import type { RrdPoint } from '../rrd/writer.js';

export interface DiscoveryModule<R> {
  collector: Collector<R>;
  /** Writes what discovery found; `portIds` is port_id by ifIndex of the ports just discovered. Returns the rows written. */
  save(db: Db, deviceId: number, record: R, portIds: Map<number, number>): Promise<number>;
}

const mod = <R>(m: DiscoveryModule<R>) => m as DiscoveryModule<unknown>;

/** In the order discovery runs them, after ports. */
export const DISCOVERY_MODULES: DiscoveryModule<unknown>[] = [
  mod({ collector: entityPhysicalCollector, save: (db, id, r) => syncEntPhysical(db, id, r) }),
  mod({ collector: ipv4AddressesCollector, save: (db, id, r, ports) => syncIpv4Addresses(db, id, r, ports) }),
  mod({ collector: discoveryProtocolsCollector, save: (db, id, r, ports) => syncLinks(db, id, r, ports) }),
  mod({ collector: ucdDiskioCollector, save: (db, id, r) => syncDiskio(db, id, activeDisks(r)) }),
];

const DISKIO_DS: readonly RrdDs[] = Object.freeze(['read', 'written', 'reads', 'writes'].map((name) => Object.freeze({ name, type: 'DERIVE' as const, min: 0, max: 125000000000 })));

export const diskioFile = (host: string, descr: string): RrdFileDef => ({ path: `${safeName(host)}/ucd_diskio-${safeName(descr)}.rrd`, ds: DISKIO_DS });

/** Points for the disks discovery kept (`kept`: diskio_descr by diskio_index). */
export function diskioPoints(host: string, disks: DiskIoRecord[], kept: Map<number, string>, time: number): RrdPoint[] {
  return disks.filter((d) => kept.has(d.diskio_index)).map((d) => ({ def: diskioFile(host, kept.get(d.diskio_index)!), time, values: [d.read, d.written, d.reads, d.writes] }));
}
