// Writes a poll's RRD updates through rrdcached: CREATE (no overwrite) for files not seen yet
// by this agent, then UPDATEs with absolute times, all in one BATCH. While rrdcached is
// unreachable the commands go to the disk spool, one record per device poll; a timer asks
// rrdcached every second and replays the spool as soon as it answers. RRD takes only increasing
// times per file, so across the cluster (a device's jobs move between pollers) the order book
// (order.ts) holds a live write behind any node's older spooled updates of the same device, and
// a replayed record behind other nodes' older ones. Every refused command is logged with
// rrdcached's reason.
import { RrdError } from '../../lib/errors.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { formatUpdate, RrdcachedUnavailableError, type RrdcachedClient } from '../../lib/rrdcached.js';
import { HashSet53 } from './hash-set.js';
import { createSpec, type RrdFileDef } from './layout.js';
import type { RrdSpool, SpoolRecordMeta } from './spool.js';
import type { SpoolOrderBook } from './order.js';

export interface RrdWriterOptions {
  client: RrdcachedClient;
  /** Where commands wait while rrdcached is unreachable; without one they are lost. */
  spool?: RrdSpool;
  /** RRD step in seconds (LibreNMS: 300; tests use 10). Default 300. */
  step?: number;
  /** After rrdcached was unreachable, spool without trying it for this long (ms). Default 5000. */
  retryAfterMs?: number;
  /** The cluster's order of spooled updates (Redis); without one, replay keeps this node's order only. */
  order?: SpoolOrderBook;
  /** While the spool holds anything, ask rrdcached this often and replay once it answers (ms). Default 1000. */
  drainEveryMs?: number;
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
  /** One write at a time, in call order, so a device's updates never overtake each other. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly order?: SpoolOrderBook;
  private readonly drainEveryMs: number;
  private replaying?: Promise<number>;
  private timer?: NodeJS.Timeout;

  constructor(o: RrdWriterOptions) {
    this.client = o.client;
    this.spool = o.spool;
    this.step = o.step ?? 300;
    if (!Number.isInteger(this.step) || this.step < 1)
      throw new RrdError(`RrdWriterOptions.step must be a whole number of seconds >= 1 (got ${o.step})`);
    this.retryAfterMs = o.retryAfterMs ?? 5000;
    this.order = o.order;
    this.drainEveryMs = o.drainEveryMs ?? 1000;
    this.log = o.logger ?? createLogger('rrd.writer');
  }

  /** The commands for a set of points: CREATE for unseen files, then UPDATEs (counts checked). */
  commandsFor(points: RrdPoint[]): string[] {
    const creates: string[] = [];
    const updates: string[] = [];
    for (const p of points) {
      if (p.values.length !== p.def.ds.length)
        throw new RrdError(`update of ${p.def.path}: ${p.values.length} values for ${p.def.ds.length} data sources`);
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
    const meta = recordMeta(points);
    const run = this.chain.then(() => this.send(commands, meta));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async send(commands: string[], meta: SpoolRecordMeta | undefined): Promise<RrdWriteResult> {
    const res: RrdWriteResult = { sent: 0, spooled: 0, dropped: 0, errors: [] };
    if (Date.now() < this.downUntil) return this.toSpool(commands, meta, res);
    try {
      // this node's own spool goes first: replay it now, and queue behind it what is left
      // (one pass, never waiting for other nodes: a poll must not stall behind them)
      if (this.spool?.pending && !this.replaying) res.sent += await this.replayNow(1);
      if (this.spool?.pending) return this.toSpool(commands, meta, res);
      // another node still holds older updates of this device: queue behind them
      if (meta && this.order && (await this.order.held(meta.key))) return this.toSpool(commands, meta, res);
      const r = await this.client.batch(commands);
      res.sent += r.sent;
      for (const e of r.errors) {
        if (e.kind === 'file-exists') continue;
        const [verb, path] = (commands[e.index] ?? '').split(' ');
        if (verb === 'UPDATE' && e.kind === 'no-such-file') this.known.delete(pathHash(path));
        res.errors.push(`${verb} ${path}: ${e.message}`);
        this.log.warn('rrd_update_rejected', {
          command: commandHead(commands[e.index]),
          reason: e.message,
          kind: e.kind,
          replay: false,
        });
      }
      return res;
    } catch (err) {
      if (!(err instanceof RrdcachedUnavailableError)) throw err;
      this.markDown(err);
      return this.toSpool(commands, meta, res);
    }
  }

  private markDown(err: Error): void {
    this.downUntil = Date.now() + this.retryAfterMs;
    this.log.warn('rrdcached_unreachable', { error: err.message, spooling: Boolean(this.spool) });
  }

  private async toSpool(
    commands: string[],
    meta: SpoolRecordMeta | undefined,
    res: RrdWriteResult,
  ): Promise<RrdWriteResult> {
    if (this.spool?.append(commands, meta)) {
      res.spooled += commands.length;
      if (meta) await this.order?.add(meta.key, meta.time);
    } else res.dropped += commands.length;
    return res;
  }

  /**
   * Replays the spool now, in passes, while records are sent (one replay at a time; a caller
   * during one waits for it). Every command rrdcached refuses is logged with its reason.
   * Returns the commands sent; RrdcachedUnavailableError when it is down.
   */
  replayNow(passes = MAX_PASSES): Promise<number> {
    if (!this.replaying) this.replaying = this.replayPasses(passes).finally(() => (this.replaying = undefined));
    return this.replaying;
  }

  private async replayPasses(passes: number): Promise<number> {
    let total = 0;
    const hooks = this.order
      ? {
          blocked: (k: string, t: number) => this.order!.blockedBy(k, t),
          sent: (k: string, t: number) => this.order!.remove(k, t),
        }
      : {};
    for (let pass = 0; pass < passes && this.spool?.pending; pass++) {
      await this.order?.touch(); // our records stay ours while we wait for others
      const r = await this.spool.replay((c) => this.client.batch(c), hooks);
      total += r.commands;
      // expected in a replay: CREATEs of files that exist by now, and UPDATEs the file already has
      // (a batch rrdcached applied just before the connection broke was spooled whole); the rest
      // is logged
      const expected = (e: { command: string; kind: string }) =>
        (e.command.startsWith('CREATE ') && e.kind === 'file-exists') || e.kind === 'already-updated';
      const rejected = r.errors.filter((e) => !expected(e));
      const already = r.errors.filter((e) => e.kind === 'already-updated').length;
      for (const e of rejected)
        this.log.warn('rrd_update_rejected', {
          command: commandHead(e.command),
          reason: e.message,
          kind: e.kind,
          replay: true,
        });
      if (r.commands > 0 || rejected.length)
        this.log.info('spool_replayed', {
          commands: r.commands,
          records: r.records,
          rejected: rejected.length,
          already_applied: already,
          waiting: r.waiting,
        });
      if (r.waiting === 0) break;
      // records wait for another node's older ones: give it a moment
      if (pass + 1 < passes) await new Promise((resolve) => setTimeout(resolve, r.records > 0 ? 0 : PASS_WAIT_MS));
    }
    return total;
  }

  /** Whether this node's spool holds updates not yet replayed. */
  spoolPending(): boolean {
    return this.spool?.pending ?? false;
  }

  /** Tries the spool now; also what the timer does every second while the spool holds anything. */
  async drain(): Promise<number> {
    if (!this.spool?.pending) return 0;
    await this.order?.touch();
    try {
      await this.client.ping();
    } catch (err) {
      if (err instanceof RrdcachedUnavailableError) return 0;
      throw err;
    }
    this.downUntil = 0;
    try {
      return await this.replayNow();
    } catch (err) {
      if (!(err instanceof RrdcachedUnavailableError)) throw err;
      this.markDown(err);
      return 0;
    }
  }

  /** Starts the timer that replays the spool as soon as rrdcached answers (not at the next poll). */
  start(): void {
    if (this.timer || !this.spool) return;
    this.timer = setInterval(
      () => void this.drain().catch((err) => this.log.warn('spool_replay_failed', { err })),
      this.drainEveryMs,
    );
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** How many passes one replay makes while records wait for other nodes. */
const MAX_PASSES = 600;
const PASS_WAIT_MS = 200;

/** The device key (the RRD directory of the points) and poll time (their earliest) of one write. */
function recordMeta(points: RrdPoint[]): SpoolRecordMeta | undefined {
  if (points.length === 0) return undefined;
  const slash = points[0].def.path.indexOf('/');
  if (slash <= 0) return undefined;
  let time = Infinity;
  for (const p of points) time = Math.min(time, p.time);
  return { key: points[0].def.path.slice(0, slash), time };
}

/** `VERB path time` of a command, for a log line (never the values). */
function commandHead(command: string | undefined): string {
  const [verb, path, rest] = (command ?? '').split(' ');
  return verb === 'UPDATE' ? `${verb} ${path} ${rest?.split(':')[0] ?? ''}` : `${verb} ${path ?? ''}`;
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
