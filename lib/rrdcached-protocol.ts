// rrdcached's line protocol, apart from the socket (lib/rrdcached.ts): the shapes of commands
// and replies, formatting of the lines we send, parsing of the replies we get, and the one
// place where an error reply's text becomes a typed kind (RrdcachedError.kind), so that callers
// branch on the kind and never on rrdcached's wording.
//
// Protocol: every reply starts `<n> <message>`; n < 0 is an error, n >= 0 lines follow.
// BATCH answers `0 Go ahead` and, after the closing `.`, `<k> errors` plus k lines, each
// `<command number> <message>`.
import { RrdError } from './errors.js';

/**
 * What went wrong, decided from rrdcached's reply where it is parsed:
 * - `unavailable`: no connection, the connection broke, or no reply in time (spool and retry);
 * - `no-such-file`: the file does not exist (UPDATE, INFO, FETCH, FLUSH, FORGET);
 * - `file-exists`: CREATE without overwrite of a file that exists;
 * - `already-updated`: an UPDATE in the same second as the file's last one: the file has a value for
 *   that second (a batch applied just before its connection broke, sent again from the spool);
 * - `illegal-update`: an UPDATE earlier than the file's last one;
 * - `busy`: the file is locked by another process;
 * - `permission`: outside the daemon's base directory, or not a file it may write;
 * - `unknown-command`: a command this rrdcached does not know;
 * - `protocol`: a reply that does not follow the protocol;
 * - `refused`: any other error reply.
 */
export type RrdcachedErrorKind =
  | 'unavailable'
  | 'no-such-file'
  | 'file-exists'
  | 'already-updated'
  | 'illegal-update'
  | 'busy'
  | 'permission'
  | 'unknown-command'
  | 'protocol'
  | 'refused';

/** rrdcached answered with an error, or could not be asked: `kind` says which. */
export class RrdcachedError extends RrdError {
  constructor(
    readonly kind: RrdcachedErrorKind,
    message: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super(message, options);
  }
}

/** rrdcached could not be reached or the connection broke: the caller may spool and retry. */
export class RrdcachedUnavailableError extends RrdcachedError {
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super('unavailable', message, options);
  }
}

// rrdcached's own replies and librrd's errors it passes on, as rrdcached 1.7/1.8 word them
const KINDS: [RegExp, RrdcachedErrorKind][] = [
  [/^illegal attempt to update using time (\S+) when last update time is \1 /i, 'already-updated'],
  [/^illegal attempt to update/i, 'illegal-update'],
  [/no such file/i, 'no-such-file'],
  [/file exists/i, 'file-exists'],
  [/could not lock|lock failed|temporarily unavailable/i, 'busy'],
  [/permission denied|not a regular file|not owned by daemon user/i, 'permission'],
  [/^unknown command/i, 'unknown-command'],
];

/** The kind of an error reply's message (the text after its status). */
export function errorKindOf(message: string): RrdcachedErrorKind {
  for (const [re, kind] of KINDS) if (re.test(message)) return kind;
  return 'refused';
}

/** One reply: status (< 0 error), its message and the lines that followed. */
export interface RrdReply {
  status: number;
  message: string;
  lines: string[];
}

export interface RrdCreateSpec {
  /** Step in seconds. */
  step: number;
  /** Start time (seconds since the epoch); the first update must be later. Default now − 10 s. */
  start?: number;
  /** Fail instead of replacing an existing file. Default true. */
  noOverwrite?: boolean;
  /** `DS:name:TYPE:heartbeat:min:max` strings. */
  ds: string[];
  /** `RRA:CF:xff:steps:rows` strings. */
  rra: string[];
}

export interface RrdUpdate {
  path: string;
  /** Seconds since the epoch, fractions allowed (absolute: `N:` is rejected by rrdcached). */
  time: number;
  /** One value per DS; null is unknown. */
  values: (number | bigint | null)[];
}

/** A command of a BATCH that rrdcached refused. */
export interface RrdBatchError {
  /** Index into the commands sent. */
  index: number;
  message: string;
  kind: RrdcachedErrorKind;
}

export interface RrdBatchResult {
  sent: number;
  /** Per-command failures reported by rrdcached. */
  errors: RrdBatchError[];
}

export interface RrdFetchResult {
  start: number;
  step: number;
  ds: string[];
  rows: { time: number; values: (number | null)[] }[];
}

/** The status line of a reply, or undefined when the line is not one. */
export function parseStatusLine(line: string): { status: number; message: string } | undefined {
  const m = /^(-?\d+)\s?(.*)$/.exec(line);
  return m ? { status: Number(m[1]), message: m[2] } : undefined;
}

/** The error of a reply with a negative status, typed by its message. */
export function replyError(command: string, r: RrdReply): RrdcachedError {
  const head = command.split(' ').slice(0, 2).join(' ');
  return new RrdcachedError(errorKindOf(r.message), `rrdcached refused ${head}: ${r.message}`);
}

/** The refused commands of a BATCH reply; `offset` is the index of the batch's first command. */
export function parseBatchErrors(lines: string[], offset: number): RrdBatchError[] {
  const out: RrdBatchError[] = [];
  for (const l of lines) {
    const m = /^(\d+)\s+(.*)$/.exec(l);
    if (m) out.push({ index: offset + Number(m[1]) - 1, message: m[2], kind: errorKindOf(m[2]) });
  }
  return out;
}

/** STATS lines as numbers: QueueLength, UpdatesReceived, DataSetsWritten, ... */
export function parseStats(lines: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of lines) {
    const m = /^(\w+):\s*(-?\d+)/.exec(l);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** The number of data sources in INFO lines. */
export function parseInfoDsCount(lines: string[]): number {
  const names = new Set<string>();
  for (const l of lines) {
    const m = /^ds\[([^\]]+)\]\.type /.exec(l);
    if (m) names.add(m[1]);
  }
  return names.size;
}

/** FETCH lines: start, step, data source names and rows (NaN as null). */
export function parseFetch(lines: string[]): RrdFetchResult {
  const out: RrdFetchResult = { start: 0, step: 0, ds: [], rows: [] };
  for (const l of lines) {
    const kv = /^(\w+):\s*(.*)$/.exec(l);
    if (kv && kv[1] === 'Start') out.start = Number(kv[2]);
    else if (kv && kv[1] === 'Step') out.step = Number(kv[2]);
    else if (kv && kv[1] === 'DSName') out.ds = kv[2].trim().split(/\s+/);
    else {
      const row = /^(\d+):\s*(.*)$/.exec(l);
      if (row) out.rows.push({ time: Number(row[1]), values: row[2].trim().split(/\s+/).map(fetchValue) });
    }
  }
  return out;
}

const fetchValue = (v: string): number | null => (/nan/i.test(v) ? null : Number(v));

/** `CREATE path -s step -b start [-O] DS... RRA...`. */
export function formatCreate(path: string, spec: RrdCreateSpec, start: number): string {
  const parts = ['CREATE', checkPath(path), '-s', String(spec.step), '-b', String(start)];
  if (spec.noOverwrite ?? true) parts.push('-O');
  return [...parts, ...spec.ds, ...spec.rra].join(' ');
}

/** `UPDATE path time:v1:v2...` with unknowns as U; times to the millisecond. */
export function formatUpdate(u: RrdUpdate): string {
  // the agent formats half a million of these a cycle: one string grown in place, no arrays
  let line = `UPDATE ${checkPath(u.path)} ${Number.isInteger(u.time) ? String(u.time) : u.time.toFixed(3)}`;
  for (const v of u.values) line += v === null ? ':U' : `:${v}`;
  return line;
}

const BAD_PATH = /\s|\.\./;

/** `path` when it is safe on a command line: non-empty, no spaces, no `..`; RrdError otherwise. */
export function checkPath(path: string): string {
  if (!path || BAD_PATH.test(path))
    throw new RrdError(`RRD path ${JSON.stringify(path)} must be non-empty, without spaces or ".."`);
  return path;
}

export function parseAddress(address: string): { host: string; port: number } | { path: string } {
  if (address.startsWith('unix:')) return { path: address.slice(5) };
  if (address.startsWith('/')) return { path: address };
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
    throw new RrdError(`rrdcached address ${JSON.stringify(address)} must be host:port, unix:/path or /path`);
  return { host: m[1], port: Number(m[2]) };
}
