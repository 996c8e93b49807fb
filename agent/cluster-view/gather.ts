// Gathers the cluster's facts on the master for `nms-agent cluster-status`: poller_cluster,
// devices and eventlog from MariaDB (database.ts); the dispatcher lock, its last tick and the
// queue depths from Redis; the node registry from memcached. Each source is bounded by a timeout
// and may fail alone: the view then says which one and what it could not check. Nothing is
// written. How to reach Redis is the caller's to say (the daemon's settings, agent/commands).
import { Redis, type RedisOptions } from 'ioredis';
import { loadNodeConfig, type NodeConfig, type NodeEnv } from '../../lib/node-config.js';
import { withTimeout } from '../../lib/timeout.js';
import type { ClusterView, QueueDepth, SourceState } from '../../lib/contracts/cluster-view.js';
import { openDb, type Db } from '../db/index.js';
import { CoordKeys, keyPrefixFromEnv } from '../coord/keys.js';
import { QueueStats } from '../coord/queue-stats.js';
import { Registry } from '../registry/registry.js';
import { analyse } from './analyse.js';
import { readDatabaseFacts } from './database.js';
import type { ClusterFacts } from './types.js';

export interface ClusterStatusOptions {
  /** Path of the node .env (config.yaml beside it). */
  envPath: string;
  /** How this node reaches Redis (the agent's own settings, from its .env). Required. */
  redisOptions: (env: NodeEnv) => RedisOptions;
  /** Per-source timeout. Default 3000 ms. */
  timeoutMs?: number;
  /** Seconds a device may be late before it counts as overdue. Default max(30, frequency / 5). */
  graceSeconds?: number;
  /** Also look up this device: an id, a hostname, or hostname:port. Default: none. */
  device?: string;
}

export const DEFAULT_CLUSTER_STATUS_OPTIONS = { timeoutMs: 3000 };

type Options = ClusterStatusOptions & typeof DEFAULT_CLUSTER_STATUS_OPTIONS;

async function source<T>(fn: () => Promise<T>, ms: number, what: string): Promise<{ state: SourceState; value?: T }> {
  const t0 = Date.now();
  try {
    const value = await withTimeout(fn(), ms, what);
    return { state: { ok: true, ms: Date.now() - t0 }, value };
  } catch (err) {
    const e = err as Error & { code?: string };
    const error = e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message || String(err);
    return { state: { ok: false, error, ms: Date.now() - t0 } };
  }
}

function emptyFacts(cfg: NodeConfig, graceSeconds: number): ClusterFacts {
  const s = cfg.settings;
  return {
    now: Date.now(),
    pollerFrequency: s.service_poller_frequency,
    downRetry: s.service_poller_down_retry,
    graceSeconds,
    masterName: s.distributed_poller_name,
    sources: { mariadb: { ok: false, ms: 0 }, redis: { ok: false, ms: 0 }, memcached: { ok: false, ms: 0 } },
    registry: null,
    reports: null,
    dispatcherHolder: null,
    dispatcherTick: null,
    groupDevices: null,
    queues: null,
    devices: null,
    overdue: [],
    errors: [],
  };
}

/** The connections one gather opens; each gives up as fast as the per-source timeout. */
class Sources {
  db: Db | undefined;
  readonly redis: Redis;
  readonly registry: Registry;
  readonly stats: QueueStats;

  constructor(
    readonly cfg: NodeConfig,
    readonly keys: CoordKeys,
    o: Options,
  ) {
    const s = cfg.settings;
    const quick = { enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: o.timeoutMs };
    this.redis = new Redis({ ...o.redisOptions(cfg.env), lazyConnect: true, maxRetriesPerRequest: 0, ...quick });
    this.redis.on('error', () => {});
    this.registry = new Registry({
      host: s.distributed_poller_memcached_host,
      port: s.distributed_poller_memcached_port,
      keys,
      timeoutSeconds: o.timeoutMs / 1000,
    });
    // Queue objects open their own connections: they must give up as fast as ours when Redis is down.
    this.stats = new QueueStats({ ...o.redisOptions(cfg.env), maxRetriesPerRequest: 1, ...quick }, keys, () => {});
  }

  async close(): Promise<void> {
    this.registry.close();
    this.redis.disconnect();
    await this.stats.close().catch(() => {});
    await this.db?.end().catch(() => {});
  }
}

async function readRedis(src: Sources, facts: ClusterFacts): Promise<void> {
  await src.redis.connect();
  const keys = src.keys;
  const [holder, tick] = await Promise.all([src.redis.get(keys.dispatcherLock), src.redis.get(keys.dispatcherTick)]);
  facts.dispatcherHolder = holder;
  try {
    facts.dispatcherTick = tick ? JSON.parse(tick) : null;
  } catch {
    facts.dispatcherTick = null;
  }
}

/** Queue depths per group: they need the groups (from MariaDB) and Redis. */
async function readQueues(src: Sources, facts: ClusterFacts, timeoutMs: number): Promise<void> {
  if (!facts.sources.mariadb.ok || !facts.sources.redis.ok || !facts.groupDevices) return;
  const name = (group: number) => src.keys.queueName('poller', group);
  const q = await source(() => src.stats.counts(facts.groupDevices!.map((g) => name(g.group))), timeoutMs, 'queues');
  if (!q.value) return;
  facts.queues = {};
  for (const g of facts.groupDevices) {
    const c: QueueDepth | undefined = q.value[name(g.group)];
    if (c) facts.queues[g.group] = c;
  }
}

export async function gatherClusterStatus(options: ClusterStatusOptions): Promise<ClusterView> {
  const o: Options = { ...DEFAULT_CLUSTER_STATUS_OPTIONS, ...options };
  const cfg = loadNodeConfig(o.envPath);
  const s = cfg.settings;
  const grace = o.graceSeconds ?? Math.max(30, Math.round(s.service_poller_frequency / 5));
  const facts = emptyFacts(cfg, grace);
  const src = new Sources(cfg, new CoordKeys(keyPrefixFromEnv()), o);
  try {
    const database = async () => {
      src.db = await openDb(cfg.env, { connectionLimit: 3, connectTimeoutMs: o.timeoutMs });
      const dbOptions = { pollerFrequency: facts.pollerFrequency, downRetry: facts.downRetry, device: o.device };
      await readDatabaseFacts(src.db, { ...dbOptions, graceSeconds: grace }, facts);
    };
    const memcached = async () => void (facts.registry = await src.registry.nodes());
    const [d, r, m] = await Promise.all([
      source(database, o.timeoutMs, 'mariadb'),
      source(() => readRedis(src, facts), o.timeoutMs, 'redis'),
      source(memcached, o.timeoutMs, 'memcached'),
    ]);
    facts.sources = { mariadb: d.state, redis: r.state, memcached: m.state };
    await readQueues(src, facts, o.timeoutMs);
  } finally {
    await src.close();
  }
  facts.now = Date.now();
  return analyse(facts);
}
