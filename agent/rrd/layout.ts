// LibreNMS's RRD file layout: `<host>/<name>.rrd` relative to rrdcached's base directory, the
// data sources of each kind of file, and the RRAs. The step is configurable (LibreNMS: 300 s)
// so tests can use a short one; the heartbeat is twice the step.
import type { RrdCreateSpec } from '../../lib/rrdcached.js';

export type DsType = 'GAUGE' | 'DERIVE' | 'COUNTER' | 'ABSOLUTE';

export interface RrdDs {
  name: string;
  type: DsType;
  min: number | 'U';
  max: number | 'U';
}

/** One RRD file: where it lives (relative path) and what it holds. */
export interface RrdFileDef {
  path: string;
  /** Shared between files of a kind: never modified. */
  ds: readonly RrdDs[];
}

/** Port data sources, in LibreNMS's order; each fed by the PortRecord counter beside it. */
export const PORT_DS = [
  ['INOCTETS', 'ifInOctets'],
  ['OUTOCTETS', 'ifOutOctets'],
  ['INERRORS', 'ifInErrors'],
  ['OUTERRORS', 'ifOutErrors'],
  ['INUCASTPKTS', 'ifInUcastPkts'],
  ['OUTUCASTPKTS', 'ifOutUcastPkts'],
  ['INNUCASTPKTS', 'ifInNUcastPkts'],
  ['OUTNUCASTPKTS', 'ifOutNUcastPkts'],
  ['INDISCARDS', 'ifInDiscards'],
  ['OUTDISCARDS', 'ifOutDiscards'],
  ['INUNKNOWNPROTOS', 'ifInUnknownProtos'],
  ['INBROADCASTPKTS', 'ifInBroadcastPkts'],
  ['OUTBROADCASTPKTS', 'ifOutBroadcastPkts'],
  ['INMULTICASTPKTS', 'ifInMulticastPkts'],
  ['OUTMULTICASTPKTS', 'ifOutMulticastPkts'],
] as const;

/** LibreNMS's host directory name: anything outside [A-Za-z0-9,._-] becomes `_`. */
export function safeName(name: string): string {
  // most names are safe already: a test allocates nothing, a replace a new string every point
  return UNSAFE.test(name) ? name.replace(UNSAFE_ALL, '_') : name;
}
const UNSAFE = /[^A-Za-z0-9,._-]/;
const UNSAFE_ALL = /[^A-Za-z0-9,._-]/g;

const gauge = (name: string, min: number | 'U' = 0, max: number | 'U' = 'U'): RrdDs =>
  Object.freeze({ name, type: 'GAUGE', min, max });

// One frozen DS list per kind of file, shared by every def: a poll makes a def per port, and
// fifteen fresh objects each time were garbage for the GC (and memory until it ran).
const DS = {
  port: Object.freeze(
    PORT_DS.map(([name]): RrdDs => Object.freeze({ name, type: 'DERIVE', min: 0, max: 12500000000 })),
  ),
  processor: Object.freeze([gauge('usage', -273, 1000)]),
  storage: Object.freeze([gauge('used'), gauge('free')]),
  sensor: Object.freeze([gauge('sensor', -20000, 'U')]),
  uptime: Object.freeze([gauge('uptime')]),
  poller: Object.freeze([gauge('poller')]),
  icmp: Object.freeze(['avg', 'xmt', 'rcv', 'min', 'max'].map((n) => gauge(n, 0, 65535))),
};

export const rrdFiles = {
  port: (host: string, portId: number): RrdFileDef => ({ path: `${safeName(host)}/port-id${portId}.rrd`, ds: DS.port }),
  processor: (host: string, index: string, type = 'hr'): RrdFileDef => ({
    path: `${safeName(host)}/processor-${safeName(type)}-${safeName(index)}.rrd`,
    ds: DS.processor,
  }),
  storage: (host: string, descr: string, mib = 'hrstorage'): RrdFileDef => ({
    path: `${safeName(host)}/storage-${safeName(mib)}-${safeName(descr)}.rrd`,
    ds: DS.storage,
  }),
  mempool: (host: string, type: string, cls: string, index: string): RrdFileDef => ({
    path: `${safeName(host)}/mempool-${safeName(type)}-${safeName(cls)}-${safeName(index)}.rrd`,
    ds: DS.storage,
  }),
  sensor: (host: string, cls: string, index: string, type = 'entity-sensor'): RrdFileDef => ({
    path: `${safeName(host)}/sensor-${safeName(cls)}-${safeName(type)}-${safeName(index)}.rrd`,
    ds: DS.sensor,
  }),
  uptime: (host: string): RrdFileDef => ({ path: `${safeName(host)}/uptime.rrd`, ds: DS.uptime }),
  pollerPerf: (host: string): RrdFileDef => ({ path: `${safeName(host)}/poller-perf.rrd`, ds: DS.poller }),
  /** LibreNMS's ping file: avg, xmt, rcv, min, max (ms and packets), GAUGE 0..65535. */
  icmpPerf: (host: string): RrdFileDef => ({ path: `${safeName(host)}/icmp-perf.rrd`, ds: DS.icmp }),
};

/**
 * LibreNMS's RRAs: a week of steps, then 6-, 24- and 288-step consolidations, for AVERAGE/MIN/MAX,
 * and LAST. NMS_RRD_RRAS (RRA specs separated by ';') replaces them: only for benchmarks, whose
 * hundreds of thousands of files of 2.5 MB each would not fit the disk.
 */
const RRAS_FROM_ENV = (process.env.NMS_RRD_RRAS ?? '').split(';').filter(Boolean);
export const RRAS: string[] = RRAS_FROM_ENV.length
  ? RRAS_FROM_ENV
  : [
      ...['AVERAGE', 'MIN', 'MAX'].flatMap((cf) =>
        ['1:2016', '6:1440', '24:1440', '288:1440'].map((r) => `RRA:${cf}:0.5:${r}`),
      ),
      'RRA:LAST:0.5:1:2016',
    ];

/** CREATE arguments for a file; `start` must be before the first update. */
export function createSpec(def: RrdFileDef, step: number, start: number): RrdCreateSpec {
  return {
    step,
    start,
    noOverwrite: true,
    ds: def.ds.map((d) => `DS:${d.name}:${d.type}:${step * 2}:${d.min}:${d.max}`),
    rra: RRAS,
  };
}
