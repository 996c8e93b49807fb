// SNMPv2-MIB system group: what the device says it is, and how long it has been up.
import { num, str } from '../snmp/values.js';
import type { Collector, SystemRecord } from './types.js';

const SYS = '1.3.6.1.2.1.1';
const OID = {
  sysDescr: `${SYS}.1.0`,
  sysObjectID: `${SYS}.2.0`,
  sysUpTime: `${SYS}.3.0`,
  sysContact: `${SYS}.4.0`,
  sysName: `${SYS}.5.0`,
  sysLocation: `${SYS}.6.0`,
};

export const systemCollector: Collector<SystemRecord> = {
  name: 'system',
  scalars: Object.values(OID),
  process({ scalars }) {
    const ticks = num(scalars.get(OID.sysUpTime));
    return {
      sysDescr: unquote(str(scalars.get(OID.sysDescr)) ?? ''),
      sysObjectID: str(scalars.get(OID.sysObjectID)) ?? '',
      sysName: str(scalars.get(OID.sysName)) ?? '',
      sysContact: str(scalars.get(OID.sysContact)) ?? '',
      sysLocation: str(scalars.get(OID.sysLocation)) ?? '',
      uptime: ticks === null ? null : Math.floor(ticks / 100),
    };
  },
};

/** Some agents wrap sysDescr in double quotes; LibreNMS stores it without them. */
export function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).trim() : s;
}

/**
 * True when the device restarted between two polls: its uptime went down. sysUpTime wraps
 * after 497 days (2^32 ticks), so a drop from near the wrap point is not a reboot.
 */
export function detectReboot(previous: number | null, current: number | null): boolean {
  if (previous === null || current === null) return false;
  const wrap = 2 ** 32 / 100;
  return current < previous && previous < wrap - 3600;
}
