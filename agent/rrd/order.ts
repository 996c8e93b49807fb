// The cluster-wide order of spooled RRD updates. While rrdcached is down each poller spools on
// its own disk, and a device whose jobs move between pollers has updates of the same files in
// several spools. RRD takes only increasing times per file, so a replay must never apply a
// device's update while another node still holds an older one for it. The order book records in
// Redis, per device key (its RRD directory), which node spooled which poll time:
//   a live write for a device that any node still holds is spooled behind it (`held`),
//   a replayed record waits while another node holds an older one for its device (`blockedBy`).
// Records of a node whose liveness marker expired (an agent that died with a spool) are ignored,
// so a lost node cannot hold a device back for longer than the marker's TTL. Every marker also
// sets one cluster-wide key with the same TTL: while it is absent nobody holds anything, and a
// live write asks Redis that (one EXISTS a second, shared by the node's polls) instead of reading
// its device's records at every poll. The answer is at most `anyCacheMs` old: a node that starts
// spooling is seen that late, far less than the time between two polls of one device.
import type { Redis } from 'ioredis';
import { createLogger, type Logger } from '../../lib/log.js';
import type { CoordKeys } from '../coord/keys.js';

export interface SpoolOrderOptions {
  redis: Redis;
  keys: CoordKeys;
  nodeId: string;
  /** Liveness marker TTL of a node that holds spooled records (ms). Default 30000. */
  markerTtlMs?: number;
  /** Longest wait for one Redis answer before the book is treated as unavailable (ms). Default 1000. */
  timeoutMs?: number;
  /** How long an answer to "does any node hold records?" is used (ms). Default 1000. */
  anyCacheMs?: number;
  logger?: Logger;
}

export const DEFAULT_SPOOL_ORDER_OPTIONS = { markerTtlMs: 30_000, timeoutMs: 1000, anyCacheMs: 1000 };

/** What the writer needs from the order book (the tests give a real one on a private prefix). */
export interface SpoolOrderBook {
  add(key: string, time: number): Promise<void>;
  remove(key: string, time: number): Promise<void>;
  held(key: string): Promise<boolean>;
  blockedBy(key: string, time: number): Promise<boolean>;
  /** Keeps this node's marker alive while it holds records. */
  touch(): Promise<void>;
}

export class RedisSpoolOrder implements SpoolOrderBook {
  private readonly o: Required<Omit<SpoolOrderOptions, 'logger'>>;
  private readonly log: Logger;
  private warned = 0;
  /** The last "does any node hold records?" asked, and when. */
  private anyCheck?: { at: number; held: Promise<boolean> };

  constructor(options: SpoolOrderOptions) {
    this.o = { ...DEFAULT_SPOOL_ORDER_OPTIONS, ...options } as Required<Omit<SpoolOrderOptions, 'logger'>>;
    this.log = options.logger ?? createLogger('rrd.order');
  }

  private deviceKey(key: string): string {
    return this.o.keys.rrdSpoolDevice(key);
  }
  private marker(nodeId: string): string {
    return this.o.keys.rrdSpoolNode(nodeId);
  }

  async add(key: string, time: number): Promise<void> {
    this.anyCheck = { at: Date.now(), held: Promise.resolve(true) };
    await this.run(async (r) => {
      await r
        .multi()
        .set(this.marker(this.o.nodeId), '1', 'PX', this.o.markerTtlMs)
        .set(this.o.keys.rrdSpoolAny, '1', 'PX', this.o.markerTtlMs)
        .zadd(this.deviceKey(key), time, `${this.o.nodeId}|${time}`)
        .exec();
    }, undefined);
  }

  async remove(key: string, time: number): Promise<void> {
    await this.run(async (r) => {
      await r.zrem(this.deviceKey(key), `${this.o.nodeId}|${time}`);
    }, undefined);
  }

  async touch(): Promise<void> {
    await this.run(async (r) => {
      await r
        .multi()
        .set(this.marker(this.o.nodeId), '1', 'PX', this.o.markerTtlMs)
        .set(this.o.keys.rrdSpoolAny, '1', 'PX', this.o.markerTtlMs)
        .exec();
    }, undefined);
  }

  /** Whether a live node holds any record for the device (Redis unavailable: false). */
  async held(key: string): Promise<boolean> {
    if (!(await this.anyHeld())) return false;
    return this.run(async () => (await this.liveHolders(key, '+inf', false)) > 0, false);
  }

  /** Whether some node may hold records: one EXISTS per anyCacheMs, shared by the callers meanwhile. */
  private anyHeld(): Promise<boolean> {
    const now = Date.now();
    if (!this.anyCheck || now - this.anyCheck.at >= this.o.anyCacheMs)
      this.anyCheck = { at: now, held: this.run(async (r) => (await r.exists(this.o.keys.rrdSpoolAny)) > 0, true) };
    return this.anyCheck.held;
  }

  /** Whether another live node holds an older record for the device (Redis unavailable: false). */
  async blockedBy(key: string, time: number): Promise<boolean> {
    return this.run(async () => (await this.liveHolders(key, `(${time}`, true)) > 0, false);
  }

  /** Records up to `max` by live nodes (other nodes only when `othersOnly`); dead nodes' are removed. */
  private async liveHolders(key: string, max: string, othersOnly: boolean): Promise<number> {
    const r = this.o.redis;
    const members = await r.zrangebyscore(this.deviceKey(key), '-inf', max);
    if (members.length === 0) return 0;
    const nodes = [...new Set(members.map((m) => m.slice(0, m.lastIndexOf('|'))))].filter(
      (n) => !othersOnly || n !== this.o.nodeId,
    );
    if (nodes.length === 0) return 0;
    const alive = await r.mget(...nodes.map((n) => this.marker(n)));
    const dead = new Set(nodes.filter((_, i) => alive[i] === null));
    if (dead.size) {
      const stale = members.filter((m) => dead.has(m.slice(0, m.lastIndexOf('|'))));
      await r.zrem(this.deviceKey(key), ...stale);
      this.log.warn('spool_order_dead_node', {
        device: key,
        nodes: [...dead],
        records: stale.length,
        hint: 'a node died holding spooled updates; they are no longer waited for',
      });
    }
    return members.filter((m) => {
      const n = m.slice(0, m.lastIndexOf('|'));
      return !dead.has(n) && (!othersOnly || n !== this.o.nodeId);
    }).length;
  }

  /** Runs a Redis step with a deadline; when Redis does not answer, `fallback` (and a warning at most every 10 s). */
  private async run<T>(fn: (r: Redis) => Promise<T>, fallback: T): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        fn(this.o.redis),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
        }),
      ]);
    } catch (err) {
      if (Date.now() - this.warned > 10_000) {
        this.warned = Date.now();
        this.log.warn('spool_order_unavailable', {
          err: (err as Error).message,
          hint: "Redis does not answer: spooled RRD updates are replayed in this node's order only",
        });
      }
      return fallback;
    } finally {
      clearTimeout(timer);
    }
  }
}
