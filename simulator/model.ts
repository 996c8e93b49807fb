// What the simulated devices report, as pure functions of (seed, device, time). Tests and other
// engineers import these to compute what a poller should have seen: every counter grows
// linearly at portRate() units per second from COUNTER_EPOCH_MS, so the value at any moment is
// known without asking the simulator. Nothing here holds state or does I/O. Processors, storage
// and sensors are in health.ts.

/** The seed the lab uses when `--seed` is not given. */
export const DEFAULT_SEED = 1;
/** Counters are zero-based at this instant (plus a per-counter offset); 2026-01-01T00:00:00Z. */
export const COUNTER_EPOCH_MS = Date.UTC(2026, 0, 1);
/** Ports per device (ifIndex 1..PORTS). */
export const PORTS = 48;
/** Ports from this ifIndex upwards are 10G uplinks; below are 1G access ports. */
export const FIRST_UPLINK = 45;
export const V3_USER = 'nmsv3';
export const V3_AUTH_PASS = 'nmsv3authpass';
export const V3_PRIV_PASS = 'nmsv3privpass';
export const COMMUNITY = 'public';

/** Integer mix of up to four numbers into a well-spread uint32 (murmur3 finaliser). */
export function hash(a: number, b: number, c = 0, d = 0): number {
  let h = 0x9e3779b9 ^ a;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ c;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ d;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A deterministic number in [0, 1). */
export function unit(a: number, b: number, c = 0, d = 0): number {
  return hash(a, b, c, d) / 4294967296;
}

/** Devices with i % 7 == 3 have only 32-bit counters (no ifHC* columns), like old gear. */
export function has64BitCounters(device: number): boolean {
  return device % 7 !== 3;
}

/** Every 10th device answers SNMPv3 only. */
export function isV3Only(device: number): boolean {
  return device % 10 === 9;
}

export function pollerGroup(device: number): number {
  return device % 2;
}

/** One device whose sysName, sysLocation and port 1's ifAlias carry markup and quotes (web escaping tests). */
export const HOSTILE_DEVICE = 13;
export const HOSTILE_TEXT = `<script>alert(1)</script> "quoted" 'single' &amp;`;

export function sysName(device: number): string {
  return device === HOSTILE_DEVICE ? `sim-${device} ${HOSTILE_TEXT}` : `sim-${device}`;
}

export function sysLocation(device: number): string {
  if (device === HOSTILE_DEVICE) return HOSTILE_TEXT;
  return `lab row ${Math.floor(device / 400)}, rack ${Math.floor(device / 40) % 10}, unit ${device % 40}`;
}

/** Processors in hrProcessorTable: 2, 4, 1 or 8 (by device % 4). */
export function cpuCount(device: number): number {
  return [2, 4, 1, 8][device % 4];
}

export type DeviceCredentials =
  | { version: 'v2c'; community: string }
  | {
      version: 'v3';
      authlevel: 'authPriv';
      authname: string;
      authpass: string;
      authalgo: 'SHA';
      cryptopass: string;
      cryptoalgo: 'AES';
    };

/** How to reach device i, in the shape of an inventory's devices.yaml `snmp:` entry. */
export function deviceCredentials(device: number): DeviceCredentials {
  if (!isV3Only(device)) return { version: 'v2c', community: COMMUNITY };
  return {
    version: 'v3',
    authlevel: 'authPriv',
    authname: V3_USER,
    authpass: V3_AUTH_PASS,
    authalgo: 'SHA',
    cryptopass: V3_PRIV_PASS,
    cryptoalgo: 'AES',
  };
}

/** Port speed in bit/s: 1G access ports, 10G uplinks. */
export function portSpeed(ifIndex: number): number {
  return ifIndex >= FIRST_UPLINK ? 10_000_000_000 : 1_000_000_000;
}

// salts that keep the hash streams of different quantities apart
const S_STATUS = 101;
const S_ALIAS = 102;

export interface PortStatus {
  /** ifAdminStatus: 1 up, 2 down. */
  admin: 1 | 2;
  /** ifOperStatus: 1 up, 2 down. */
  oper: 1 | 2;
}

/** 0 up, 1 admin down, 2 admin up but oper down (no objects: this runs for every counter read). */
function statusCode(device: number, ifIndex: number, seed: number): 0 | 1 | 2 {
  if (ifIndex === 1 || ifIndex >= FIRST_UPLINK) return 0;
  const u = unit(seed, device, ifIndex, S_STATUS);
  return u < 0.03 ? 1 : u < 0.09 ? 2 : 0;
}

/** About 3 % of ports are admin down and 6 % oper down; port 1 and uplinks are always up. */
export function portStatus(device: number, ifIndex: number, seed = DEFAULT_SEED): PortStatus {
  const c = statusCode(device, ifIndex, seed);
  return c === 1 ? { admin: 2, oper: 2 } : c === 2 ? { admin: 1, oper: 2 } : { admin: 1, oper: 1 };
}

export function portUp(device: number, ifIndex: number, seed = DEFAULT_SEED): boolean {
  return statusCode(device, ifIndex, seed) === 0;
}

/** ifAlias: a description on most ports, empty on some. */
export function portAlias(device: number, ifIndex: number, seed = DEFAULT_SEED): string {
  if (ifIndex >= FIRST_UPLINK) return `uplink to core-${(device + ifIndex) % 4}`;
  if (device === HOSTILE_DEVICE && ifIndex === 1) return HOSTILE_TEXT;
  return unit(seed, device, ifIndex, S_ALIAS) < 0.25 ? '' : `access port ${ifIndex} of sim-${device}`;
}

/** The independent counters of a port; every IF-MIB counter column is one of them or a sum. */
export const BASE_COUNTERS = [
  'inOctets',
  'inUcastPkts',
  'inMulticastPkts',
  'inBroadcastPkts',
  'inDiscards',
  'inErrors',
  'inUnknownProtos',
  'outOctets',
  'outUcastPkts',
  'outMulticastPkts',
  'outBroadcastPkts',
  'outDiscards',
  'outErrors',
] as const;
export type BaseCounter = (typeof BASE_COUNTERS)[number];
const BASE_INDEX = Object.fromEntries(BASE_COUNTERS.map((n, i) => [n, i])) as Record<BaseCounter, number>;

/** IF-MIB counter columns: name → [bits, base counters summed]. */
export const COUNTER_COLUMNS = {
  ifInOctets: [32, ['inOctets']],
  ifInUcastPkts: [32, ['inUcastPkts']],
  ifInNUcastPkts: [32, ['inMulticastPkts', 'inBroadcastPkts']],
  ifInDiscards: [32, ['inDiscards']],
  ifInErrors: [32, ['inErrors']],
  ifInUnknownProtos: [32, ['inUnknownProtos']],
  ifOutOctets: [32, ['outOctets']],
  ifOutUcastPkts: [32, ['outUcastPkts']],
  ifOutNUcastPkts: [32, ['outMulticastPkts', 'outBroadcastPkts']],
  ifOutDiscards: [32, ['outDiscards']],
  ifOutErrors: [32, ['outErrors']],
  ifInMulticastPkts: [32, ['inMulticastPkts']],
  ifInBroadcastPkts: [32, ['inBroadcastPkts']],
  ifOutMulticastPkts: [32, ['outMulticastPkts']],
  ifOutBroadcastPkts: [32, ['outBroadcastPkts']],
  ifHCInOctets: [64, ['inOctets']],
  ifHCInUcastPkts: [64, ['inUcastPkts']],
  ifHCInMulticastPkts: [64, ['inMulticastPkts']],
  ifHCInBroadcastPkts: [64, ['inBroadcastPkts']],
  ifHCOutOctets: [64, ['outOctets']],
  ifHCOutUcastPkts: [64, ['outUcastPkts']],
  ifHCOutMulticastPkts: [64, ['outMulticastPkts']],
  ifHCOutBroadcastPkts: [64, ['outBroadcastPkts']],
} as const satisfies Record<string, readonly [32 | 64, readonly BaseCounter[]]>;
export type CounterName = keyof typeof COUNTER_COLUMNS;

/**
 * Rate of one base counter in units per second. Octets: 0.5–30 % of a 1G port, 0.5–15 % of a
 * 10G uplink (kept below 2^53 / a year of seconds so values stay exact in a double); packets
 * follow from a per-port average packet size; discards and errors are rare, and only about one
 * port in eight sees errors at all. Down ports count nothing.
 */
export function baseRate(device: number, ifIndex: number, counter: BaseCounter, seed = DEFAULT_SEED): number {
  if (!portUp(device, ifIndex, seed)) return 0;
  const key = ifIndex * 16 + (counter.startsWith('in') ? 1 : 2);
  const octets = Math.round(
    (portSpeed(ifIndex) / 8) * (0.005 + (ifIndex >= FIRST_UPLINK ? 0.145 : 0.295) * unit(seed, device, key, 1)),
  );
  const ucast = octets / (120 + 1200 * unit(seed, device, key, 2));
  switch (counter) {
    case 'inOctets':
    case 'outOctets':
      return octets;
    case 'inUcastPkts':
    case 'outUcastPkts':
      return ucast;
    case 'inMulticastPkts':
    case 'outMulticastPkts':
      return ucast * (0.001 + 0.02 * unit(seed, device, key, 3));
    case 'inBroadcastPkts':
    case 'outBroadcastPkts':
      return ucast * (0.0005 + 0.01 * unit(seed, device, key, 4));
    case 'inDiscards':
    case 'outDiscards':
      return 0.05 * unit(seed, device, key, 5);
    case 'inErrors':
    case 'outErrors':
      return unit(seed, device, key, 6) < 0.125 ? 0.001 + 0.2 * unit(seed, device, key, 7) : 0;
    case 'inUnknownProtos':
      return 0.01 * unit(seed, device, key, 8);
  }
}

/** Value of a base counter at COUNTER_EPOCH_MS: a per-counter offset below 2^40. */
export function baseOffset(device: number, ifIndex: number, counter: BaseCounter, seed = DEFAULT_SEED): number {
  const i = BASE_INDEX[counter];
  return hash(seed, device, ifIndex * 32 + i, 1) * 256 + (hash(seed, device, ifIndex * 32 + i, 2) & 0xff);
}

/** Full-width (not wrapped) value of a base counter at `timeMs` (ms since the Unix epoch). */
export function baseValue(
  device: number,
  ifIndex: number,
  counter: BaseCounter,
  timeMs: number,
  seed = DEFAULT_SEED,
): number {
  const seconds = Math.max(0, timeMs - COUNTER_EPOCH_MS) / 1000;
  return baseOffset(device, ifIndex, counter, seed) + Math.floor(baseRate(device, ifIndex, counter, seed) * seconds);
}

/**
 * Rate of an IF-MIB counter column in units per second, e.g.
 * `portRate(5, 1, 'ifHCInOctets')`. 32-bit columns have the same rate (they wrap, see counterValue).
 */
export function portRate(
  device: number,
  ifIndex: number,
  counter: CounterName = 'ifHCInOctets',
  seed = DEFAULT_SEED,
): number {
  let r = 0;
  for (const b of COUNTER_COLUMNS[counter][1]) r += baseRate(device, ifIndex, b, seed);
  return r;
}

/** Value the simulator reports for a counter column at `timeMs`; 32-bit columns wrap at 2^32. */
export function counterValue(
  device: number,
  ifIndex: number,
  counter: CounterName,
  timeMs: number,
  seed = DEFAULT_SEED,
): number {
  const [bits, bases] = COUNTER_COLUMNS[counter];
  let v = 0;
  for (const b of bases) v += baseValue(device, ifIndex, b, timeMs, seed);
  return bits === 32 ? v % 4294967296 : v;
}

/** Difference of two reads of a counter, allowing for one wrap of a 32-bit column. */
export function counterDelta(counter: CounterName, before: number | bigint, after: number | bigint): number {
  const d = Number(after) - Number(before);
  return d < 0 && COUNTER_COLUMNS[counter][0] === 32 ? d + 4294967296 : d;
}
