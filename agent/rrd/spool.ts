// A local disk spool of rrdcached commands for while rrdcached is unreachable. Each device poll
// is one record (a header with the device key and poll time, then its commands) appended to
// segment files; the replay sends records oldest poll first, so updates stay in order, and lets
// a record wait while another node holds an older update of its device (agent/rrd/order.ts).
// The spool is bounded: when full, new commands are dropped with one warning per episode,
// because a poller's disk filling up (LibreNMS's failure mode) is worse than a gap.
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { RrdError } from '../../lib/errors.js';
import { createLogger, type Logger } from '../../lib/log.js';
import type { RrdBatchResult, RrdcachedErrorKind } from '../../lib/rrdcached.js';

export interface RrdSpoolOptions {
  /** Directory of the segment files (created when missing). */
  dir: string;
  /** Most bytes kept; beyond it commands are dropped with a warning. Default 256 MiB. */
  maxBytes?: number;
  /** A segment is closed and a new one started past this size. Default 4 MiB. */
  segmentBytes?: number;
  logger?: Logger;
}

export const DEFAULT_RRD_SPOOL_OPTIONS = { maxBytes: 256 * 1024 * 1024, segmentBytes: 4 * 1024 * 1024 };

const SEGMENT = /^spool-(\d{15})\.cmds$/;
/** Header line of a record: `#R <device key> <poll time>`; never sent. */
const RECORD = '#R';
/** Commands per BATCH in a replay. */
const REPLAY_BATCH_COMMANDS = 5000;
/** Segments read per replay pass (the rest waits for the next pass). */
const LOAD_MAX_BYTES = 64 * 1024 * 1024;

export interface SpoolRecordMeta {
  /** The device's key (its RRD directory); the unit of cross-node ordering. */
  key: string;
  /** Poll time (seconds): the earliest update time of the record. */
  time: number;
}

interface SpoolRecord {
  segment: string;
  index: number;
  key?: string;
  time: number;
  lines: string[];
}

export interface ReplayHooks {
  /** Whether a device's record must wait (another node holds an older one). */
  blocked?: (key: string, time: number) => Promise<boolean>;
  /** Called once a record was sent. */
  sent?: (key: string, time: number) => Promise<void>;
}

export interface ReplayResult {
  /** Commands sent. */
  commands: number;
  /** Records sent. */
  records: number;
  /** Records left for a later pass because another node holds an older update of their device. */
  waiting: number;
  /** Commands rrdcached refused, with its reason. */
  errors: { command: string; message: string; kind: RrdcachedErrorKind }[];
}

export class RrdSpool {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly log: Logger;
  private bytes = 0;
  private current?: { file: string; bytes: number };
  private seq = 0;
  private full = false;
  /** Commands dropped because the spool was full, since start. */
  dropped = 0;
  /** Per segment: indexes of the records sent (a segment is deleted when all are). */
  private readonly done = new Map<string, Set<number>>();
  /** Per segment read: how many records it holds. */
  private readonly counts = new Map<string, number>();

  constructor(options: RrdSpoolOptions) {
    if (!options.dir) throw new RrdError('RrdSpoolOptions.dir is required');
    this.dir = options.dir;
    this.maxBytes = options.maxBytes ?? DEFAULT_RRD_SPOOL_OPTIONS.maxBytes;
    this.segmentBytes = options.segmentBytes ?? DEFAULT_RRD_SPOOL_OPTIONS.segmentBytes;
    this.log = options.logger ?? createLogger('rrd.spool');
    mkdirSync(this.dir, { recursive: true, mode: 0o750 });
    // segments left by an earlier run are replayed like new ones
    for (const f of this.segments()) {
      this.bytes += statSync(join(this.dir, f)).size;
      this.seq = Math.max(this.seq, Number(SEGMENT.exec(f)![1]));
    }
  }

  /** Bytes waiting. */
  get size(): number {
    return this.bytes;
  }

  get pending(): boolean {
    return this.bytes > 0;
  }

  /**
   * Appends one record (one device's poll) in order; false (and a warning the first time) when
   * the spool is full. `meta` names the device key (its RRD directory) and the poll time, which
   * the replay orders by and the cluster's order book tracks.
   */
  append(commands: string[], meta?: SpoolRecordMeta): boolean {
    if (commands.length === 0) return true;
    // a record without a device is replayed in append order, before the ordered ones
    const head = meta ? `${RECORD} ${meta.key} ${meta.time}\n` : `${RECORD} - -Infinity\n`;
    const text = head + commands.join('\n') + '\n';
    const len = Buffer.byteLength(text);
    if (this.bytes + len > this.maxBytes) {
      this.dropped += commands.length;
      if (!this.full)
        this.log.warn('spool_full', {
          dir: this.dir,
          bytes: this.bytes,
          max_bytes: this.maxBytes,
          hint: 'rrdcached is unreachable and spool_max_bytes is reached: updates are being dropped',
        });
      this.full = true;
      return false;
    }
    if (!this.current || this.current.bytes > this.segmentBytes)
      this.current = { file: join(this.dir, `spool-${String(++this.seq).padStart(15, '0')}.cmds`), bytes: 0 };
    appendFileSync(this.current.file, text, { mode: 0o640 });
    this.current.bytes += len;
    this.bytes += len;
    return true;
  }

  /**
   * One replay pass: the records of the closed segments (appends go to a fresh one meanwhile),
   * oldest poll first, sent in BATCHes through `send`; a record `hooks.blocked` says must wait
   * (another node holds an older update of its device) stays for the next pass. A segment is
   * deleted once all its records are sent. A failure of `send` stops the pass and is thrown;
   * what was not sent stays.
   */
  async replay(send: (commands: string[]) => Promise<RrdBatchResult>, hooks: ReplayHooks = {}): Promise<ReplayResult> {
    const out: ReplayResult = { commands: 0, records: 0, waiting: 0, errors: [] };
    this.current = undefined;
    const records = this.load().sort((a, b) => a.time - b.time);
    let batch: SpoolRecord[] = [];
    let size = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const cmds = batch.flatMap((r) => r.lines);
      const res = await send(cmds);
      for (const e of res.errors) out.errors.push({ command: cmds[e.index] ?? '', message: e.message, kind: e.kind });
      out.commands += cmds.length;
      out.records += batch.length;
      for (const r of batch) {
        this.doneIn(r.segment).add(r.index);
        if (r.key !== undefined) await hooks.sent?.(r.key, r.time);
      }
      batch = [];
      size = 0;
      this.dropFinished();
    };
    for (const r of records) {
      if (r.key !== undefined && hooks.blocked && (await hooks.blocked(r.key, r.time))) {
        out.waiting++;
        continue;
      }
      batch.push(r);
      size += r.lines.length;
      if (size >= REPLAY_BATCH_COMMANDS) await flush();
    }
    await flush();
    this.dropFinished();
    if (!this.pending && this.full) this.log.info('spool_drained', { dropped: this.dropped });
    if (!this.pending) this.full = false;
    return out;
  }

  /** Records of the segments on disk not yet sent, up to LOAD_MAX_BYTES of segments. */
  private load(): SpoolRecord[] {
    const out: SpoolRecord[] = [];
    let bytes = 0;
    for (const f of this.segments()) {
      if (bytes > LOAD_MAX_BYTES) break;
      const text = readFileSync(join(this.dir, f), 'utf8');
      bytes += text.length;
      const done = this.done.get(f);
      let rec: SpoolRecord | undefined;
      let index = 0;
      const recs: SpoolRecord[] = [];
      for (const line of text.split('\n')) {
        if (line.length === 0) continue;
        if (line.startsWith(RECORD + ' ')) {
          const [, key, time] = line.split(' ');
          rec = { segment: f, index: index++, key: key === '-' ? undefined : key, time: Number(time), lines: [] };
          recs.push(rec);
        } else {
          // commands written before records had headers: one record, replayed first, unordered
          if (!rec) recs.push((rec = { segment: f, index: index++, time: -Infinity, lines: [] }));
          rec.lines.push(line);
        }
      }
      this.counts.set(f, recs.length);
      for (const r of recs) if (!done?.has(r.index)) out.push(r);
    }
    return out;
  }

  private doneIn(segment: string): Set<number> {
    let s = this.done.get(segment);
    if (!s) this.done.set(segment, (s = new Set()));
    return s;
  }

  /** Deletes the segments whose every record was sent. */
  private dropFinished(): void {
    for (const [f, done] of this.done) {
      if (done.size < (this.counts.get(f) ?? Infinity)) continue;
      const path = join(this.dir, f);
      try {
        this.bytes = Math.max(0, this.bytes - statSync(path).size);
        unlinkSync(path);
      } catch {
        // already gone
      }
      this.done.delete(f);
      this.counts.delete(f);
    }
  }

  private segments(): string[] {
    return readdirSync(this.dir)
      .filter((f) => SEGMENT.test(f))
      .sort();
  }
}
