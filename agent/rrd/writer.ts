// Writes a poll's RRD updates through rrdcached: CREATE (no overwrite) for files not seen yet
// by this agent, then UPDATEs with absolute times, all in one BATCH. While rrdcached is
// unreachable the commands go to the disk spool; once it answers again the spool is replayed
// first, so the updates of every file arrive in time order and no data point is lost.
import { RrdError } from '../../lib/errors.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { formatUpdate, RrdcachedUnavailableError, type RrdcachedClient } from '../../lib/rrdcached.js';
import { HashSet53 } from './hash-set.js';
import { createSpec, type RrdFileDef } from './layout.js';
import type { RrdSpool } from './spool.js';

export interface RrdWriterOptions {
  client: RrdcachedClient;
  /** Where commands wait while rrdcached is unreachable; without one they are lost. */
  spool?: RrdSpool;
  /** RRD step in seconds (LibreNMS: 300; tests use 10). Default 300. */
  step?: number;
  /** After rrdcached was unreachable, spool without trying it for this long (ms). Default 5000. */
  retryAfterMs?: number;
  logger?: Logger;
}

export interface RrdPoint {
  def: RrdFileDef;
  /** Seconds since the epoch. */
  time: number;
  values: (number | bigint | null)[];
}

export interface RrdWriteResult {
  /** Commands rrdcached took now (spool replay included). */
  sent: number;
  /** Commands put in the spool. */
  spooled: number;
  /** Commands dropped (no spool, or spool full). */
  dropped: number;
  /** Commands rrdcached refused (other than CREATE of an existing file). */
  errors: string[];
}

export class RrdWriter {
  readonly step: number;
  private readonly client: RrdcachedClient;
  private readonly spool?: RrdSpool;
  private readonly retryAfterMs: number;
  private readonly log: Logger;
  /**
   * Files this agent has sent a CREATE for, as 53-bit hashes of their paths: an agent polling
   * 10,000 devices knows half a million files, and the paths themselves would take ~50 MB (a
   * Set of the hashes still ~20 MB of V8 heap; HashSet53 keeps them in 8 MB off the heap). A
   * collision (about 1 in 10^5 at that size) or a file removed behind our back shows up as an
   * UPDATE refused for a missing file, which makes the next write create it again.
   */
  private readonly known = new HashSet53();
  private downUntil = 0;
  /** One flush of the spool at a time; writes wait for it so order holds. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(o: RrdWriterOptions) {
    this.client = o.client;
    this.spool = o.spool;
    this.step = o.step ?? 300;
    if (!Number.isInteger(this.step) || this.step < 1) throw new RrdError(`RrdWriterOptions.step must be a whole number of seconds >= 1 (got ${o.step})`);
    this.retryAfterMs = o.retryAfterMs ?? 5000;
    this.log = o.logger ?? createLogger('rrd.writer');
  }

  /** The commands for a set of points: CREATE for unseen files, then UPDATEs (counts checked). */
  commandsFor(points: RrdPoint[]): string[] {
    const creates: string[] = [];
    const updates: string[] = [];
    for (const p of points) {
      if (p.values.length !== p.def.ds.length) throw new RrdError(`update of ${p.def.path}: ${p.values.length} values for ${p.def.ds.length} data sources`);
      const key = pathHash(p.def.path);
      if (!this.known.has(key)) {
        const s = createSpec(p.def, this.step, Math.floor(p.time) - this.step);
        creates.push(['CREATE', p.def.path, '-s', s.step, '-b', s.start, '-O', ...s.ds, ...s.rra].join(' '));
        this.known.add(key);
      }
      updates.push(formatUpdate({ path: p.def.path, time: p.time, values: p.values }));
    }
    return creates.length === 0 ? updates : creates.concat(updates);
  }

  write(points: RrdPoint[]): Promise<RrdWriteResult> {
    const commands = this.commandsFor(points);
    const run = this.chain.then(() => this.send(commands));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async send(commands: string[]): Promise<RrdWriteResult> {
    const res: RrdWriteResult = { sent: 0, spooled: 0, dropped: 0, errors: [] };
    if (Date.now() < this.downUntil) return this.toSpool(commands, res);
    try {
      if (this.spool?.pending) {
        const r = await this.spool.replay((c) => this.client.batch(c));
        res.sent += r.commands;
        // CREATEs of files that exist by now are expected in a replay
        this.log.info('spool_replayed', { commands: r.commands, errors: r.errors.filter((e) => !/exist/i.test(e.message)).length });
      }
      const r = await this.client.batch(commands);
      res.sent += r.sent;
      for (const e of r.errors) {
        if (/exist/i.test(e.message)) continue;
        const [verb, path] = (commands[e.index] ?? '').split(' ');
        if (verb === 'UPDATE' && /no such file/i.test(e.message)) this.known.delete(pathHash(path));
        res.errors.push(`${verb} ${path}: ${e.message}`);
      }
      return res;
    } catch (err) {
      if (!(err instanceof RrdcachedUnavailableError)) throw err;
      this.downUntil = Date.now() + this.retryAfterMs;
      this.log.warn('rrdcached_unreachable', { error: err.message, spooling: Boolean(this.spool) });
      return this.toSpool(commands, res);
    }
  }

  private toSpool(commands: string[], res: RrdWriteResult): RrdWriteResult {
    if (this.spool?.append(commands)) res.spooled += commands.length;
    else res.dropped += commands.length;
    return res;
  }

  /** Tries the spool now (the agent calls this on a timer so a quiet agent drains it too). */
  async drain(): Promise<number> {
    if (!this.spool?.pending) return 0;
    const run = this.chain.then(async () => {
      this.downUntil = 0;
      return (await this.spool!.replay((c) => this.client.batch(c))).commands;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** FNV-1a over the path twice (two offsets), folded into 53 bits: exact in a double. */
export function pathHash(path: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193 + 0x2f);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}
