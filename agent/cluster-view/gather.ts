// Gathers the cluster's facts on the master for `nms-agent cluster-status`: poller_cluster,
// devices and eventlog from MariaDB; the dispatcher lock, its last tick and the queue depths
// from Redis; the node registry from memcached. Each source is bounded by a timeout and may
// fail alone: the view then says which one and what it could not check. Nothing is written.
import { alertSummaries } from '../alerts/status.js';
import { Redis } from 'ioredis';
import type { RowDataPacket } from 'mysql2/promise';
import { loadNodeConfig } from '../../lib/node-config.js';
import { openDb, type Db } from '../db/index.js';
import { CoordKeys, keyPrefixFromEnv } from '../coord/keys.js';
import { QueueStats } from '../coord/queue-stats.js';
import { Registry } from '../registry/registry.js';
import { redisOptions } from '../daemon/connections.js';
import { analyse } from './analyse.js';
import type {
  ClusterFacts,
  DeviceLookup,
  ClusterView,
  EventRow,
  OverdueDevice,
  QueueDepth,
  SourceState,
} from './types.js';

export interface ClusterStatusOptions {
  /** Path of the node .env (config.yaml beside it). */
  envPath: string;
  /** Per-source timeout. Default 3000 ms. */
  timeoutMs?: number;
  /** Seconds a device may be late before it counts as overdue. Default max(30, frequency / 5). */
  graceSeconds?: number;
  /** Also look up this device: an id, a hostname, or hostname:port. Default: none. */
  device?: string;
}

export const DEFAULT_CLUSTER_STATUS_OPTIONS = { timeoutMs: 3000 };

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(t));
}

async function source<T>(fn: () => Promise<T>, ms: number, what: string): Promise<{ state: SourceState; value?: T }> {
  const t0 = Date.now();
  try {
    const value = await withTimeout(fn(), ms, what);
    return { state: { ok: true, ms: Date.now() - t0 }, value };
  } catch (err) {
    const e = err as Error & { code?: string };
    return {
      state: {
        ok: false,
        error: e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message || String(err),
        ms: Date.now() - t0,
      },
    };
  }
}

const groupsOf = (s: unknown): number[] =>
  String(s ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter((g) => /^\d+$/.test(g))
    .map(Number);

const iso = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : v ? String(v) : null);

/** The SQL of the overdue rule; exported for the unit test and docs/status.md. */
export function overdueSql(): string {
  // An up device is due `frequency - 1` s after its last poll started (LibreNMS); a down one
  // `down_retry` s after its last attempt. Never-polled devices count from when they were
  // discovered or added. Late beyond the grace is overdue.
  return `SELECT device_id, hostname, port, poller_group, last_polled,
    UNIX_TIMESTAMP() - UNIX_TIMESTAMP(COALESCE(IF(status = 1, last_polled, last_poll_attempted), last_polled, last_discovered, inserted))
      - IF(status = 1, ? - 1, ?) AS late_s
  FROM devices WHERE disabled = 0 AND \`ignore\` = 0
  HAVING late_s > ? ORDER BY late_s DESC`;
}

export async function gatherClusterStatus(options: ClusterStatusOptions): Promise<ClusterView> {
  const o = { ...DEFAULT_CLUSTER_STATUS_OPTIONS, ...options };
  const cfg = loadNodeConfig(o.envPath);
  const s = cfg.settings;
  const keys = new CoordKeys(keyPrefixFromEnv());
  const freq = s.service_poller_frequency;
  const grace = o.graceSeconds ?? Math.max(30, Math.round(freq / 5));
  const facts: ClusterFacts = {
    now: Date.now(),
    pollerFrequency: freq,
    downRetry: s.service_poller_down_retry,
    graceSeconds: grace,
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

  let db: Db | undefined;
  const redis = new Redis({
    ...redisOptions(cfg.env),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: o.timeoutMs,
  });
  redis.on('error', () => {});
  const registry = new Registry({
    host: s.distributed_poller_memcached_host,
    port: s.distributed_poller_memcached_port,
    keys,
    timeoutSeconds: o.timeoutMs / 1000,
  });
  // Queue objects open their own connections: they must give up as fast as ours when Redis is down.
  const stats = new QueueStats(
    {
      ...redisOptions(cfg.env),
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      connectTimeout: o.timeoutMs,
    },
    keys,
    () => {},
  );

  try {
    const dbPart = source(
      async () => {
        db = await openDb(cfg.env, { connectionLimit: 3, connectTimeoutMs: o.timeoutMs });
        const q = async (sql: string, params: unknown[] = []) => (await db!.query<RowDataPacket[]>(sql, params))[0];
        const [reports, groups, counts, overdue, events] = await Promise.all([
          q(`SELECT pc.node_id, pc.poller_name, pc.poller_version, pc.poller_groups, TIMESTAMPDIFF(SECOND, pc.last_report, UTC_TIMESTAMP()) AS age, st.devices AS polled
               FROM poller_cluster pc LEFT JOIN poller_cluster_stats st ON st.parent_poller = pc.id AND st.poller_type = 'poller'`),
          q('SELECT poller_group, COUNT(*) AS n FROM devices WHERE disabled = 0 GROUP BY poller_group'),
          q(`SELECT COUNT(*) AS total, COALESCE(SUM(status = 1 AND disabled = 0), 0) AS up, COALESCE(SUM(status = 0 AND disabled = 0), 0) AS down,
                    COALESCE(SUM(disabled = 1), 0) AS disabled, COALESCE(SUM(last_polled IS NULL AND disabled = 0), 0) AS never FROM devices`),
          q(overdueSql(), [freq, s.service_poller_down_retry, grace]),
          q(`SELECT e.datetime, e.device_id, d.hostname, e.type, e.message, e.severity FROM eventlog e LEFT JOIN devices d ON d.device_id = e.device_id
               WHERE (e.severity >= 4 OR e.type IN ('availability', 'service', 'interface', 'poller', 'reboot'))
                 AND e.datetime > UTC_TIMESTAMP() - INTERVAL 1 HOUR
               ORDER BY e.event_id DESC LIMIT 10`),
        ]);
        facts.reports = reports.map((r) => ({
          node_id: String(r.node_id),
          poller_name: String(r.poller_name),
          groups: groupsOf(r.poller_groups),
          age_s: Number(r.age ?? 0),
          polled: r.polled === null || r.polled === undefined ? null : Number(r.polled),
          version: String(r.poller_version ?? ''),
        }));
        if (o.device !== undefined) facts.device = await lookupDevice(q, o.device);
        facts.alerts = await alertSummaries(db).catch(() => undefined); // no alert tables yet: none shown
        facts.groupDevices = groups.map((g) => ({ group: Number(g.poller_group), devices: Number(g.n) }));
        const c = counts[0];
        facts.devices = {
          total: Number(c.total),
          up: Number(c.up),
          down: Number(c.down),
          disabled: Number(c.disabled),
          never_polled: Number(c.never),
          overdue: overdue.length,
        };
        facts.overdue = overdue
          .slice(0, 20)
          .map((r): OverdueDevice => ({
            device_id: Number(r.device_id),
            hostname: String(r.hostname),
            port: Number(r.port),
            poller_group: Number(r.poller_group),
            last_polled: iso(r.last_polled),
            late_s: Math.round(Number(r.late_s)),
          }));
        facts.errors = events.map((e): EventRow => ({
          datetime: iso(e.datetime),
          device_id: e.device_id === null ? null : Number(e.device_id),
          hostname: e.hostname ?? null,
          type: e.type ?? null,
          message: String(e.message ?? ''),
          severity: Number(e.severity),
        }));
      },
      o.timeoutMs,
      'mariadb',
    );
    const redisPart = source(
      async () => {
        await redis.connect();
        const [holder, tick] = await Promise.all([redis.get(keys.dispatcherLock), redis.get(keys.dispatcherTick)]);
        facts.dispatcherHolder = holder;
        try {
          facts.dispatcherTick = tick ? JSON.parse(tick) : null;
        } catch {
          facts.dispatcherTick = null;
        }
      },
      o.timeoutMs,
      'redis',
    );
    const mcPart = source(
      async () => {
        facts.registry = await registry.nodes();
      },
      o.timeoutMs,
      'memcached',
    );
    const [d, r, m] = await Promise.all([dbPart, redisPart, mcPart]);
    facts.sources = { mariadb: d.state, redis: r.state, memcached: m.state };
    // queue depths need the groups (from MariaDB) and Redis
    if (d.state.ok && r.state.ok && facts.groupDevices) {
      const names = facts.groupDevices.map((g) => keys.queueName('poller', g.group));
      const q = await source(() => stats.counts(names), o.timeoutMs, 'queues');
      if (q.value) {
        facts.queues = {};
        for (const g of facts.groupDevices) {
          const c: QueueDepth | undefined = q.value[keys.queueName('poller', g.group)];
          if (c) facts.queues[g.group] = c;
        }
      }
    }
  } finally {
    registry.close();
    redis.disconnect();
    await stats.close().catch(() => {});
    await (db as Db | undefined)?.end().catch(() => {});
  }
  facts.now = Date.now();
  return analyse(facts);
}

/** Finds one device by id, hostname:port or hostname (the lowest id when a hostname is shared). */
async function lookupDevice(
  q: (sql: string, params?: unknown[]) => Promise<RowDataPacket[]>,
  ref: string,
): Promise<DeviceLookup | null> {
  const cols = 'device_id, hostname, port, poller_group, status, last_polled';
  const m = /^(.+):(\d{1,5})$/.exec(ref);
  const rows = /^\d+$/.test(ref)
    ? await q(`SELECT ${cols} FROM devices WHERE device_id = ?`, [Number(ref)])
    : m
      ? await q(`SELECT ${cols} FROM devices WHERE hostname = ? AND port = ?`, [m[1], Number(m[2])])
      : await q(`SELECT ${cols} FROM devices WHERE hostname = ? OR sysName = ? ORDER BY device_id LIMIT 1`, [ref, ref]);
  const r = rows[0];
  if (!r) return null;
  return {
    device_id: Number(r.device_id),
    hostname: String(r.hostname),
    port: Number(r.port),
    poller_group: Number(r.poller_group),
    status: Number(r.status),
    last_polled: iso(r.last_polled),
  };
}
