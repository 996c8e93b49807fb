// Reads a recording in snmpsim's .snmprec format (`OID|tag|value` a line) into varbinds as our
// SNMP layer hands them to collectors, so that unit tests feed collectors from real devices'
// recordings without a simulator. Tags: 2 integer, 4 string, 4x hex string, 5 null, 6 OID,
// 64 / 64x IpAddress, 65 Counter32, 66 Gauge32, 67 TimeTicks, 70 Counter64, 128-130 holes.
// A value that is not valid for its tag (LibreNMS's recordings hold a few) becomes a hole
// (value null), as the simulator could not serve it either. The one reader of recordings in the
// tests: collectors take its varbinds, the definitions engine its SnmpReader (recordingReader).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectedFromList } from '../../agent/collectors/runner.js';
import type { CollectedData, Collector } from '../../agent/collectors/types.js';
import type { SnmpReader } from '../../agent/definitions/reader.js';
import { compareOids, isUnder, T } from '../../agent/snmp/values.js';
import type { Cell, Varbind } from '../../agent/snmp/types.js';
import { repoRoot } from '../../lib/repo-root.js';

/** ../shared/librenms-testdata from the worktree root. */
export const TESTDATA = join(repoRoot(), '..', 'shared', 'librenms-testdata');

/** Names of the recordings (file names without .snmprec), sorted. */
export function recordingNames(): string[] {
  return readdirSync(join(TESTDATA, 'recordings'))
    .filter((f) => f.endsWith('.snmprec'))
    .map((f) => f.slice(0, -'.snmprec'.length))
    .sort();
}

/** Parses snmprec text into varbinds sorted by OID. */
export function parseSnmprec(text: string): Varbind[] {
  const out: Varbind[] = [];
  for (const line of text.split('\n')) {
    const a = line.indexOf('|');
    const b = a < 0 ? -1 : line.indexOf('|', a + 1);
    if (b < 0) continue;
    const oid = line.slice(0, a).replace(/^\./, '');
    out.push({ oid, ...decode(line.slice(a + 1, b), line.slice(b + 1).replace(/\r$/, '')) });
  }
  return out.sort((x, y) => compareOids(x.oid, y.oid));
}

const HOLE = { type: T.NoSuchInstance, value: null };

function decode(tag: string, raw: string): Pick<Varbind, 'type' | 'value'> {
  const hexed = tag.endsWith('x');
  const t = Number(hexed ? tag.slice(0, -1) : tag);
  const bytes = hexed ? (/^([0-9a-fA-F]{2})*$/.test(raw) ? Buffer.from(raw, 'hex') : null) : Buffer.from(raw, 'utf8');
  if (bytes === null) return HOLE;
  switch (t) {
    case T.OctetString:
    case T.Opaque:
      return { type: t, value: bytes };
    case T.Integer:
    case T.Counter:
    case T.Gauge:
    case T.TimeTicks: {
      const s = bytes.toString();
      if (!/^-?\d+$/.test(s)) return HOLE;
      return { type: t, value: Number(s) };
    }
    case T.Counter64: {
      const s = bytes.toString();
      return /^\d+$/.test(s) ? { type: t, value: BigInt(s) } : HOLE;
    }
    case T.OID:
      return { type: t, value: bytes.toString().replace(/^\.|\.$/g, '') }; // one recording ends an OID with a dot
    case T.IpAddress:
      return { type: t, value: hexed ? [...bytes].join('.') : bytes.toString() };
    default:
      return HOLE;
  }
}

const cache = new Map<string, Varbind[]>();

/** The varbinds of recordings/<name>.snmprec (read once per test process). */
export function readRecording(name: string): Varbind[] {
  let vbs = cache.get(name);
  if (!vbs) {
    vbs = parseSnmprec(readFileSync(join(TESTDATA, 'recordings', `${name}.snmprec`), 'utf8'));
    cache.set(name, vbs);
  }
  return vbs;
}

/** What a collector would get from the recorded device. */
export function collectFromRecording(name: string, c: Collector<unknown>): CollectedData {
  return collectedFromList(c, readRecording(name));
}

/** A recording as the definitions engine reads a device (get, next, walk), without a network. */
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

/** expected/<name>.json: LibreNMS's rows per module. */
export function readExpected(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(TESTDATA, 'expected', `${name}.json`), 'utf8')) as Record<string, unknown>;
}

/**
 * Rows of one table of a module in expected/<name>.json (`poller` falls back to `discovery` when it "matches
 * discovery").
 */
export function expectedRows(
  name: string,
  module: string,
  table: string,
  phase: 'discovery' | 'poller' = 'discovery',
): Record<string, unknown>[] | undefined {
  const m = readExpected(name)[module] as Record<string, unknown> | undefined;
  if (!m) return undefined;
  let p = m[phase];
  if (typeof p === 'string' || p === undefined) p = m.discovery;
  return ((p as Record<string, unknown> | undefined)?.[table] as Record<string, unknown>[] | undefined) ?? undefined;
}
