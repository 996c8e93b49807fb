// A local disk spool of rrdcached commands for while rrdcached is unreachable. Commands are
// appended to segment files and replayed oldest first when it is back, so updates stay in
// order. The spool is bounded: when full, new commands are dropped with one warning per
// episode, because a poller's disk filling up (LibreNMS's failure mode) is worse than a gap.
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { RrdError } from '../../lib/errors.js';
import { createLogger, type Logger } from '../../lib/log.js';
import type { RrdBatchResult } from '../../lib/rrdcached.js';

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

  /** Appends commands in order; false (and a warning the first time) when the spool is full. */
  append(commands: string[]): boolean {
    if (commands.length === 0) return true;
    const text = commands.join('\n') + '\n';
    const len = Buffer.byteLength(text);
    if (this.bytes + len > this.maxBytes) {
      this.dropped += commands.length;
      if (!this.full) this.log.warn('spool_full', { dir: this.dir, bytes: this.bytes, max_bytes: this.maxBytes, hint: 'rrdcached is unreachable and spool_max_bytes is reached: updates are being dropped' });
      this.full = true;
      return false;
    }
    if (!this.current || this.current.bytes > this.segmentBytes) this.current = { file: join(this.dir, `spool-${String(++this.seq).padStart(15, '0')}.cmds`), bytes: 0 };
    appendFileSync(this.current.file, text, { mode: 0o640 });
    this.current.bytes += len;
    this.bytes += len;
    return true;
  }

  /**
   * Sends every segment, oldest first, through `send` (a BATCH) and deletes it once sent.
   * A failure stops the replay and is thrown; what was not sent stays for the next try.
   */
  async replay(send: (commands: string[]) => Promise<RrdBatchResult>): Promise<{ commands: number; errors: RrdBatchResult['errors'] }> {
    let commands = 0;
    const errors: RrdBatchResult['errors'] = [];
    // appends made while replaying go to a fresh segment, replayed in the next round
    while (this.segments().length > 0) {
      this.current = undefined;
      for (const f of this.segments()) {
        const path = join(this.dir, f);
        const text = readFileSync(path, 'utf8');
        const lines = text.split('\n').filter((l) => l.length > 0);
        const r = await send(lines);
        commands += lines.length;
        errors.push(...r.errors);
        unlinkSync(path);
        this.bytes = Math.max(0, this.bytes - Buffer.byteLength(text));
      }
    }
    if (this.full) this.log.info('spool_drained', { dropped: this.dropped });
    this.full = false;
    return { commands, errors };
  }

  private segments(): string[] {
    return readdirSync(this.dir).filter((f) => SEGMENT.test(f)).sort();
  }
}
