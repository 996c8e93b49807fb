// Where each simulated device listens. Two layouts: every device on one address, device i on
// UDP port firstPort + i (tests and benchmarks on 127.0.0.1); or every device on an address of
// its own, all on one port (the lab: 198.19.0.0/16, port 161, so a device can be pinged and
// cut off alone). The lab, its inventory and the simulator all take device addresses from here,
// in lib/ because the lab (cli/lab) and the simulator import nothing of each other.

/** The lab's device network: the devices host answers for all of it (a local route). */
export const DEVICE_NETWORK = '198.19.0.0/16';
export const DEVICE_NETWORK_BASE = '198.19.0.0';
/** Devices per /24: .1 to .250, so no device sits on a .0 or .255. */
const PER_24 = 250;
/** Devices an own-address layout can hold within a /16. */
export const MAX_OWN_ADDRESSES = PER_24 * 256;

function toInt(ip: string): number {
  const p = ip.split('.').map(Number);
  const bad = p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255);
  if (bad) throw new Error(`not an IPv4 address: ${ip}`);
  return ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3];
}

function toIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Address of device i (0-based) in the own-address layout: base + (i div 250) * 256 + 1 + i mod 250. */
export function deviceAddress(i: number, base: string = DEVICE_NETWORK_BASE): string {
  const bad = !Number.isInteger(i) || i < 0 || i >= MAX_OWN_ADDRESSES;
  if (bad) throw new Error(`device index ${i} is outside 0..${MAX_OWN_ADDRESSES - 1}`);
  return toIp(toInt(base) + Math.floor(i / PER_24) * 256 + 1 + (i % PER_24));
}

/** Index of the device at `address` in the own-address layout, or undefined. */
export function deviceIndexOf(address: string, base: string = DEVICE_NETWORK_BASE): number | undefined {
  let off: number;
  try {
    off = toInt(address) - toInt(base);
  } catch {
    return undefined;
  }
  const hi = Math.floor(off / 256);
  const lo = off % 256;
  if (off < 0 || hi > 255 || lo < 1 || lo > PER_24) return undefined;
  return hi * PER_24 + lo - 1;
}
