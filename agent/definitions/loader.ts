// Loads the OS definitions: YAML (line numbers kept), checked against the schema (ajv), regexes
// compiled once. A bad file is a DefinitionError naming file, line and field. The agent bundle
// carries them parsed and checked (scripts/build.mjs defines __NMS_DEFINITIONS__, and fails on a
// bad file); from the sources they are read from agent/definitions/os/.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { DefinitionError } from '../../lib/errors.js';
import { definitionSchema } from './schema.js';
import type { OsDefinition } from './types.js';

/** The agent bundle's definitions, parsed and checked when it was built (scripts/build.mjs). */
declare const __NMS_DEFINITIONS__: OsDefinition[] | undefined;

/** Definitions ready for use: by OS name, with every regex compiled. */
export interface DefinitionSet {
  list: OsDefinition[];
  byOs: Map<string, OsDefinition>;
  /** Compiled regex by its source text (shared by all definitions). */
  regex: Map<string, RegExp>;
}

// compiled on first use: the agent bundle checks nothing at run time (its definitions were checked when built)
let validator: ValidateFunction | undefined;
const validate = (data: unknown): boolean =>
  (validator ??= new Ajv({ allErrors: true, strict: true }).compile(definitionSchema))(data);

export const DEFINITIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'os');

/** Where a path of keys/indexes starts in the document (1-based line). */
function lineOf(doc: Document.Parsed, lc: LineCounter, path: (string | number)[]): number {
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      node = pair.value;
      offset = (pair.value as Node | null)?.range?.[0] ?? (pair.key as Node).range?.[0] ?? offset;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (!item) break;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else break;
  }
  return lc.linePos(offset).line;
}

function fieldOf(path: (string | number)[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('') || '(top)';
}

function ajvMessage(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties')
    return `unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'required') return `missing field "${(e.params as { missingProperty: string }).missingProperty}"`;
  if (e.keyword === 'enum')
    return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  if (e.keyword === 'pattern' && e.instancePath.includes('/sysObjectID/'))
    return 'must be a numeric OID with a leading dot (.1.3.6.1.4.1...)';
  if (e.keyword === 'pattern')
    return e.instancePath.match(/oid|sysObjectID|from|has|total|used|free|limit/i)
      ? 'must be a numeric OID'
      : `must match ${(e.params as { pattern: string }).pattern}`;
  return e.message ?? e.keyword;
}

/** Parses and checks one file; throws DefinitionError with `file:line field: problem`. */
export function parseDefinition(file: string, text: string, regex: Map<string, RegExp> = new Map()): OsDefinition {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new DefinitionError(`${file}:${e.linePos?.[0]?.line ?? 1}: YAML syntax: ${e.message.split('\n')[0]}`);
  }
  const data = doc.toJS() as unknown;
  const fail = (path: (string | number)[], msg: string) =>
    new DefinitionError(`${file}:${lineOf(doc, lc, path)} ${fieldOf(path)}: ${msg}`);
  if (!validate(data)) {
    // the deepest error says most (anyOf branches report at their parent too)
    const errs = [...(validator?.errors ?? [])].sort((a, b) => b.instancePath.length - a.instancePath.length);
    const e = errs[0];
    const path = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
    throw fail(path, ajvMessage(e));
  }
  const def = data as OsDefinition;
  if (def.os !== basename(file).replace(/\.ya?ml$/, ''))
    throw fail(['os'], `must equal the file name (${basename(file)})`);
  forEachRegex(def, (src, path) => {
    if (regex.has(src)) return;
    try {
      regex.set(src, new RegExp(src));
    } catch (err) {
      throw fail(path, `bad regular expression: ${(err as Error).message}`);
    }
  });
  return def;
}

/** Calls `fn` with every regex source in a definition and its field path. */
function forEachRegex(d: OsDefinition, fn: (src: string, path: (string | number)[]) => void): void {
  d.detect.forEach((r, i) => {
    r.sysDescr?.forEach((s, j) => fn(s, ['detect', i, 'sysDescr', j]));
    r.sysDescr_except?.forEach((s, j) => fn(s, ['detect', i, 'sysDescr_except', j]));
    if (r.get?.match) fn(r.get.match, ['detect', i, 'get', 'match']);
  });
  for (const [f, list] of Object.entries(d.fields ?? {}))
    list?.forEach((s, j) => s.match && fn(s.match, ['fields', f, j, 'match']));
  for (const [f, list] of Object.entries(d.ports ?? {}))
    list?.forEach((s, j) => s.match && fn(s.match, ['ports', f, j, 'match']));
  for (const m of ['processors', 'mempools', 'storage', 'sensors'] as const) {
    d[m]?.forEach((t, i) => {
      t.skip_descr?.forEach((s, j) => fn(s, [m, i, 'skip_descr', j]));
      t.keep_descr?.forEach((s, j) => fn(s, [m, i, 'keep_descr', j]));
      if (t.value_match) fn(t.value_match, [m, i, 'value_match']);
    });
  }
}

/** Every definition from `texts` (file name → YAML), checked. */
export function buildSet(texts: Record<string, string>): DefinitionSet {
  return setOf(compileDefinitions(texts));
}

/** Parses and checks every file: the checked definitions, in file name order. */
export function compileDefinitions(texts: Record<string, string>): OsDefinition[] {
  const regex = new Map<string, RegExp>();
  return Object.keys(texts)
    .sort()
    .map((file) => parseDefinition(file, texts[file], regex));
}

/** A set from definitions already checked (their regexes compiled here, once). */
export function setOf(list: OsDefinition[]): DefinitionSet {
  const regex = new Map<string, RegExp>();
  const byOs = new Map<string, OsDefinition>();
  for (const def of list) {
    forEachRegex(def, (src) => {
      if (!regex.has(src)) regex.set(src, new RegExp(src));
    });
    byOs.set(def.os, def);
  }
  if (!byOs.has('generic')) throw new DefinitionError('definitions: generic.yaml (the fallback) is missing');
  return { list, byOs, regex };
}

/** Reads every *.yaml in `dir`. */
export function readDefinitionTexts(dir = DEFINITIONS_DIR): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const f of readdirSync(dir).filter((x) => /\.ya?ml$/.test(x))) texts[f] = readFileSync(join(dir, f), 'utf8');
  return texts;
}

let loaded: DefinitionSet | undefined;

/**
 * The definitions this process uses, loaded once: in the agent bundle the ones checked at build
 * time (no YAML parsing at run time); from the sources the YAML files, checked now.
 */
export function definitions(): DefinitionSet {
  loaded ??= typeof __NMS_DEFINITIONS__ !== 'undefined' ? setOf(__NMS_DEFINITIONS__) : buildSet(readDefinitionTexts());
  return loaded;
}

/**
 * Replaces the definitions this process uses by `list` (checked already: e.g. a subset of
 * `definitions().list`). For benches and tests that compare against fewer definitions.
 */
export function useDefinitions(list: OsDefinition[]): void {
  loaded = setOf(list);
}
