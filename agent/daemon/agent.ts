// The daemon: owns every long-lived part of one agent (connections, dispatcher, workers,
// registry heartbeat, cluster report, metrics, watchdog), starts them in order and closes them
// with a drain deadline. SIGHUP reloads the configuration (a bad file is reported and the old
// configuration kept); background failures are logged, never fatal, so Redis, MariaDB or
// memcached coming back needs no restart.
import type { Redis } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';
import { loadNodeConfig, type NodeConfig } from '../../lib/node-config.js';
import { createLogger, setLogLevel, type Logger } from '../../lib/log.js';
import { AppKeyMismatchError, ConfigError, NmsError } from '../../lib/errors.js';
import { checkAppKey, logEvent, openDb, Severity, type Db } from '../db/index.js';
import { CoordKeys, keyPrefixFromEnv, type JobType } from '../coord/keys.js';
import { Dispatcher } from '../coord/dispatcher.js';
import { WorkerPool, type JobHandler, type JobRecord } from '../coord/worker-pool.js';
import { QueueStats } from '../coord/queue-stats.js';
import { Registry } from '../registry/registry.js';
import { openCommandRedis, redisOptions, throttled } from './connections.js';
import { reportCluster, reportStopped, type TypeStats } from './cluster-report.js';
import { Metrics, MetricsServer } from './metrics.js';
import { MetricsAccess } from './metrics-access.js';
import { Watchdog } from './watchdog.js';
import { SyslogReceiver } from '../syslog/receiver.js';
import { ConfigBackup } from '../backup/backup.js';
import { apiServerFromConfig, type ApiServer } from '../api/server.js';
import { attachAlerts } from '../alerts/attach.js';
import type { AlertEngine } from '../alerts/engine.js';
import { WebApp } from '../web/server.js';

export const AGENT_VERSION = '0.1.0';
/** Longest interval between two heartbeats; a node is stale after three (docs/agent-coordination.md). */
export const HEARTBEAT_MAX_MS = 2000;

/** What a handler factory returns: the job handler and what it owns. */
export interface HandlerHandle {
  handle: JobHandler;
  close(): Promise<void>;
  /** Bytes of RRD updates spooled on local disk (for /metrics), when the handler spools. */
  spoolBytes?(): number;
}

/** What a handler gets: `redis` and `keyPrefix` (the command connection and CoordKeys.prefix) for cluster-wide order. */
export type HandlerFactory = (ctx: {
  db: Db;
  config: NodeConfig;
  log: Logger;
  redis?: Redis;
  keyPrefix?: string;
}) => Promise<HandlerHandle>;

export interface AgentOptions {
  /** Path of the node .env (config.yaml beside it). */
  envPath: string;
  makeHandler: HandlerFactory;
  /** How long SIGTERM waits for running jobs before aborting them. Default 15000 ms. */
  drainMs?: number;
  /** Pause between attempts to reach MariaDB at start. Default 2000 ms. */
  dbRetryMs?: number;
}

export const DEFAULT_AGENT_OPTIONS = { drainMs: 15_000, dbRetryMs: 2000 };

interface Period {
  devices: number;
  workerMs: number;
}

export class AgentService {
  private readonly o: AgentOptions & typeof DEFAULT_AGENT_OPTIONS;
  private readonly log = createLogger('agent');
  private cfg: NodeConfig;
  private readonly keys: CoordKeys;
  private readonly metrics = new Metrics();
  private redis?: Redis;
  private db?: Db;
  private registry?: Registry;
  private handler?: HandlerHandle;
  private dispatcher?: Dispatcher;
  private pool?: WorkerPool;
  private stats?: QueueStats;
  private server?: MetricsServer;
  private watchdog?: Watchdog;
  /** The web/API of the `api` role (the master), on 127.0.0.1:api_port behind nginx. */
  private api?: ApiServer;
  /** Alert rules, run by this agent while it is the dispatcher (agent/alerts). */
  private alerts?: AlertEngine;
  private syslog?: SyslogReceiver;
  private backup?: ConfigBackup;
  private timers: NodeJS.Timeout[] = [];
  private state = 'starting';
  private readonly startedAt = Date.now();
  private counts = { ok: 0, failed: 0 };
  private period = new Map<JobType, Period>();
  private stopping = false;
  private closed?: Promise<void>;
  private reloading: Promise<unknown> = Promise.resolve();
  private stuck?: string;
  /** Port /metrics is bound to (after start). */
  metricsPort?: number;

  constructor(options: AgentOptions) {
    this.o = { ...DEFAULT_AGENT_OPTIONS, ...options };
    this.cfg = loadNodeConfig(options.envPath);
    setLogLevel(this.cfg.settings.service_loglevel);
    let prefix: string;
    try {
      prefix = keyPrefixFromEnv();
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
    this.keys = new CoordKeys(prefix);
  }

  get config(): NodeConfig {
    return this.cfg;
  }

  private get s() {
    return this.cfg.settings;
  }

  private frequency(type: JobType): number {
    if (type === 'services') return this.s.service_services_frequency;
    return type === 'poller'
      ? this.s.service_poller_frequency
      : type === 'discovery'
        ? this.s.service_discovery_frequency
        : this.s.service_ping_frequency;
  }

  private workerCount(type: JobType): number {
    // a services job is a whole group's round: its checks run service_services_workers at a time inside it
    if (type === 'services') return 1;
    return type === 'poller'
      ? this.s.service_poller_workers
      : type === 'discovery'
        ? this.s.service_discovery_workers
        : this.s.service_ping_workers;
  }

  private get types(): JobType[] {
    // service checks are run by the pollers of each device's group (LibreNMS's services type)
    const types: JobType[] = (['poller', 'discovery', 'ping'] as const).filter((t) => this.s.roles.includes(t));
    return this.s.roles.includes('poller') ? [...types, 'services'] : types;
  }

  async start(): Promise<void> {
    this.server = new MetricsServer(
      this.metrics,
      this.s.cluster_address,
      this.s.metrics_port,
      new MetricsAccess(this.s.metrics_allow),
    );
    try {
      this.metricsPort = await this.server.start();
    } catch (err) {
      throw new ConfigError(
        `cannot listen for /metrics on ${this.s.cluster_address}:${this.s.metrics_port}: ${(err as NodeJS.ErrnoException).code ?? err}`,
        {
          hint: 'set cluster_address / metrics_port in config.yaml to an address of this node and a free port',
        },
      );
    }
    this.registerGauges();
    // under systemd (Type=notify) the watchdog also says READY=1, so it starts even when its
    // self-check is off
    const enabled = this.s.service_watchdog_enabled;
    if (enabled || process.env.NOTIFY_SOCKET) {
      this.watchdog = new Watchdog({
        log: this.log.child('watchdog'),
        check: enabled ? () => this.stuckReason() : () => undefined,
      });
      this.watchdog.start();
    }
    await this.startComponents();
    await this.pollerEvent('joined');
    this.log.info('started', {
      node_id: this.cfg.env.NODE_ID,
      poller_name: this.s.distributed_poller_name,
      groups: this.s.distributed_poller_group,
      roles: this.s.roles,
      metrics_port: this.metricsPort,
    });
  }

  private async startComponents(): Promise<void> {
    const env = this.cfg.env;
    this.stopping = false;
    this.redis = openCommandRedis(
      env,
      throttled((err, n) => this.log.warn('redis_error', { err, repeats: n })),
    );
    this.registry = new Registry({
      host: this.s.distributed_poller_memcached_host,
      port: this.s.distributed_poller_memcached_port,
      keys: this.keys,
    });
    this.startHeartbeat();
    this.db = await this.connectDb();
    if (!this.db) return; // closing while waiting for MariaDB
    if (this.s.roles.includes('api')) {
      const registry = this.registry;
      const web = new WebApp({
        db: this.db,
        rrdcached: this.s.rrdcached,
        rrdDir: this.s.rrd_dir,
        logger: this.log.child('web'),
      });
      this.api = apiServerFromConfig(this.cfg, this.db, {
        redis: this.redis,
        memcached: { get: (k) => registry.get(k) },
        logger: this.log.child('api'),
        web,
      });
      await this.api.start();
    }
    if (this.s.roles.includes('syslog')) {
      this.syslog = new SyslogReceiver({
        db: this.db,
        log: this.log.child('syslog'),
        port: this.s.syslog_port,
        purgeDays: this.s.syslog_purge,
      });
      await this.syslog.start();
    }
    if (this.s.roles.includes('config-backup')) {
      this.backup = new ConfigBackup({
        db: this.db,
        appKey: env.APP_KEY,
        log: this.log.child('config-backup'),
        node: this.s.distributed_poller_name,
        dir: this.s.config_backup_dir,
        intervalS: this.s.config_backup_interval,
      });
      this.backup.start();
    }
    this.handler = await this.o.makeHandler({
      db: this.db,
      config: this.cfg,
      log: this.log.child('poll'),
      redis: this.redis,
      keyPrefix: this.keys.prefix,
    });
    const connection = redisOptions(env) as ConnectionOptions;
    const bgError = throttled((err, n) => this.log.warn('coord_error', { err, repeats: n }));
    this.stats = new QueueStats(connection, this.keys, bgError);
    const period = Math.max(1, this.s.service_poller_frequency) * 1000;
    this.timers.push(setInterval(() => void this.report(), period));
    await this.gateAndRun(connection, bgError);
  }

  /** Starts dispatcher and workers once the APP_KEY is known to be the cluster's; rechecks every period otherwise. */
  private async gateAndRun(connection: ConnectionOptions, bgError: (err: Error) => void): Promise<void> {
    const db = this.db!;
    try {
      await checkAppKey(db, this.cfg.env.APP_KEY);
    } catch (err) {
      const why =
        err instanceof AppKeyMismatchError
          ? 'app_key_mismatch'
          : err instanceof NmsError
            ? 'no_schema'
            : 'database_unreachable';
      this.setState(why);
      this.log.error('refusing_work', { reason: why, detail: (err as Error).message, hint: (err as NmsError).hint });
      await this.report();
      if (!this.stopping) {
        const t = setTimeout(
          () => void this.gateAndRun(connection, bgError),
          Math.min(30_000, this.s.service_poller_frequency * 1000),
        );
        this.timers.push(t);
      }
      return;
    }
    if (this.stopping) return;
    const env = this.cfg.env;
    this.dispatcher = new Dispatcher({
      redis: this.redis!,
      connection,
      db,
      keys: this.keys,
      nodeId: env.NODE_ID,
      pollerName: this.s.distributed_poller_name,
      log: this.log.child('dispatcher'),
      settings: () => ({
        pollerFrequency: this.s.service_poller_frequency,
        discoveryFrequency: this.s.service_discovery_frequency,
        downRetry: this.s.service_poller_down_retry,
        masterTimeout: this.s.service_master_timeout,
        pingFrequency: this.s.service_ping_frequency,
        servicesFrequency: this.s.service_services_frequency,
      }),
    });
    this.dispatcher.on('error', bgError);
    this.dispatcher.on('elected', () => this.log.info('dispatcher_elected'));
    this.dispatcher.on('lost', () => this.log.warn('dispatcher_lost'));
    this.alerts = attachAlerts(this.dispatcher, { db, log: this.log.child('alerts'), config: () => this.cfg });
    this.dispatcher.start();
    this.pool = new WorkerPool({
      connection,
      redis: this.redis!,
      keys: this.keys,
      nodeId: env.NODE_ID,
      pollerName: this.s.distributed_poller_name,
      groups: this.s.distributed_poller_group,
      types: this.types,
      handler: this.handler!.handle,
      log: this.log.child('worker'),
      settings: {
        workers: (t) => this.workerCount(t),
        frequency: (t) => this.frequency(t),
        downRetry: () => this.s.service_poller_down_retry,
      },
    });
    this.pool.on('error', bgError);
    this.pool.on('job', (r: JobRecord) => this.onJob(r));
    this.pool.start();
    this.timers.push(setInterval(() => void this.probeWorkers(), 15_000));
    this.setState('working');
    await this.report();
  }

  private async connectDb(): Promise<Db | undefined> {
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        return await openDb(this.cfg.env, { connectionLimit: Math.min(20, 4 + this.s.service_poller_workers) });
      } catch (err) {
        this.state = 'database_unreachable';
        if (attempt === 1 || attempt % 15 === 0) this.log.warn('database_unreachable', { err, attempt });
        await new Promise((r) => this.timers.push(setTimeout(r, this.o.dbRetryMs)));
      }
    }
    return undefined;
  }

  private onJob(r: JobRecord): void {
    this.metrics.recordJob(r);
    if (r.outcome === 'skipped') return;
    if (r.outcome === 'ok') this.counts.ok++;
    else {
      this.counts.failed++;
      this.log.warn('job_failed', { type: r.type, device_id: r.deviceId, outcome: r.outcome, err: r.error });
    }
    const p = this.period.get(r.type) ?? { devices: 0, workerMs: 0 };
    p.devices++;
    p.workerMs += r.durationMs;
    this.period.set(r.type, p);
    if (r.type === 'ping' || r.type === 'services') return; // a group's round: no device record
    this.registry
      ?.recordDevice(r.type, r.deviceId, {
        node_id: this.cfg.env.NODE_ID,
        poller_name: this.s.distributed_poller_name,
        at: r.startedAt,
        duration_ms: r.durationMs,
        outcome: r.outcome,
      })
      .catch(throttled((err) => this.log.warn('memcached_error', { err })));
  }

  /** 2 s (1 s with a poller frequency under 10 s): a dead agent is stale within 3 of them (≤ 10 s). */
  private heartbeatMs(): number {
    return Math.min(HEARTBEAT_MAX_MS, Math.max(1000, (this.s.service_poller_frequency * 1000) / 5));
  }

  private startHeartbeat(): void {
    const warn = throttled((err, n) => this.log.warn('heartbeat_failed', { err, repeats: n }));
    const beat = () => {
      this.registry
        ?.heartbeat({
          node_id: this.cfg.env.NODE_ID,
          poller_name: this.s.distributed_poller_name,
          version: AGENT_VERSION,
          pid: process.pid,
          groups: this.s.distributed_poller_group,
          roles: this.s.roles,
          queues: this.pool?.servedQueues ?? [],
          dispatcher: this.dispatcher?.isMaster ?? false,
          state: this.state,
          started_at: this.startedAt,
          heartbeat_at: Date.now(),
          heartbeat_interval_ms: this.heartbeatMs(),
          jobs_ok: this.counts.ok,
          jobs_failed: this.counts.failed,
        })
        .catch(warn);
    };
    this.beatNow = beat;
    beat();
    this.timers.push(setInterval(beat, this.heartbeatMs()));
  }

  /** Writes a heartbeat now (after a state change, so the registry never lags behind the log). */
  private beatNow: () => void = () => {};

  private setState(state: string): void {
    this.state = state;
    this.beatNow();
  }

  /** Upserts poller_cluster / poller_cluster_stats with the period just ended. */
  private async report(): Promise<void> {
    if (!this.db) return;
    const period = this.period;
    this.period = new Map();
    try {
      const depth =
        this.pool && this.stats
          ? await this.stats
              .counts(this.pool.servedQueues, 1500)
              .catch(() => ({}) as Record<string, { waiting: number }>)
          : {};
      const stats: TypeStats[] = this.types.map((type) => ({
        type,
        depth: Object.entries(depth)
          .filter(([q]) => q.startsWith(`${type}-`))
          .reduce((n, [, c]) => n + c.waiting, 0),
        devices: period.get(type)?.devices ?? 0,
        workerSeconds: (period.get(type)?.workerMs ?? 0) / 1000,
        workers: this.pool?.slots(type) ?? 0,
        frequency: this.frequency(type),
      }));
      await reportCluster(
        this.db,
        {
          nodeId: this.cfg.env.NODE_ID,
          pollerName: this.s.distributed_poller_name,
          version: AGENT_VERSION,
          groups: this.s.distributed_poller_group,
          master: this.dispatcher?.isMaster ?? false,
        },
        stats,
      );
    } catch (err) {
      this.log.warn('cluster_report_failed', { err });
    }
  }

  private registerGauges(): void {
    this.metrics.gauge('nms_agent_queue_depth', 'Jobs in the queues this agent serves, by state.', async () => {
      if (!this.pool || !this.stats) return [];
      const counts = await this.stats.counts(this.pool.servedQueues);
      return Object.entries(counts).flatMap(([queue, c]) =>
        (['waiting', 'active', 'delayed'] as const).map(
          (state) => [{ queue, state }, c[state]] as [Record<string, string>, number],
        ),
      );
    });
    this.metrics.gauge('nms_agent_dispatcher', '1 while this agent is the elected dispatcher.', () => [
      [{}, this.dispatcher?.isMaster ? 1 : 0],
    ]);
    this.metrics.gauge(
      'nms_agent_dispatched_jobs_total',
      'Jobs this agent queued as dispatcher since start.',
      () => [[{}, this.dispatcher?.dispatched ?? 0]],
      'counter',
    );
    this.metrics.gauge('nms_agent_jobs_running', 'Jobs running now.', () => [[{}, this.pool?.active ?? 0]]);
    this.metrics.gauge('nms_agent_working', '1 while the agent takes work (0: refusing, see logs).', () => [
      [{ state: this.state }, this.state === 'working' ? 1 : 0],
    ]);
    this.metrics.gauge(
      'nms_agent_spool_bytes',
      'RRD updates spooled on local disk while rrdcached is unreachable.',
      () => (this.handler?.spoolBytes ? [[{}, this.handler.spoolBytes()]] : []),
    );
    this.metrics.gauge('nms_agent_resident_memory_bytes', 'Resident set size of the agent.', () => [
      [{}, process.memoryUsage.rss()],
    ]);
  }

  /** Why the watchdog should restart us, or undefined (set by {@link probeWorkers}). */
  private stuckReason(): string | undefined {
    return this.stuck;
  }

  /**
   * Workers are stuck when a queue they serve has jobs waiting and no job of that type started
   * or finished for longer than a job may take (its deadline) plus a minute: every job ends by
   * then, so a free slot should have taken one. Queue counts need Redis; while it is down
   * nothing is concluded (an outage is not a reason to restart).
   */
  private async probeWorkers(): Promise<void> {
    const pool = this.pool;
    if (!pool || !this.stats) return;
    let counts: Record<string, { waiting: number }>;
    try {
      counts = await this.stats.counts(pool.servedQueues);
    } catch {
      return;
    }
    this.stuck = stuckWorkers(
      this.types,
      counts,
      (t) => pool.lastProgress(t),
      (t) => pool.deadlineMs(t),
      Date.now(),
    );
  }

  /** Re-reads the configuration. A bad file is logged and the running configuration kept. */
  reload(): Promise<boolean> {
    // Signals can come in bursts: one reload at a time, in order.
    const next = this.reloading.then(() => this.reloadNow());
    this.reloading = next.catch(() => false);
    return next;
  }

  private async reloadNow(): Promise<boolean> {
    if (this.closed) return false;
    let next: NodeConfig;
    try {
      next = loadNodeConfig(this.o.envPath);
    } catch (err) {
      this.log.error('reload_failed', {
        err: (err as Error).message,
        hint: (err as NmsError).hint,
        kept: 'previous configuration',
      });
      return false;
    }
    this.watchdog?.notify('RELOADING=1');
    const prev = this.cfg;
    const structural = (c: NodeConfig) =>
      JSON.stringify([
        c.env,
        c.settings.distributed_poller_group,
        c.settings.roles,
        c.settings.distributed_poller_memcached_host,
        c.settings.distributed_poller_memcached_port,
        c.settings.distributed_poller_name,
        c.settings.api_port,
        c.settings.config_backup_dir,
        c.settings.config_backup_interval,
      ]);
    this.cfg = next;
    setLogLevel(next.settings.service_loglevel);
    const restart = structural(prev) !== structural(next);
    if (restart) {
      await this.stopComponents();
      try {
        await this.startComponents();
      } catch (err) {
        // e.g. the new api_port is taken: go back to what worked rather than run half-started
        this.log.error('reload_failed', {
          err: (err as Error).message,
          hint: (err as NmsError).hint,
          kept: 'previous configuration',
        });
        this.cfg = prev;
        setLogLevel(prev.settings.service_loglevel);
        await this.stopComponents();
        await this.startComponents().catch((e) => this.log.error('restart_failed', { err: (e as Error).message }));
        return false;
      }
    } else this.pool?.applyConcurrency();
    this.log.info('reloaded', { restarted_components: restart });
    this.watchdog?.notify('READY=1');
    return true;
  }

  private async stopComponents(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    // Every step is bounded: with Redis down, BullMQ's commands wait for a reconnect that may
    // never come, and a stop must not hang on them.
    const step = async (name: string, fn: () => Promise<unknown> | unknown, budgetMs = 5000) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), budgetMs)));
        if ((await Promise.race([Promise.resolve(fn()), timeout])) === 'timeout')
          this.log.warn('close_step_timeout', { step: name, ms: budgetMs });
      } catch (err) {
        this.log.warn('close_step_failed', { step: name, err });
      } finally {
        clearTimeout(timer);
      }
    };
    await step('alerts', () => this.alerts?.close());
    await step('dispatcher', () => this.dispatcher?.close());
    await step('workers', () => this.pool?.close(this.o.drainMs), this.o.drainMs + 5000);
    await step('report', () => this.db && this.report());
    await step('report_stopped', () => this.db && reportStopped(this.db, this.cfg.env.NODE_ID));
    if (this.leaving) await step('eventlog', () => this.pollerEvent('left'));
    await step('deregister', () => this.registry?.deregister(this.cfg.env.NODE_ID));
    await step('api', () => this.api?.close());
    await step('syslog', () => this.syslog?.close());
    await step('config_backup', () => this.backup?.close());
    await step('handler', () => this.handler?.close());
    await step('queue_stats', () => this.stats?.close());
    await step('memcached', () => this.registry?.close());
    await step('mariadb', () => this.db?.end());
    await step('redis', () => (this.redis?.status === 'ready' ? this.redis.quit() : this.redis?.disconnect()));
    this.alerts = undefined;
    this.dispatcher =
      this.pool =
      this.stats =
      this.handler =
      this.registry =
      this.db =
      this.redis =
      this.api =
      this.syslog =
      this.backup =
        undefined;
    this.stuck = undefined;
  }

  /** True once close() began: the components stop for good (not a reload), so the poller leaves. */
  private leaving = false;

  /** An eventlog row (no device, type 'poller') when this node joins or leaves the cluster; never throws. */
  private async pollerEvent(what: 'joined' | 'left'): Promise<void> {
    if (!this.db) return;
    const s = this.s;
    const detail =
      what === 'joined' ? ` (groups ${s.distributed_poller_group.join(',')}; roles ${s.roles.join(',')})` : '';
    const name = s.distributed_poller_name;
    await logEvent(this.db, null, 'poller', `Poller ${name} ${what}${detail}`, Severity.info, name.slice(0, 64)).catch(
      (err) => this.log.warn('eventlog_failed', { err }),
    );
  }

  /** Drains and closes everything; safe to call twice. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.log.info('stopping', { drain_ms: this.o.drainMs });
      this.state = 'stopping';
      this.leaving = true;
      await this.watchdog?.close().catch(() => {});
      await this.stopComponents();
      await this.server?.close().catch(() => {});
      this.log.info('stopped');
    })();
    return this.closed;
  }
}

/** The watchdog's rule for stuck workers (see AgentService.probeWorkers); undefined when fine. */
export function stuckWorkers(
  types: JobType[],
  counts: Record<string, { waiting: number }>,
  lastProgress: (t: JobType) => number,
  deadlineMs: (t: JobType) => number,
  now: number,
): string | undefined {
  for (const type of types) {
    const waiting = Object.entries(counts)
      .filter(([q]) => q.startsWith(`${type}-`))
      .reduce((n, [, c]) => n + c.waiting, 0);
    const idle = now - lastProgress(type);
    if (waiting > 0 && idle > deadlineMs(type) + 60_000)
      return `${waiting} ${type} job(s) waiting and none taken for ${Math.round(idle / 1000)} s`;
  }
  return undefined;
}
