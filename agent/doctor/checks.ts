// The doctor's checks, one small named object each: what it runs, the check it needs to have
// passed first, and the next step when it fails in an unexpected way. A check returns what it
// found, or throws CheckFailed with its own next step. They run in chains (doctor.ts): a check
// whose prerequisite failed is reported "not checked" without running.
import type { Redis } from 'ioredis';
import type { RowDataPacket } from 'mysql2/promise';
import type { NodeConfig } from '../../lib/node-config.js';
import type { RrdcachedClient } from '../../lib/rrdcached.js';
import { AppKeyMismatchError, NmsError } from '../../lib/errors.js';
import type { DoctorCheckName, DoctorReport } from '../../lib/contracts/doctor.js';
import { checkAppKey, openDb, type Db } from '../db/index.js';
import type { CoordKeys } from '../coord/keys.js';
import type { Registry } from '../registry/registry.js';
import { agentProcessAlive } from './process.js';
import { probeSyslogPath } from './syslog-path.js';

/** A check's failure with the next step to take. */
export class CheckFailed extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

/** What the checks of a node with a readable configuration share. */
export interface DoctorContext {
  cfg: NodeConfig;
  /** Filled as the checks learn things (clock skew, registry entry, dispatcher). */
  report: DoctorReport;
  timeoutMs: number;
  maxSkewMs: number;
  keys: CoordKeys;
  registry: Registry;
  redis: Redis;
  rrd: RrdcachedClient;
  /** Set by the mariadb check. */
  db?: Db;
}

export interface Check<C> {
  name: DoctorCheckName;
  /** The check that must have passed first; without it this one is "not checked". */
  needs?: DoctorCheckName;
  /** Whether this node has the check at all (by role). Default: every node. */
  when?: (ctx: C) => boolean;
  /** The next step when the check fails with an unexpected error. */
  fix: string;
  run: (ctx: C) => Promise<string>;
}

/** How a failed prerequisite is named in its dependants' "not checked" detail. */
export const UNREACHABLE: Partial<Record<DoctorCheckName, string>> = {
  mariadb: 'MariaDB unreachable',
  memcached: 'memcached unreachable',
  registered: 'agent not registered',
};

const AGENT_START = 'start the agent (`systemctl start nms-agent` or `/etc/init.d/nms-agent start`) and read its log';

const mariadb: Check<DoctorContext> = {
  name: 'mariadb',
  fix:
    'check DB_HOST/DB_PORT/DB_USERNAME/DB_PASSWORD in the .env, that MariaDB runs and that its grants and ' +
    'firewall admit this node (`nms deploy` sets both)',
  async run(ctx) {
    const e = ctx.cfg.env;
    ctx.db = await openDb(e, { connectionLimit: 2, connectTimeoutMs: ctx.timeoutMs });
    const [rows] = await ctx.db.query<RowDataPacket[]>('SELECT VERSION() AS v');
    return `${e.DB_USERNAME}@${e.DB_HOST}:${e.DB_PORT}/${e.DB_DATABASE} (MariaDB ${rows[0].v})`;
  },
};

/** The cluster's APP_KEY check (agent/db), worded for the doctor. */
const appKey: Check<DoctorContext> = {
  name: 'app_key',
  needs: 'mariadb',
  fix: 'run `nms-agent migrate` on the master',
  async run(ctx) {
    const fingerprint = ctx.report.app_key_fingerprint;
    try {
      await checkAppKey(ctx.db!, ctx.cfg.env.APP_KEY);
    } catch (err) {
      if (err instanceof AppKeyMismatchError)
        throw new CheckFailed(
          `APP_KEY fingerprint ${fingerprint} differs from the cluster's`,
          'copy APP_KEY from the master with `nms deploy`; it must be identical on every node',
        );
      if (err instanceof NmsError) throw new CheckFailed(err.message, err.hint ?? appKey.fix);
      throw err;
    }
    return `fingerprint ${fingerprint} matches the cluster's`;
  },
};

const clock: Check<DoctorContext> = {
  name: 'clock',
  needs: 'mariadb',
  fix: 'run NTP on this node and the master',
  async run(ctx) {
    const t0 = Date.now();
    const [rows] = await ctx.db!.query<RowDataPacket[]>('SELECT UNIX_TIMESTAMP(NOW(6)) * 1000 AS ms');
    const t1 = Date.now();
    const skew = Math.round(Number(rows[0].ms) - (t0 + t1) / 2);
    ctx.report.clock_skew_ms = skew;
    if (Math.abs(skew) > ctx.maxSkewMs)
      throw new CheckFailed(
        `clock differs from the database's by ${skew} ms (limit ${ctx.maxSkewMs})`,
        'run NTP (chrony or systemd-timesyncd) on this node and the master',
      );
    return `skew ${skew} ms against the database`;
  },
};

const syslog: Check<DoctorContext> = {
  name: 'syslog',
  needs: 'mariadb',
  when: (ctx) => ctx.cfg.settings.roles.includes('syslog'),
  fix:
    'check that rsyslog runs on this node (`/etc/init.d/rsyslog status`), that /etc/rsyslog.d/60-nms.conf is ' +
    'there and that the agent runs (it listens on 127.0.0.1:syslog_port); `nms deploy` restores all three',
  async run(ctx) {
    const ms = await probeSyslogPath(ctx.db!, { deadlineMs: Math.max(200, ctx.timeoutMs - 300) });
    return `a test message went through rsyslog and the agent into the syslog table in ${ms} ms`;
  },
};

const redis: Check<DoctorContext> = {
  name: 'redis',
  fix: 'check REDIS_HOST/REDIS_PORT/REDIS_PASSWORD in the .env, that Redis runs and that the firewall admits this node',
  async run(ctx) {
    const e = ctx.cfg.env;
    await ctx.redis.connect();
    const pong = await ctx.redis.ping();
    const holder = await ctx.redis.get(ctx.keys.dispatcherLock);
    ctx.report.dispatcher = holder;
    const elected = holder ? `; dispatcher ${holder}` : '; no dispatcher elected';
    return `${e.REDIS_HOST}:${e.REDIS_PORT} db ${e.REDIS_DB}: ${pong}${elected}`;
  },
};

const memcached: Check<DoctorContext> = {
  name: 'memcached',
  fix:
    'check distributed_poller_memcached_host/port in config.yaml, that memcached runs and that the firewall ' +
    'admits this node',
  async run(ctx) {
    const s = ctx.cfg.settings;
    await ctx.registry.probe(ctx.cfg.env.NODE_ID);
    return `${s.distributed_poller_memcached_host}:${s.distributed_poller_memcached_port} stores and returns values`;
  },
};

const registered: Check<DoctorContext> = {
  name: 'registered',
  needs: 'memcached',
  fix: 'start the agent',
  async run(ctx) {
    const id = ctx.cfg.env.NODE_ID;
    const entry = await ctx.registry.node(id);
    if (!entry)
      throw new CheckFailed(
        `no registry entry for node ${id}: the agent is not running or cannot reach memcached`,
        AGENT_START,
      );
    ctx.report.registry = entry;
    // a killed agent's entry lives on for its TTL: the process itself says at once
    if (agentProcessAlive(entry.pid) === false) {
      const age = Math.round((Date.now() - entry.heartbeat_at) / 1000);
      throw new CheckFailed(
        `the process it registered (pid ${entry.pid}) is gone; its registry entry is ${age} s old`,
        AGENT_START,
      );
    }
    return `registered as ${entry.poller_name} (pid ${entry.pid}, groups ${entry.groups.join(',')})`;
  },
};

const working: Check<DoctorContext> = {
  name: 'working',
  needs: 'registered',
  fix: 'restart the agent',
  async run(ctx) {
    const e = ctx.report.registry!;
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
    const jobs = `${e.jobs_ok} jobs ok, ${e.jobs_failed} failed`;
    return `heartbeat ${Math.round(age / 1000)} s ago; ${jobs}${e.dispatcher ? '; dispatcher' : ''}`;
  },
};

const rrdcached: Check<DoctorContext> = {
  name: 'rrdcached',
  fix: 'check `rrdcached` in config.yaml, that rrdcached runs on the master and that the firewall admits this node',
  async run(ctx) {
    await ctx.rrd.ping();
    return `${ctx.cfg.settings.rrdcached} answers PING`;
  },
};

/**
 * The checks of a node with a readable configuration. The chains run side by side; the checks of
 * one chain one after another, each after the one it needs.
 */
export const NODE_CHECKS: Check<DoctorContext>[][] = [
  [mariadb, appKey, clock, syslog],
  [redis],
  [memcached, registered, working],
  [rrdcached],
];
