// IF-MIB ports: ifTable plus ifXTable. 64-bit HC counters when the port has them, 32-bit
// otherwise; admin/oper status as words; speed from ifHighSpeed when ifSpeed saturates.
// Discovery walks every column; a poll walks only status and the counters the device has
// (portStatsCollector), which halves the varbinds and so the requests of a poll.
import { PORT_COUNTERS, type PortCounter } from '../db/schema.js';
import { big, hex, num, str } from '../snmp/values.js';
import type { Varbind } from '../snmp/types.js';
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

function processPorts({ columns }: CollectedData): PortRecord[] {
  const at = (col: keyof typeof C, i: string): Varbind | undefined => columns.get(C[col])?.get(i);
  return [...(columns.get(C.ifDescr) ?? columns.get(C.ifOperStatus))?.keys() ?? []].map((i) => {
    const hc = at('ifHCInOctets', i)?.value != null;
    const counters = Object.fromEntries(PORT_COUNTERS.map((c) => [c, (HC[c] ? big(at(HC[c]!, i)) : null) ?? big(at(c, i))])) as Record<PortCounter, bigint | null>;
    for (const dir of ['In', 'Out'] as const) {
      const m = counters[`if${dir}MulticastPkts`];
      const b = counters[`if${dir}BroadcastPkts`];
      if (counters[`if${dir}NUcastPkts`] === null && hc && m !== null && b !== null) counters[`if${dir}NUcastPkts`] = m + b;
    }
    const speed = num(at('ifSpeed', i));
    const high = num(at('ifHighSpeed', i));
    return {
      ifIndex: Number(i), ifDescr: str(at('ifDescr', i)), ifName: str(at('ifName', i)), ifAlias: str(at('ifAlias', i)),
      ifType: ifTypeName(num(at('ifType', i))), ifMtu: num(at('ifMtu', i)),
      ifSpeed: high !== null && (speed === null || speed >= 4294967295) ? high * 1_000_000 : speed, ifHighSpeed: high,
      ifPhysAddress: hex(at('ifPhysAddress', i)), ifAdminStatus: STATUS[num(at('ifAdminStatus', i)) ?? 0] || null,
      ifOperStatus: STATUS[num(at('ifOperStatus', i)) ?? 0] || null, ifLastChange: num(at('ifLastChange', i)),
      counterBits: hc ? 64 : 32, counters,
    };
  });
}

const IFTYPES: Record<number, string> = { 1: 'other', 6: 'ethernetCsmacd', 24: 'softwareLoopback', 53: 'propVirtual', 131: 'tunnel', 135: 'l2vlan', 136: 'l3ipvlan', 161: 'ieee8023adLag' };
function ifTypeName(t: number | null): string | null {
  return t === null ? null : (IFTYPES[t] ?? String(t));
}
