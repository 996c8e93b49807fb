// Turns net-snmp's raw varbind values into ours, and reads them back as typed fields.
import type { Cell, SnmpValue } from './types.js';

/** net-snmp's ObjectType numbers. */
export const T = {
  Boolean: 1,
  Integer: 2,
  OctetString: 4,
  Null: 5,
  OID: 6,
  IpAddress: 64,
  Counter: 65,
  Gauge: 66,
  TimeTicks: 67,
  Opaque: 68,
  Counter64: 70,
  NoSuchObject: 128,
  NoSuchInstance: 129,
  EndOfMibView: 130,
} as const;

/**
 * Counter64 arrives as a big-endian Buffer of any length up to 9 bytes (leading zero). One of
 * these per port counter and poll: read as at most two numbers rather than byte by byte in
 * BigInt arithmetic, which allocates a BigInt per byte.
 */
export function bufferToBigInt(b: Buffer): bigint {
  const n = b.length;
  if (n <= 6) return n === 0 ? 0n : BigInt(b.readUIntBE(0, n));
  if (n <= 12) {
    const lo = b.readUIntBE(n - 6, 6);
    const hi = b.readUIntBE(0, n - 6);
    return hi === 0 ? BigInt(lo) : (BigInt(hi) << 48n) | BigInt(lo);
  }
  let v = 0n;
  for (const byte of b) v = (v << 8n) | BigInt(byte);
  return v;
}

export function decodeValue(type: number, value: unknown): SnmpValue {
  if (type === T.NoSuchObject || type === T.NoSuchInstance || type === T.EndOfMibView || type === T.Null) return null;
  if (type === T.Counter64) {
    if (Buffer.isBuffer(value)) return bufferToBigInt(value);
    if (typeof value === 'number' || typeof value === 'bigint') return BigInt(value);
    return null;
  }
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return null;
}

/** Text of an OctetString (control characters and trailing NULs removed). */
export function str(vb: Cell | undefined): string | null {
  if (!vb || vb.value === null) return null;
  const s = Buffer.isBuffer(vb.value) ? vb.value.toString('utf8') : String(vb.value);
  return s
    .replace(/\0+$/, '')
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '')
    .trim();
}

export function num(vb: Cell | undefined): number | null {
  if (!vb || vb.value === null) return null;
  if (typeof vb.value === 'number') return vb.value;
  if (typeof vb.value === 'bigint') return Number(vb.value);
  const n = Number(Buffer.isBuffer(vb.value) ? vb.value.toString() : vb.value);
  return Number.isFinite(n) ? n : null;
}

export function big(vb: Cell | undefined): bigint | null {
  if (!vb || vb.value === null) return null;
  if (typeof vb.value === 'bigint') return vb.value;
  if (typeof vb.value === 'number') return BigInt(Math.trunc(vb.value));
  return null;
}

/** MAC-style hex of an OctetString (`00:1a:2b:...`), null when empty. */
export function hex(vb: Cell | undefined): string | null {
  if (!vb || !Buffer.isBuffer(vb.value) || vb.value.length === 0) return null;
  return [...vb.value].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * Compares dotted OIDs numerically: < 0 when a sorts before b. Called for every varbind of a
 * walk, so it skips the common prefix and compares only the first arc that differs, without
 * allocating. `from`: a position where both are known to agree before it and a new arc starts
 * (after a shared prefix and its dot), where the scan may begin.
 */
export function compareOids(a: string, b: string, from = 0): number {
  if (a === b) return 0;
  let i = from;
  const n = Math.min(a.length, b.length);
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === a.length) return b.charCodeAt(i) === 46 ? -1 : arcCmp(a, b, i); // a is a prefix
  if (i === b.length) return a.charCodeAt(i) === 46 ? 1 : arcCmp(a, b, i);
  return arcCmp(a, b, i);
}

/** Compares the arcs of a and b that contain position i (both agree before it). */
function arcCmp(a: string, b: string, i: number): number {
  let s = i;
  while (s > 0 && a.charCodeAt(s - 1) !== 46) s--;
  let ea = s;
  while (ea < a.length && a.charCodeAt(ea) !== 46) ea++;
  let eb = s;
  while (eb < b.length && b.charCodeAt(eb) !== 46) eb++;
  // same digits up to i: the longer arc is the bigger number, then the digit at i decides
  if (ea - s !== eb - s) return ea - s - (eb - s);
  if (ea === s) return a.length - b.length;
  return a.charCodeAt(i) - b.charCodeAt(i);
}

/** True when `oid` is strictly below `prefix` in the tree. */
export function isUnder(oid: string, prefix: string): boolean {
  return oid.length > prefix.length && oid.startsWith(prefix) && oid[prefix.length] === '.';
}
