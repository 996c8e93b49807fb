// `nms-agent doctor`: this node's view of its own health, for a human and for `nms status`
// (which runs it on every node over SSH and reads the JSON; schema in docs/agent-coordination.md).
// Every check is bounded by a timeout and reports a `fix` when it fails; nothing here changes state
// except a short-lived probe key in memcached.
import { Redis } from 'ioredis';
import type { RowDataPacket } from 'mysql2/promise';
import { loadNodeConfig, type NodeConfig } from '../../lib/node-config.js';
import { appKeyFingerprint, verifyAppKey } from '../../lib/crypto.js';
import { RrdcachedClient } from '../../lib/rrdcached.js';
import { openDb, APP_KEY_CHECK_NAME, type Db } from '../db/index.js';
import { CoordKeys, keyPrefixFromEnv } from '../coord/keys.js';
import { Registry, type NodeEntry } from '../registry/registry.js';
import { redisOptions } from '../daemon/connections.js';
import { AGENT_VERSION } from '../daemon/agent.js';
import { agentProcessAlive } from './process.js';
import { checkSupervision, type SupervisionOptions } from './supervision.js';
import { probeSyslogPath } from './syslog-path.js';

export const DOCTOR_SCHEMA = 'nms-agent-doctor/1';

export interface DoctorCheck {
  name:
    | 'config'
    | 'app_key'
    | 'mariadb'
    | 'redis'
    | 'memcached'
    | 'rrdcached'
    | 'clock'
    | 'supervisor'
    | 'registered'
    | 'working'
    | 'syslog';
  ok: boolean;
  /** What was found (always present). */
  detail: string;
  /** The next step when `ok` is false. */
  fix?: string;
  ms: number;
}

export interface DoctorReport {
  schema: typeof DOCTOR_SCHEMA;
  healthy: boolean;
  checked_at: string;
  version: string;
  node_id: string | null;
  poller_name: string | null;
  groups: number[];
  app_key_fingerprint: string | null;
  /** Database clock minus this node's clock, in ms (null when not measured). */
  clock_skew_ms: number | null;
  /** This node's registry entry as read from memcached (null when absent). */
  registry: NodeEntry | null;
  /** Who holds the dispatcher lock, as seen from here (null when none or Redis unreachable). */
  dispatcher: string | null;
  checks: DoctorCheck[];
}

export interface DoctorOptions {
  envPath: string;
  /** Per-check timeout. Default 3000 ms. */
  timeoutMs?: number;
  /** Largest clock skew counted as healthy. Default 2000 ms. */
  maxSkewMs?: number;
  /** Where and how the agent's supervisor is read (agent/doctor/supervision.ts). */
  supervision?: SupervisionOptions;
}

export const DEFAULT_DOCTOR_OPTIONS = { timeoutMs: 3000, maxSkewMs: 2000 };

class CheckFailed extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(t));
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const o = { ...DEFAULT_DOCTOR_OPTIONS, ...options };
  const report: DoctorReport = {
    schema: DOCTOR_SCHEMA,
    healthy: false,
    checked_at: new Date().toISOString(),
    version: AGENT_VERSION,
    node_id: null,
    poller_name: null,
    groups: [],
    app_key_fingerprint: null,
    clock_skew_ms: null,
    registry: null,
    dispatcher: null,
    checks: [],
  };
  const check = async (name: DoctorCheck['name'], fn: () => Promise<string>, defaultFix: string): Promise<boolean> => {
    const t0 = Date.now();
    try {
      const detail = await withTimeout(fn(), o.timeoutMs, name);
      report.checks.push({ name, ok: true, detail, ms: Date.now() - t0 });
      return true;
    } catch (err) {
      const e = err as Error & { code?: string };
      const detail = e instanceof CheckFailed ? e.message : `${e.message || e.code || String(err)}`;
      report.checks.push({
        name,
        ok: false,
        detail,
        fix: e instanceof CheckFailed ? e.fix : defaultFix,
        ms: Date.now() - t0,
      });
      return false;
    }
  };

  let cfg: NodeConfig | undefined;
  await check(
    'config',
    async () => {
      cfg = loadNodeConfig(o.envPath);
      keyPrefixFromEnv();
      return `${cfg.envPath} and ${cfg.settingsPath} read`;
    },
    'run `nms deploy` for this node (it rewrites .env and config.yaml), or fix the file named above',
  );
  // before the early return: an agent that dies on a bad config is in a crash loop too
  await check(
    'supervisor',
    async () => {
      const v = await checkSupervision(o.supervision);
      if (!v.ok)
        throw new CheckFailed(
          v.detail,
          v.crashLoop
            ? CRASH_LOOP_FIX
            : 'restart the agent with `/etc/init.d/nms-agent restart` (it starts the supervisor)',
        );
      return v.detail;
    },
    'read the agent log',
  );
  if (!cfg) return finish(report);
  const c = cfg;
  const s = c.settings;
  report.node_id = c.env.NODE_ID;
  report.poller_name = s.distributed_poller_name;
  report.groups = s.distributed_poller_group;
  report.app_key_fingerprint = appKeyFingerprint(c.env.APP_KEY);
  const keys = new CoordKeys(keyPrefixFromEnv());

  let db: Db | undefined;
  const registry = new Registry({
    host: s.distributed_poller_memcached_host,
    port: s.distributed_poller_memcached_port,
    keys,
    timeoutSeconds: o.timeoutMs / 1000,
  });
  const redis = new Redis({
    ...redisOptions(c.env),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: o.timeoutMs,
  });
  redis.on('error', () => {});
  const rrd = new RrdcachedClient({
    address: s.rrdcached,
    connectTimeoutMs: o.timeoutMs,
    commandTimeoutMs: o.timeoutMs,
  });
  try {
    await Promise.all([
      (async () => {
        const dbOk = await check(
          'mariadb',
          async () => {
            db = await openDb(c.env, { connectionLimit: 2, connectTimeoutMs: o.timeoutMs });
            const [rows] = await db.query<RowDataPacket[]>('SELECT VERSION() AS v');
            return `${c.env.DB_USERNAME}@${c.env.DB_HOST}:${c.env.DB_PORT}/${c.env.DB_DATABASE} (MariaDB ${rows[0].v})`;
          },
          'check DB_HOST/DB_PORT/DB_USERNAME/DB_PASSWORD in the .env, that MariaDB runs and that its grants and firewall admit this node (`nms deploy` sets both)',
        );
        await check(
          'app_key',
          async () => {
            if (!dbOk || !db) throw new CheckFailed('not checked: MariaDB unreachable', 'fix the mariadb check first');
            const [rows] = await db.query<RowDataPacket[]>('SELECT config_value FROM config WHERE config_name = ?', [
              APP_KEY_CHECK_NAME,
            ]);
            if (rows.length === 0)
              throw new CheckFailed(
                'the cluster has no APP_KEY check value yet',
                'run `nms-agent migrate` on the master',
              );
            if (!verifyAppKey(c.env.APP_KEY, String(rows[0].config_value)))
              throw new CheckFailed(
                `APP_KEY fingerprint ${report.app_key_fingerprint} differs from the cluster's`,
                'copy APP_KEY from the master with `nms deploy`; it must be identical on every node',
              );
            return `fingerprint ${report.app_key_fingerprint} matches the cluster's`;
          },
          'run `nms-agent migrate` on the master',
        );
        await check(
          'clock',
          async () => {
            if (!dbOk || !db) throw new CheckFailed('not checked: MariaDB unreachable', 'fix the mariadb check first');
            const t0 = Date.now();
            const [rows] = await db.query<RowDataPacket[]>('SELECT UNIX_TIMESTAMP(NOW(6)) * 1000 AS ms');
            const t1 = Date.now();
            const skew = Math.round(Number(rows[0].ms) - (t0 + t1) / 2);
            report.clock_skew_ms = skew;
            if (Math.abs(skew) > o.maxSkewMs)
              throw new CheckFailed(
                `clock differs from the database's by ${skew} ms (limit ${o.maxSkewMs})`,
                'run NTP (chrony or systemd-timesyncd) on this node and the master',
              );
            return `skew ${skew} ms against the database`;
          },
          'run NTP on this node and the master',
        );
        if (s.roles.includes('syslog'))
          await check(
            'syslog',
            async () => {
              if (!dbOk || !db)
                throw new CheckFailed('not checked: MariaDB unreachable', 'fix the mariadb check first');
              const ms = await probeSyslogPath(db, { deadlineMs: Math.max(200, o.timeoutMs - 300) });
              return `a test message went through rsyslog and the agent into the syslog table in ${ms} ms`;
            },
            'check that rsyslog runs on this node (`/etc/init.d/rsyslog status`), that /etc/rsyslog.d/60-nms.conf is there and that the agent runs (it listens on 127.0.0.1:syslog_port); `nms deploy` restores all three',
          );
      })(),
      check(
        'redis',
        async () => {
          await redis.connect();
          const pong = await redis.ping();
          const holder = await redis.get(keys.dispatcherLock);
          report.dispatcher = holder;
          return `${c.env.REDIS_HOST}:${c.env.REDIS_PORT} db ${c.env.REDIS_DB}: ${pong}${holder ? `; dispatcher ${holder}` : '; no dispatcher elected'}`;
        },
        'check REDIS_HOST/REDIS_PORT/REDIS_PASSWORD in the .env, that Redis runs and that the firewall admits this node',
      ),
      (async () => {
        const mcOk = await check(
          'memcached',
          async () => {
            await registry.probe(c.env.NODE_ID);
            return `${s.distributed_poller_memcached_host}:${s.distributed_poller_memcached_port} stores and returns values`;
          },
          'check distributed_poller_memcached_host/port in config.yaml, that memcached runs and that the firewall admits this node',
        );
        const regOk = await check(
          'registered',
          async () => {
            if (!mcOk) throw new CheckFailed('not checked: memcached unreachable', 'fix the memcached check first');
            const entry = await registry.node(c.env.NODE_ID);
            if (!entry)
              throw new CheckFailed(
                `no registry entry for node ${c.env.NODE_ID}: the agent is not running or cannot reach memcached`,
                'start the agent (`systemctl start nms-agent` or `/etc/init.d/nms-agent start`) and read its log',
              );
            report.registry = entry;
            // a killed agent's entry lives on for its TTL: the process itself says at once
            if (agentProcessAlive(entry.pid) === false)
              throw new CheckFailed(
                `the process it registered (pid ${entry.pid}) is gone; its registry entry is ${Math.round((Date.now() - entry.heartbeat_at) / 1000)} s old`,
                'start the agent (`systemctl start nms-agent` or `/etc/init.d/nms-agent start`) and read its log',
              );
            return `registered as ${entry.poller_name} (pid ${entry.pid}, groups ${entry.groups.join(',')})`;
          },
          'start the agent',
        );
        await check(
          'working',
          async () => {
            const e = report.registry;
            if (!regOk || !e)
              throw new CheckFailed('not checked: agent not registered', 'fix the registered check first');
            const age = Date.now() - e.heartbeat_at;
            if (age > 3 * e.heartbeat_interval_ms)
              throw new CheckFailed(
                `last heartbeat ${Math.round(age / 1000)} s ago`,
                'the agent is stuck or stopped: restart it and read its log',
              );
            if (e.state !== 'working')
              throw new CheckFailed(
                `the agent refuses work: ${e.state}`,
                e.state === 'app_key_mismatch'
                  ? 'copy APP_KEY from the master with `nms deploy`'
                  : 'read the agent log (event refusing_work) for the reason',
              );
            return `heartbeat ${Math.round(age / 1000)} s ago; ${e.jobs_ok} jobs ok, ${e.jobs_failed} failed${e.dispatcher ? '; dispatcher' : ''}`;
          },
          'restart the agent',
        );
      })(),
      check(
        'rrdcached',
        async () => {
          await rrd.ping();
          return `${s.rrdcached} answers PING`;
        },
        'check `rrdcached` in config.yaml, that rrdcached runs on the master and that the firewall admits this node',
      ),
    ]);
  } finally {
    registry.close();
    redis.disconnect();
    await rrd.close().catch(() => {});
    await (db as Db | undefined)?.end().catch(() => {});
  }
  return finish(report);
}

const ORDER: DoctorCheck['name'][] = [
  'config',
  'app_key',
  'mariadb',
  'redis',
  'memcached',
  'rrdcached',
  'clock',
  'supervisor',
  'registered',
  'working',
  'syslog',
];
/** Checks only some nodes have (by role). */
const OPTIONAL = new Set<DoctorCheck['name']>(['syslog']);

const CRASH_LOOP_FIX =
  'read the last lines of /var/log/nms/agent.log (or `journalctl -u nms-agent`) for why it stops, mend that (often .env or config.yaml: `nms deploy` rewrites them); it keeps being restarted';

function finish(r: DoctorReport): DoctorReport {
  r.checks.sort((a, b) => ORDER.indexOf(a.name) - ORDER.indexOf(b.name));
  r.healthy =
    r.checks.length > 0 &&
    r.checks.every((c) => c.ok) &&
    ORDER.every((n) => OPTIONAL.has(n) || r.checks.some((c) => c.name === n));
  return r;
}

export function formatDoctor(r: DoctorReport): string {
  const lines = [
    `nms-agent doctor: node ${r.node_id ?? '?'} (${r.poller_name ?? '?'}): ${r.healthy ? 'healthy' : 'UNHEALTHY'}`,
  ];
  for (const c of r.checks) {
    lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(10)} ${c.detail}`);
    if (!c.ok && c.fix) lines.push(`       ${''.padEnd(10)} fix: ${c.fix}`);
  }
  return lines.join('\n') + '\n';
}
