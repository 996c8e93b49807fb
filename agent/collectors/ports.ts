// IF-MIB ports: ifTable plus ifXTable. 64-bit HC counters when the port has them, 32-bit
// otherwise; admin/oper status as words; speed from ifHighSpeed when ifSpeed saturates.
// Discovery walks every column; a poll walks only status and the counters the device has
// (portStatsCollector), which halves the varbinds and so the requests of a poll.
import { PORT_COUNTERS, type PortCounter } from './port-counters.js';
import { big, num, str } from '../snmp/values.js';
import { IF_TYPES } from './iftypes.js';
import type { Cell } from '../snmp/types.js';
import { inRowsOf, rowKeys } from '../snmp/column-rows.js';
import type { CollectedData, Collector, PortRecord } from './types.js';

const IF = '1.3.6.1.2.1.2.2.1';
const IFX = '1.3.6.1.2.1.31.1.1.1';
const C = {
  ifDescr: `${IF}.2`,
  ifType: `${IF}.3`,
  ifMtu: `${IF}.4`,
  ifSpeed: `${IF}.5`,
  ifPhysAddress: `${IF}.6`,
  ifAdminStatus: `${IF}.7`,
  ifOperStatus: `${IF}.8`,
  ifLastChange: `${IF}.9`,
  ifInOctets: `${IF}.10`,
  ifInUcastPkts: `${IF}.11`,
  ifInNUcastPkts: `${IF}.12`,
  ifInDiscards: `${IF}.13`,
  ifInErrors: `${IF}.14`,
  ifInUnknownProtos: `${IF}.15`,
  ifOutOctets: `${IF}.16`,
  ifOutUcastPkts: `${IF}.17`,
  ifOutNUcastPkts: `${IF}.18`,
  ifOutDiscards: `${IF}.19`,
  ifOutErrors: `${IF}.20`,
  ifName: `${IFX}.1`,
  ifInMulticastPkts: `${IFX}.2`,
  ifInBroadcastPkts: `${IFX}.3`,
  ifOutMulticastPkts: `${IFX}.4`,
  ifOutBroadcastPkts: `${IFX}.5`,
  ifHCInOctets: `${IFX}.6`,
  ifHCInUcastPkts: `${IFX}.7`,
  ifHCInMulticastPkts: `${IFX}.8`,
  ifHCInBroadcastPkts: `${IFX}.9`,
  ifHCOutOctets: `${IFX}.10`,
  ifHCOutUcastPkts: `${IFX}.11`,
  ifHCOutMulticastPkts: `${IFX}.12`,
  ifHCOutBroadcastPkts: `${IFX}.13`,
  ifHighSpeed: `${IFX}.15`,
  ifAlias: `${IFX}.18`,
} as const;
/** 32-bit counters replaced by their HC twin when the port has one. */
const HC: Partial<Record<PortCounter, keyof typeof C>> = {
  ifInOctets: 'ifHCInOctets',
  ifOutOctets: 'ifHCOutOctets',
  ifInUcastPkts: 'ifHCInUcastPkts',
  ifOutUcastPkts: 'ifHCOutUcastPkts',
  ifInMulticastPkts: 'ifHCInMulticastPkts',
  ifOutMulticastPkts: 'ifHCOutMulticastPkts',
  ifInBroadcastPkts: 'ifHCInBroadcastPkts',
  ifOutBroadcastPkts: 'ifHCOutBroadcastPkts',
};
const STATUS = ['', 'up', 'down', 'testing', 'unknown', 'dormant', 'notPresent', 'lowerLayerDown'];

export const portsCollector: Collector<PortRecord[]> = {
  name: 'ports',
  columns: Object.values(C),
  process: processPorts,
};

const STATS_32 = ['ifAdminStatus', 'ifOperStatus', 'ifSpeed', ...PORT_COUNTERS] as const;
const STATS_64 = [
  'ifAdminStatus',
  'ifOperStatus',
  'ifHighSpeed',
  'ifInDiscards',
  'ifInErrors',
  'ifInUnknownProtos',
  'ifOutDiscards',
  'ifOutErrors',
  ...Object.values(HC),
] as const;

/**
 * What a poll walks: status, speed and counters; 64-bit devices skip the 32-bit twins and NUcast
 * (the sum of multicast and broadcast).
 */
export function portStatsCollector(bits: 32 | 64): Collector<PortRecord[]> {
  return { name: 'ports', columns: (bits === 64 ? STATS_64 : STATS_32).map((c) => C[c]), process: processPorts };
}

type Rows = Map<string, Cell> | undefined;
/** A column's cells at the positions of the ports (see inRowsOf). */
type Cells = readonly (Cell | undefined)[] | undefined;
/** Where each counter comes from: its HC twin (when it has one) first, then the 32-bit column. */
const COUNTER_SOURCES = PORT_COUNTERS.map((c) => [c, HC[c] ? C[HC[c]!] : undefined, C[c]] as const);

/**
 * A port's counters, every one null to start with: one literal, so that all of a poll's records
 * share one object shape instead of growing one key at a time (48 ports a poll).
 */
function noCounters(): Record<PortCounter, bigint | null> {
  return {
    ifInUcastPkts: null,
    ifOutUcastPkts: null,
    ifInErrors: null,
    ifOutErrors: null,
    ifInOctets: null,
    ifOutOctets: null,
    ifInNUcastPkts: null,
    ifOutNUcastPkts: null,
    ifInDiscards: null,
    ifOutDiscards: null,
    ifInUnknownProtos: null,
    ifInBroadcastPkts: null,
    ifOutBroadcastPkts: null,
    ifInMulticastPkts: null,
    ifOutMulticastPkts: null,
  } satisfies Record<PortCounter, null>;
}

/** What one counter is made of in this walk: the cells of its sources, and whether every source was walked. */
type CounterSource = readonly [PortCounter, Cells, Cells, boolean];

// Runs once per port and poll (48 a device): every column is lined up with the ports once per
// call (no lookup a cell when the walk's rows agree, as they do), and the record is built
// without intermediate arrays.
function processPorts({ columns }: CollectedData): PortRecord[] {
  const index = columns.get(C.ifDescr) ?? columns.get(C.ifOperStatus);
  if (!index) return [];
  const keys = rowKeys(index);
  const col = (k: keyof typeof C): Cells => inRowsOf(keys, columns.get(C[k]));
  const descr = col('ifDescr');
  const name = col('ifName');
  const alias = col('ifAlias');
  const type = col('ifType');
  const mtu = col('ifMtu');
  const speedCol = col('ifSpeed');
  const highCol = col('ifHighSpeed');
  const phys = col('ifPhysAddress');
  const admin = col('ifAdminStatus');
  const oper = col('ifOperStatus');
  const lastChange = col('ifLastChange');
  const hcIn = col('ifHCInOctets');
  const sources: CounterSource[] = COUNTER_SOURCES.map(([c, hc, plain]) => {
    const hcRows: Rows = hc === undefined ? undefined : columns.get(hc);
    const rows: Rows = columns.get(plain);
    const all = (hc === undefined || hcRows !== undefined) && rows !== undefined;
    return [c, inRowsOf(keys, hcRows), inRowsOf(keys, rows), all] as const;
  });
  const out: PortRecord[] = [];
  for (let j = 0; j < keys.length; j++) {
    const counters = noCounters();
    // a counter the device lacks is 0, as LibreNMS stores it; one this walk did not read is
    // null, which the database leaves as it was. An HC counter at 0 beside a 32-bit one that
    // counts is an agent that fills only the latter: the 32-bit value wins, as in LibreNMS.
    for (const [c, hcCells, cells, all] of sources) {
      const h = big(hcCells?.[j]);
      counters[c] = (h === 0n ? (big(cells?.[j]) ?? h) : (h ?? big(cells?.[j]))) ?? (all ? 0n : null);
    }
    const n = descr === undefined ? NO_NAMES : names(descr[j], name?.[j], alias?.[j]);
    out.push({
      ifIndex: Number(keys[j]),
      ifDescr: n.ifDescr,
      ifName: n.ifName,
      ifAlias: n.ifAlias,
      ifType: ifTypeName(num(type?.[j])),
      ifMtu: num(mtu?.[j]),
      ifSpeed: speedOf(num(speedCol?.[j]), num(highCol?.[j])),
      ifHighSpeed: highSpeed(num(highCol?.[j])),
      ifPhysAddress: mac(phys?.[j]),
      ifAdminStatus: STATUS[num(admin?.[j]) ?? 0] || null,
      ifOperStatus: STATUS[num(oper?.[j]) ?? 0] || null,
      ifLastChange: num(lastChange?.[j]),
      counterBits: hcIn?.[j]?.value != null ? 64 : 32,
      counters,
    });
  }
  return out;
}

/**
 * ifDescr, ifName and ifAlias as LibreNMS stores them: a missing ifName is ifDescr, an empty
 * ifDescr is ifName, an empty ifAlias is ifDescr. A column the walk did not read stays null.
 */
type Names = Pick<PortRecord, 'ifDescr' | 'ifName' | 'ifAlias'>;
const NO_NAMES: Names = { ifDescr: null, ifName: null, ifAlias: null };
function names(descr: Cell | undefined, name: Cell | undefined, alias: Cell | undefined): Names {
  let ifDescr = str(descr);
  const ifName = str(name) || ifDescr;
  if (!ifDescr) ifDescr = ifName;
  const ifAlias = str(alias) || ifDescr;
  return { ifDescr, ifName, ifAlias };
}

/**
 * Bits per second: ifHighSpeed × 10^6 when ifSpeed saturates or is absent, else ifSpeed as the
 * device says (0 included, as LibreNMS keeps it). An ifHighSpeed of 0 or beyond 10 Tbit/s
 * (some agents answer 4294901759) says nothing: without ifSpeed the speed is then NULL.
 */
function speedOf(speed: number | null, high: number | null): number | null {
  const highOk = high !== null && high > 0 && high <= 10_000_000;
  return highOk && (speed === null || speed >= 4294967295) ? high * 1_000_000 : speed;
}

/** ifHighSpeed as stored (an INT column): values beyond it (4294901759 from some agents) are no speed. */
const highSpeed = (h: number | null) => (h !== null && h >= 0 && h <= 2147483647 ? h : null);

/** ifPhysAddress as LibreNMS stores it: 12 lower-case hex digits, no separators; null when empty. */
function mac(vb: Cell | undefined): string | null {
  if (!vb || !Buffer.isBuffer(vb.value) || vb.value.length === 0) return null;
  return vb.value.toString('hex');
}

function ifTypeName(t: number | null): string | null {
  return t === null ? null : (IF_TYPES[t] ?? String(t));
}
