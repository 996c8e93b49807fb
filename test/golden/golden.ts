// Golden files: varbinds recorded from a real SNMP agent (or written by hand, which the
// `source` field says) and the record the collector is expected to make of them.
// Values: OctetStrings as {"hex": "..."}, Counter64 as decimal strings, others as JSON.
import { readFileSync } from 'node:fs';
import type { Varbind } from '../../agent/snmp/types.js';
import { T } from '../../agent/snmp/values.js';

export interface GoldenVarbind {
  oid: string;
  type: number;
  value: number | string | { hex: string } | null;
}

export interface GoldenFile {
  collector: string;
  source: string;
  varbinds: GoldenVarbind[];
  expected: unknown;
}

export function encodeVarbind(vb: Varbind): GoldenVarbind {
  const v = vb.value;
  const value = Buffer.isBuffer(v) ? { hex: v.toString('hex') } : typeof v === 'bigint' ? v.toString() : v;
  return { oid: vb.oid, type: vb.type, value };
}

export function decodeVarbind(g: GoldenVarbind): Varbind {
  const v = g.value;
  if (v !== null && typeof v === 'object') return { oid: g.oid, type: g.type, value: Buffer.from(v.hex, 'hex') };
  if (g.type === T.Counter64 && v !== null) return { oid: g.oid, type: g.type, value: BigInt(v) };
  return { oid: g.oid, type: g.type, value: v };
}

/** A record as JSON-comparable data (bigints become decimal strings). */
export function jsonable(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
}

export function readGolden(path: string): GoldenFile {
  return JSON.parse(readFileSync(path, 'utf8')) as GoldenFile;
}
