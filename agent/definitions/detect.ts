// Decides a device's OS from its definitions, once, at discovery: every rule whose sysObjectID
// and sysDescr conditions hold is a candidate, scored by priority and by how specific it is
// (longest sysObjectID prefix, sysDescr and extra-GET conditions); the best whose extra GET
// also holds wins; `generic` when none does. Then reads the OS fields (hardware, version...).
import { isUnder, str } from '../snmp/values.js';
import type { Cell } from '../snmp/types.js';
import type { DefinitionSet } from './loader.js';
import type { SnmpReader } from './reader.js';
import type { DetectRule, OsDefinition, ValueSource } from './types.js';

export interface SystemIdentity {
  sysDescr: string;
  /** Dotted, with or without the leading dot. */
  sysObjectID: string;
}

/** The `os` module's row, in LibreNMS's column names. */
export interface OsRecord {
  os: string;
  hardware: string | null;
  version: string | null;
  serial: string | null;
  features: string | null;
  icon: string;
  sysObjectID: string;
  sysDescr: string;
}

/** sysObjectID with LibreNMS's leading dot. */
export const dotted = (oid: string) => {
  const o = oid.replace(/\.$/, ''); // a recorded agent ends its sysObjectID with a dot
  return o === '' || o.startsWith('.') ? o : `.${o}`;
};
/** sysDescr without the quotes some agents wrap it in. */
export const unquote = (s: string) => s.replace(/^"([\s\S]*)"$/, '$1').trim();

/** How specific a rule is on static facts, or -1 when it does not hold. */
function staticScore(set: DefinitionSet, rule: DetectRule, sys: SystemIdentity): number {
  let score = 0;
  if (rule.sysObjectID) {
    const hit = rule.sysObjectID.filter(
      (p) => sys.sysObjectID === p || isUnder(sys.sysObjectID, p) || (p.endsWith('.') && sys.sysObjectID.startsWith(p)),
    );
    if (hit.length === 0) return -1;
    score += Math.max(...hit.map((p) => p.split('.').length));
  }
  if (rule.sysDescr) {
    if (!rule.sysDescr.some((r) => set.regex.get(r)!.test(sys.sysDescr))) return -1;
    score += 1;
  }
  if (rule.sysDescr_except?.some((r) => set.regex.get(r)!.test(sys.sysDescr))) return -1;
  if (rule.get || rule.has) score += 2;
  return score;
}

/** Picks the OS definition for a device. */
export async function detectOs(set: DefinitionSet, sys: SystemIdentity, reader: SnmpReader): Promise<OsDefinition> {
  const id = { sysDescr: unquote(sys.sysDescr), sysObjectID: dotted(sys.sysObjectID) };
  const candidates: { def: OsDefinition; rule: DetectRule; score: number }[] = [];
  for (const def of set.list) {
    for (const rule of def.detect) {
      const s = staticScore(set, rule, id);
      if (s >= 0) candidates.push({ def, rule, score: (def.priority ?? 0) * 1000 + s });
    }
  }
  candidates.sort((a, b) => b.score - a.score);
  const got = new Map<string, Cell | null>();
  for (const { def, rule } of candidates) {
    if (rule.get) {
      if (!got.has(rule.get.oid)) got.set(rule.get.oid, (await reader.get([rule.get.oid])).get(rule.get.oid) ?? null);
      const v = str(got.get(rule.get.oid) ?? undefined);
      if (v === null || v === '' || (rule.get.match && !set.regex.get(rule.get.match)!.test(v))) continue;
    }
    if (rule.has) {
      const vb = await reader.next(rule.has);
      if (!vb || !isUnder(vb.oid, rule.has)) continue;
    }
    return def;
  }
  return set.byOs.get('generic')!;
}

/** `{1.3.6...}`, `{sysDescr}`, `{sysObjectID}` in a template: other values it is built from. */
const PLACEHOLDER = /\{(sysDescr|sysObjectID|\d+(?:\.\d+)+)\}/g;
export const templateOids = (t: string | undefined): string[] =>
  [...(t ?? '').matchAll(PLACEHOLDER)].map((m) => m[1]).filter((x) => /^\d/.test(x));

/**
 * Applies match, template and map to a raw value; null when it does not match or ends empty.
 * `lookup` gives the values of a template's placeholders.
 */
export function shape(
  set: DefinitionSet,
  src: ValueSource,
  raw: string | null,
  lookup: (key: string) => string | null = () => null,
): string | null {
  if (raw === null) return null;
  let v = raw.trim();
  if (src.match) {
    const m = set.regex.get(src.match)!.exec(v);
    if (!m) return null;
    const template = src.template ?? (m.length > 1 ? '$1' : '$0');
    v = template.replace(
      /\$<(\w+)>|\$(\d)/g,
      (_, name: string | undefined, n: string | undefined) => (name ? m.groups?.[name] : m[Number(n)]) ?? '',
    );
  } else if (src.template) v = src.template.replace(/\$0/g, v);
  if (src.template) v = v.replace(PLACEHOLDER, (_, key: string) => lookup(key) ?? '');
  v = v.trim();
  // a map names known values only: an unknown one gives nothing rather than a raw code
  if (src.map) v = src.map[v] ?? '';
  return v === '' ? null : v;
}

/** Reads hardware, version, serial and features as the definition says. */
export async function osRecord(
  set: DefinitionSet,
  def: OsDefinition,
  sys: SystemIdentity,
  reader: SnmpReader,
): Promise<OsRecord> {
  const id = { sysDescr: unquote(sys.sysDescr), sysObjectID: dotted(sys.sysObjectID) };
  const sources = Object.values(def.fields ?? {}).flat() as ValueSource[];
  const gets = [
    ...new Set([
      ...sources.filter((s) => !s.first && /^\d/.test(s.from)).map((s) => s.from),
      ...sources.flatMap((s) => templateOids(s.template)),
    ]),
  ];
  const columns = [...new Set(sources.filter((s) => s.first).map((s) => s.from))];
  const values = gets.length ? await reader.get(gets) : new Map<string, Cell>();
  const walked = columns.length ? await reader.walk(columns) : new Map<string, Map<string, Cell>>();
  const lookup = (key: string): string | null =>
    key === 'sysDescr' ? id.sysDescr : key === 'sysObjectID' ? id.sysObjectID : str(values.get(key));
  const valueOf = (s: ValueSource): string | null => {
    if (!s.first) return shape(set, s, lookup(s.from), lookup);
    // the first row of the column that gives a value
    for (const cell of walked.get(s.from)?.values() ?? []) {
      const v = shape(set, s, str(cell), lookup);
      if (v !== null) return v;
    }
    return null;
  };
  const field = (name: keyof NonNullable<OsDefinition['fields']>): string | null => {
    for (const s of def.fields?.[name] ?? []) {
      const v = valueOf(s);
      if (v !== null) return v;
    }
    return null;
  };
  return {
    os: def.os,
    hardware: field('hardware'),
    version: field('version'),
    serial: field('serial'),
    features: field('features'),
    icon: def.icon,
    sysObjectID: id.sysObjectID,
    sysDescr: id.sysDescr,
  };
}
