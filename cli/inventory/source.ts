// One YAML file of an inventory with the positions of its nodes, so every problem can name
// file:line:column and a field path; and the schema step, which turns ajv's errors into such
// problems. Values of secret fields are never put into a message.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import jsYaml from 'js-yaml';
import type { InventoryProblem } from '../../lib/errors.js';

/** Custom schema keyword: the human words for a `pattern`, used in error messages. */
export const HINT_KEYWORD = 'x-hint';

export type FieldPath = (string | number)[];

export interface SourceFile {
  /** The file as the user named it (inventory dir as given + file name). */
  file: string;
  /** The document with node positions (parsed on first use: only problems need it). */
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** Plain data of the document (undefined when it did not parse). */
  data: unknown;
  /** Every value in this file is secret (secrets.yaml). */
  secret: boolean;
}

/** Keys whose values are secret in any file (device credentials). */
const SECRET_KEYS = new Set(['community', 'authpass', 'cryptopass', 'password']);

/** Anchors and aliases (`&a`, `*a`): the fast reader would share them, so such files take the full path. */
const ANCHOR_OR_ALIAS = /(?:^|[\s[{,])[&*][^\s,\]}]/m;

/**
 * Parses YAML text; syntax errors (and duplicate keys) come back as problems with positions.
 * A valid file is read by js-yaml (an order of magnitude faster on a 40,000-device
 * devices.yaml) and the positions are only built when a problem has to be located; a file
 * js-yaml refuses, or one with anchors, goes through the yaml library, which says where.
 */
export function parseSource(
  file: string,
  text: string,
  secret = false,
): { src: SourceFile; problems: InventoryProblem[] } {
  if (!ANCHOR_OR_ALIAS.test(text)) {
    try {
      const data = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA, filename: file });
      return { src: lazySource(file, text, secret, data ?? null), problems: [] };
    } catch {
      /* located below */
    }
  }
  const { doc, lineCounter } = positioned(text);
  const problems: InventoryProblem[] = doc.errors.map((e) => {
    const pos = e.linePos?.[0];
    const first = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    const path = pathAt(doc, e.pos[0]);
    const key = path[path.length - 1];
    const message =
      e.code === 'DUPLICATE_KEY'
        ? `duplicate key "${key}": each name may appear once in a mapping`
        : `YAML syntax: ${first}`;
    return { file, line: pos?.line, column: pos?.col, path: formatPath(path) || undefined, message };
  });
  let data: unknown;
  if (!problems.length) {
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      // The yaml library refuses an alias that expands too often (a "billion laughs" file).
      if (!(err instanceof ReferenceError)) throw err;
      const message =
        `YAML aliases expand too much (limit ${MAX_ALIAS_COUNT} copies per alias): ` +
        'write the values out instead of nesting aliases';
      problems.push({ file, ...firstAlias(doc, lineCounter), message });
    }
  }
  return { src: { file, doc, lineCounter, data, secret }, problems };
}

function positioned(text: string): { doc: Document.Parsed; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  return { doc: parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true }), lineCounter };
}

function lazySource(file: string, text: string, secret: boolean, data: unknown): SourceFile {
  let parsed: ReturnType<typeof positioned> | undefined;
  const get = (): ReturnType<typeof positioned> => (parsed ??= positioned(text));
  return {
    file,
    data,
    secret,
    get doc() {
      return get().doc;
    },
    get lineCounter() {
      return get().lineCounter;
    },
  };
}

/** How many times one alias may be expanded; an inventory has no reason to nest them. */
const MAX_ALIAS_COUNT = 100;

function firstAlias(doc: Document.Parsed, lineCounter: LineCounter): { line?: number; column?: number } {
  let offset: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  if (offset === undefined) return {};
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

const keyName = (k: unknown): string => (isScalar(k) ? String(k.value) : String(k));

/** The field path of the deepest node of the document around `offset` (for syntax errors). */
export function pathAt(doc: Document.Parsed, offset: number): FieldPath {
  const path: FieldPath = [];
  const spans = (n: Node | null | undefined): boolean => !!n?.range && n.range[0] <= offset && offset <= n.range[2];
  let node: unknown = doc.contents;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => {
        const k = p.key as Node | null;
        const v = p.value as Node | null;
        const start = k?.range?.[0] ?? v?.range?.[0];
        const end = v?.range?.[2] ?? k?.range?.[2];
        return start !== undefined && end !== undefined && start <= offset && offset <= end;
      });
      if (!pair) break;
      path.push(keyName(pair.key));
      node = pair.value;
    } else if (isSeq(node)) {
      const i = node.items.findIndex((it) => spans(it as Node));
      if (i < 0) break;
      path.push(i);
      node = node.items[i];
    } else break;
  }
  return path;
}

/** `hosts.poller1.ssh.port`, `devices[3].snmp`. */
export function formatPath(path: FieldPath): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/**
 * Where a field is: the value's start, or its key's when `key` is set. A path that does not
 * exist (a missing field) resolves to the deepest parent that does.
 */
export function locate(src: SourceFile, path: FieldPath, key = false): { line: number; column: number } {
  let node: unknown = src.doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyName(p.key) === String(seg));
      if (!pair) break;
      const keyNode = pair.key as Node | null;
      if (i === path.length - 1 && key && keyNode?.range) {
        offset = keyNode.range[0];
        break;
      }
      const value = pair.value as Node | null;
      offset = value?.range?.[0] ?? keyNode?.range?.[0] ?? offset;
      node = value;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  const { line, col } = src.lineCounter.linePos(offset);
  return { line, column: col };
}

export function problemAt(src: SourceFile, path: FieldPath, message: string, key = false): InventoryProblem {
  return { file: src.file, ...locate(src, path, key), path: formatPath(path) || undefined, message };
}

/** A value for a message, unless it is secret. */
export function shown(src: SourceFile, path: FieldPath, value: unknown): string {
  const last = path[path.length - 1];
  if (src.secret || (typeof last === 'string' && SECRET_KEYS.has(last))) return '';
  const text =
    value === null
      ? 'null'
      : typeof value === 'string'
        ? JSON.stringify(value)
        : Array.isArray(value)
          ? 'a list'
          : typeof value === 'object'
            ? 'a mapping'
            : String(value);
  return ` (got ${text.length > 60 ? text.slice(0, 57) + '...' : text})`;
}

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
ajv.addKeyword({ keyword: HINT_KEYWORD, schemaType: 'string' });
const compiled = new WeakMap<object, ValidateFunction>();

const TYPE_WORDS: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

function pointerToPath(pointer: string, data: unknown): FieldPath {
  const path: FieldPath = [];
  let cur = data;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const isIndex = Array.isArray(cur);
    path.push(isIndex ? Number(seg) : seg);
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
  }
  return path;
}

/** Closest known name, for "did you mean". */
function closest(word: string, names: string[]): string | undefined {
  const dist = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)] as number[]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length][b.length];
  };
  // Case and the choice of "-", "_" or nothing between words are the usual slips: ignore them.
  const norm = (s: string): string => s.toLowerCase().replace(/[-_ ]/g, '');
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const n of names) {
    const dd = norm(word) === norm(n) ? 0 : dist(word, n);
    if (dd < bestD) [best, bestD] = [n, dd];
  }
  return best;
}

const fieldIndexes = new WeakMap<object, Map<string, string[]>>();

/** Every field name of a schema with the paths it has there (for "it belongs under ..."). */
function fieldIndex(schema: object): Map<string, string[]> {
  let index = fieldIndexes.get(schema);
  if (index) return index;
  const found = new Map<string, string[]>();
  const walk = (s: Record<string, unknown>, at: string, depth: number): void => {
    if (depth > 6) return;
    for (const [k, v] of Object.entries((s.properties as Record<string, Record<string, unknown>> | undefined) ?? {})) {
      const path = at ? `${at}.${k}` : k;
      found.set(k, [...(found.get(k) ?? []), path]);
      walk(v, path, depth + 1);
    }
    const each = s.additionalProperties ?? s.items;
    const inner = `${at}.<name>`.replace(/^\./, '');
    if (each && typeof each === 'object') walk(each as Record<string, unknown>, inner, depth + 1);
  };
  walk(schema as Record<string, unknown>, '', 0);
  index = found;
  fieldIndexes.set(schema, index);
  return index;
}

function unknownField(src: SourceFile, path: FieldPath, name: string, known: string[], root: object): InventoryProblem {
  const guess = closest(name, known);
  let hint = guess ? `did you mean "${guess}"? ` : '';
  const elsewhere = guess ? undefined : fieldIndex(root).get(name);
  const parents = elsewhere?.map((p) => p.split('.').slice(0, -1).join('.') || 'the top level');
  if (parents) hint = `"${name}" belongs under ${parents.join(' or ')}; `;
  return problemAt(src, [...path, name], `unknown field: ${hint}known fields here: ${known.join(', ')}`, true);
}

function describeError(src: SourceFile, e: ErrorObject, root: object): InventoryProblem {
  const path = pointerToPath(e.instancePath, src.data);
  const p = e.params as Record<string, unknown>;
  const parent = e.parentSchema as Record<string, unknown> | undefined;
  switch (e.keyword) {
    case 'required':
      return problemAt(src, [...path, String(p.missingProperty)], 'is required but missing');
    case 'additionalProperties': {
      const name = String(p.additionalProperty);
      return unknownField(src, path, name, Object.keys((parent?.properties as object | undefined) ?? {}), root);
    }
    case 'type':
      return problemAt(src, path, `must be ${TYPE_WORDS[String(p.type)] ?? p.type}${shown(src, path, e.data)}`);
    case 'enum':
      return problemAt(
        src,
        path,
        `must be one of ${(p.allowedValues as unknown[]).join(', ')}${shown(src, path, e.data)}`,
      );
    case 'minimum':
    case 'maximum': {
      const lo = parent?.minimum;
      const hi = parent?.maximum;
      const range =
        lo !== undefined && hi !== undefined
          ? `from ${lo} to ${hi}`
          : e.keyword === 'minimum'
            ? `at least ${lo}`
            : `at most ${hi}`;
      return problemAt(src, path, `must be ${range}${shown(src, path, e.data)}`);
    }
    case 'minLength':
      return problemAt(
        src,
        path,
        Number(p.limit) <= 1 ? 'must not be empty' : `must be at least ${p.limit} characters long`,
      );
    case 'minItems':
      return problemAt(src, path, `must list at least ${p.limit} item${p.limit === 1 ? '' : 's'}`);
    case 'minProperties':
      return problemAt(src, path, `must have at least ${p.limit} entr${p.limit === 1 ? 'y' : 'ies'}`);
    case 'uniqueItems':
      return problemAt(src, [...path, Number(p.i)], `is listed twice (items ${p.j} and ${p.i})`);
    case 'pattern':
      return problemAt(
        src,
        path,
        `must be ${parent?.[HINT_KEYWORD] ?? `like ${p.pattern}`}${shown(src, path, e.data)}`,
      );
    default:
      return problemAt(src, path, e.message ?? 'is invalid');
  }
}

/**
 * Removes what the schema rejected (unknown keys, values of the wrong type or out of range), so
 * the later steps can still run on the rest and the user sees every problem in one go. A
 * rejected list item becomes undefined rather than going away, so indexes in messages stay right.
 */
function sanitise(data: unknown, errors: ErrorObject[]): unknown {
  const copy = structuredClone(data);
  for (const e of errors) {
    const path = pointerToPath(e.instancePath, copy);
    if (e.keyword === 'required') continue;
    if (e.keyword === 'additionalProperties')
      path.push(String((e.params as Record<string, unknown>).additionalProperty));
    if (e.keyword === 'uniqueItems') path.push(Number((e.params as Record<string, unknown>).i));
    if (path.length === 0) return undefined;
    let parent: unknown = copy;
    for (const seg of path.slice(0, -1))
      parent = parent !== null && typeof parent === 'object' ? (parent as Record<string, unknown>)[seg] : undefined;
    if (parent === null || typeof parent !== 'object') continue;
    const last = path[path.length - 1];
    if (Array.isArray(parent)) parent[Number(last)] = undefined;
    else delete (parent as Record<string, unknown>)[last];
  }
  return copy;
}

/**
 * Step 1: the schema. Every violation, each with its position, and the data with the rejected
 * parts removed (undefined when nothing usable is left).
 */
export function checkSchema(src: SourceFile, schema: object): { problems: InventoryProblem[]; data: unknown } {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(src.data)) return { problems: [], data: src.data };
  const errors = validate.errors ?? [];
  const seen = new Set<string>();
  const problems: InventoryProblem[] = [];
  for (const e of errors) {
    const prob = describeError(src, e, schema);
    const id = `${prob.line}:${prob.column}:${prob.path}:${prob.message}`;
    if (!seen.has(id)) problems.push(prob);
    seen.add(id);
  }
  return { problems, data: sanitise(src.data, errors) };
}
