// IF-MIB ports: ifTable plus ifXTable. 64-bit HC counters when the port has them, 32-bit
// otherwise; admin/oper status as words; speed from ifHighSpeed when ifSpeed saturates.
// Discovery walks every column; a poll walks only status and the counters the device has
// (portStatsCollector), which halves the varbinds and so the requests of a poll.
import { PORT_COUNTERS, type PortCounter } from '../db/schema.js';
import { big, hex, num, str } from '../snmp/values.js';
import type { Cell } from '../snmp/types.js';
import type { CollectedData, Collector, PortRecord } from './types.js';

const IF = '1.3.6.1.2.1.2.2.1';
const IFX = '1.3.6.1.2.1.31.1.1.1';
const C = {
  ifDescr: `${IF}.2`, ifType: `${IF}.3`, ifMtu: `${IF}.4`, ifSpeed: `${IF}.5`, ifPhysAddress: `${IF}.6`, ifAdminStatus: `${IF}.7`, ifOperStatus: `${IF}.8`, ifLastChange: `${IF}.9`,
  ifInOctets: `${IF}.10`, ifInUcastPkts: `${IF}.11`, ifInNUcastPkts: `${IF}.12`, ifInDiscards: `${IF}.13`, ifInErrors: `${IF}.14`, ifInUnknownProtos: `${IF}.15`,
  ifOutOctets: `${IF}.16`, ifOutUcastPkts: `${IF}.17`, ifOutNUcastPkts: `${IF}.18`, ifOutDiscards: `${IF}.19`, ifOutErrors: `${IF}.20`,
  ifName: `${IFX}.1`, ifInMulticastPkts: `${IFX}.2`, ifInBroadcastPkts: `${IFX}.3`, ifOutMulticastPkts: `${IFX}.4`, ifOutBroadcastPkts: `${IFX}.5`,
  ifHCInOctets: `${IFX}.6`, ifHCInUcastPkts: `${IFX}.7`, ifHCInMulticastPkts: `${IFX}.8`, ifHCInBroadcastPkts: `${IFX}.9`,
  ifHCOutOctets: `${IFX}.10`, ifHCOutUcastPkts: `${IFX}.11`, ifHCOutMulticastPkts: `${IFX}.12`, ifHCOutBroadcastPkts: `${IFX}.13`, ifHighSpeed: `${IFX}.15`, ifAlias: `${IFX}.18`,
} as const;
/** 32-bit counters replaced by their HC twin when the port has one. */
const HC: Partial<Record<PortCounter, keyof typeof C>> = {
  ifInOctets: 'ifHCInOctets', ifOutOctets: 'ifHCOutOctets', ifInUcastPkts: 'ifHCInUcastPkts', ifOutUcastPkts: 'ifHCOutUcastPkts',
  ifInMulticastPkts: 'ifHCInMulticastPkts', ifOutMulticastPkts: 'ifHCOutMulticastPkts', ifInBroadcastPkts: 'ifHCInBroadcastPkts', ifOutBroadcastPkts: 'ifHCOutBroadcastPkts',
};
const STATUS = ['', 'up', 'down', 'testing', 'unknown', 'dormant', 'notPresent', 'lowerLayerDown'];

export const portsCollector: Collector<PortRecord[]> = {
  name: 'ports',
  columns: Object.values(C),
  process: processPorts,
};

const STATS_32 = ['ifAdminStatus', 'ifOperStatus', 'ifSpeed', ...PORT_COUNTERS] as const;
const STATS_64 = ['ifAdminStatus', 'ifOperStatus', 'ifHighSpeed', 'ifInDiscards', 'ifInErrors', 'ifInUnknownProtos', 'ifOutDiscards', 'ifOutErrors', ...Object.values(HC)] as const;

/** What a poll walks: status, speed and counters; 64-bit devices skip the 32-bit twins and NUcast (the sum of multicast and broadcast). */
export function portStatsCollector(bits: 32 | 64): Collector<PortRecord[]> {
  return { name: 'ports', columns: (bits === 64 ? STATS_64 : STATS_32).map((c) => C[c]), process: processPorts };
}

type Rows = Map<string, Cell> | undefined;
/** Where each counter comes from: its HC twin (when it has one) first, then the 32-bit column. */
const COUNTER_SOURCES = PORT_COUNTERS.map((c) => [c, HC[c] ? C[HC[c]!] : undefined, C[c]] as const);

// Runs once per port and poll (48 a device): the columns are looked up once per call, not per
// cell, and the record is built without intermediate arrays.
function processPorts({ columns }: CollectedData): PortRecord[] {
  const col = (k: keyof typeof C): Rows => columns.get(C[k]);
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
  const sources = COUNTER_SOURCES.map(([c, hc, plain]) => [c, hc === undefined ? undefined : columns.get(hc), columns.get(plain)] as const);
  const index = descr ?? oper;
  if (!index) return [];
  const out: PortRecord[] = [];
  for (const i of index.keys()) {
    const hc = hcIn?.get(i)?.value != null;
    const counters = {} as Record<PortCounter, bigint | null>;
    for (const [c, hcRows, rows] of sources) counters[c] = (hcRows === undefined ? null : big(hcRows.get(i))) ?? big(rows?.get(i));
    if (hc) {
      if (counters.ifInNUcastPkts === null && counters.ifInMulticastPkts !== null && counters.ifInBroadcastPkts !== null) counters.ifInNUcastPkts = counters.ifInMulticastPkts + counters.ifInBroadcastPkts;
      if (counters.ifOutNUcastPkts === null && counters.ifOutMulticastPkts !== null && counters.ifOutBroadcastPkts !== null) counters.ifOutNUcastPkts = counters.ifOutMulticastPkts + counters.ifOutBroadcastPkts;
    }
    const speed = num(speedCol?.get(i));
    const high = num(highCol?.get(i));
    out.push({
      ifIndex: Number(i), ifDescr: str(descr?.get(i)), ifName: str(name?.get(i)), ifAlias: str(alias?.get(i)),
      ifType: ifTypeName(num(type?.get(i))), ifMtu: num(mtu?.get(i)),
      ifSpeed: high !== null && (speed === null || speed >= 4294967295) ? high * 1_000_000 : speed, ifHighSpeed: high,
      ifPhysAddress: hex(phys?.get(i)), ifAdminStatus: STATUS[num(admin?.get(i)) ?? 0] || null,
      ifOperStatus: STATUS[num(oper?.get(i)) ?? 0] || null, ifLastChange: num(lastChange?.get(i)),
      counterBits: hc ? 64 : 32, counters,
    });
  }
  return out;
}

const IFTYPES: Record<number, string> = { 1: 'other', 6: 'ethernetCsmacd', 24: 'softwareLoopback', 53: 'propVirtual', 131: 'tunnel', 135: 'l2vlan', 136: 'l3ipvlan', 161: 'ieee8023adLag' };
function ifTypeName(t: number | null): string | null {
  return t === null ? null : (IFTYPES[t] ?? String(t));
}
