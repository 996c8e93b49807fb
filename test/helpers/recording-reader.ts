// Reads a recording in snmpsim's format (`OID|tag|value` a line) into an SnmpReader, so that
// the definitions engine runs against the shared test data without a network. Values invalid
// for their tag are kept as text, as snmpsim would serve them.
import { readFileSync } from 'node:fs';
import type { SnmpReader } from '../../agent/definitions/reader.js';
import { compareOids, isUnder } from '../../agent/snmp/values.js';
import type { Cell, Varbind } from '../../agent/snmp/types.js';

export const TESTDATA = new URL('../../../shared/librenms-testdata/', import.meta.url).pathname;

function cellOf(tag: string, text: string): Cell {
  const type = Number(tag.replace(/x$/, ''));
  if (tag.endsWith('x')) return { type, value: Buffer.from(text, 'hex') };
  if (type === 4) return { type, value: Buffer.from(text, 'utf8') };
  if (type === 6 || type === 64) return { type, value: text };
  if (type === 70) return { type, value: /^\d+$/.test(text) ? BigInt(text) : null };
  const n = Number(text);
  return { type, value: Number.isFinite(n) ? n : null };
}

export function readRecording(name: string): Varbind[] {
  const out: Varbind[] = [];
  for (const line of readFileSync(`${TESTDATA}recordings/${name}.snmprec`, 'utf8').split('\n')) {
    const a = line.indexOf('|');
    const b = line.indexOf('|', a + 1);
    if (a < 0 || b < 0) continue;
    out.push({ oid: line.slice(0, a), ...cellOf(line.slice(a + 1, b), line.slice(b + 1)) });
  }
  return out.sort((x, y) => compareOids(x.oid, y.oid));
}

export function recordingReader(name: string): SnmpReader & { varbinds: Varbind[] } {
  const varbinds = readRecording(name);
  const byOid = new Map(varbinds.map((v) => [v.oid, v]));
  return {
    varbinds,
    async get(oids) {
      const m = new Map<string, Cell>();
      for (const o of oids) if (byOid.has(o)) m.set(o, byOid.get(o)!);
      return m;
    },
    async next(oid) {
      return varbinds.find((v) => compareOids(v.oid, oid) > 0) ?? null;
    },
    async walk(columns) {
      const out = new Map(columns.map((c) => [c, new Map<string, Cell>()]));
      for (const v of varbinds)
        for (const c of columns) if (isUnder(v.oid, c)) out.get(c)!.set(v.oid.slice(c.length + 1), v);
      return out;
    },
  };
}

export function expectedOf(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${TESTDATA}expected/${name}.json`, 'utf8')) as Record<string, unknown>;
}
