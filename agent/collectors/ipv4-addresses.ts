// IP-MIB ipAddrTable: the IPv4 addresses of the device's interfaces, with prefix length and
// network, in LibreNMS's `ipv4_addresses` terms. Rows are indexed by the address itself.
// 0.0.0.0 and masks that are not a prefix are skipped; an address without a mask gets its
// class's (A /8, B /16, C /24), as LibreNMS shows it; an address whose ifIndex has no port is
// left out when written (LibreNMS keeps only addresses of known ports).
import { num, str } from '../snmp/values.js';
import type { Collector, Ipv4AddressRecord } from './types.js';

const ipAdEntIfIndex = '1.3.6.1.2.1.4.20.1.2';
const ipAdEntNetMask = '1.3.6.1.2.1.4.20.1.3';

export const ipv4AddressesCollector: Collector<Ipv4AddressRecord[]> = {
  name: 'ipv4-addresses',
  columns: [ipAdEntIfIndex, ipAdEntNetMask],
  process({ columns }) {
    const masks = columns.get(ipAdEntNetMask);
    const out: Ipv4AddressRecord[] = [];
    for (const [addr, vb] of columns.get(ipAdEntIfIndex) ?? []) {
      const ifIndex = num(vb);
      const a = toInt(addr);
      const mask = masks?.get(addr);
      const len = mask === undefined && a !== null ? classful(a) : prefixLength(str(mask));
      if (ifIndex === null || a === null || a === 0 || len === null) continue;
      const net = len === 0 ? 0 : (a & (~0 << (32 - len))) >>> 0;
      out.push({
        ipv4_address: addr,
        ipv4_prefixlen: len,
        ipv4_network: `${fromInt(net)}/${len}`,
        ifIndex,
        context_name: '',
      });
    }
    return out;
  },
  tables: (r) => ({ ipv4_addresses: r }),
};

function toInt(dotted: string): number | null {
  const p = dotted.split('.');
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return null;
  return p.reduce((n, x) => n * 256 + Number(x), 0);
}

const fromInt = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/** 255.255.255.0 → 24; null when the mask is not a run of ones. */
export function prefixLength(mask: string | null): number | null {
  const m = mask === null ? null : toInt(mask);
  if (m === null) return null;
  const bits = m.toString(2).padStart(32, '0');
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')) : null;
}

/** The prefix of the address's class, for agents that give no mask. */
function classful(a: number): number {
  const first = a >>> 24;
  return first < 128 ? 8 : first < 192 ? 16 : 24;
}
