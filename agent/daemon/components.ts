// Everything one configuration of the agent runs, started in order and stopped in reverse with
// every step bounded: the Redis command connection, the registry and its heartbeat, MariaDB,
// the web/API, syslog and config-backup roles, the job handler, the cluster report, and, once
// the APP_KEY is known to be the cluster's, the dispatcher (with the alert engine) and the
// workers. A reload that changes connections or roles stops one Components and starts another.
import type { Redis } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';
import { serviceOf, type NodeConfig, type NodeSettings } from '../../lib/node-config.js';
import type { Logger } from '../../lib/log.js';
import { AppKeyMismatchError, NmsError } from '../../lib/errors.js';
import { checkAppKey, logEvent, openDb, Severity, type Db } from '../db/index.js';
import type { CoordKeys, JobType } from '../coord/keys.js';
import { Dispatcher } from '../coord/dispatcher.js';
import { WorkerPool, type JobRecord } from '../coord/worker-pool.js';
import { QueueStats } from '../coord/queue-stats.js';
import { throttled } from '../../lib/throttle.js';
import { openCommandRedis, redisOptions } from './connections.js';
import { Registry } from '../registry/registry.js';
import { SyslogReceiver } from '../syslog/receiver.js';
import { ConfigBackup } from '../backup/backup.js';
import { apiServerFromConfig, type ApiServer } from '../api/server.js';
import { attachAlerts } from '../alerts/attach.js';
import type { AlertEngine } from '../alerts/engine.js';
import { WebApp } from '../web/server.js';
import { ClusterReporter, reportStopped } from './cluster-report.js';
import type { HandlerFactory, HandlerHandle } from './handler.js';
import { Heartbeat, heartbeatMs } from './heartbeat.js';
import { AGENT_VERSION } from './version.js';
import { WorkerCheck } from './worker-check.js';
import { DeviceRecords } from './device-records.js';

/** What the agent says about itself in the registry and /metrics; outlives a reload. */
export interface AgentStatus {
  /** 'working', or why the node refuses work (e.g. 'app_key_mismatch'). */
  state: string;
  readonly startedAt: number;
  counts: { ok: number; failed: number };
}

export interface ComponentsOptions {
  /** The configuration as it is now (a reload that changes no connection keeps these components). */
  config: () => NodeConfig;
  keys: CoordKeys;
  log: Logger;
  status: AgentStatus;
  makeHandler: HandlerFactory;
  /** How long stop() waits for running jobs before aborting them. */
  drainMs: number;
  /** Pause between attempts to reach MariaDB at start. */
  dbRetryMs: number;
  /** Every finished job (after the components counted it). */
  onJob: (r: JobRecord) => void;
}

/** Job types a node with these roles serves. */
export function servedTypes(s: Pick<NodeSettings, 'roles'>): JobType[] {
  // service checks are run by the pollers of each device's group (LibreNMS's services type)
  const types: JobType[] = (['poller', 'discovery', 'ping'] as const).filter((t) => s.roles.includes(t));
  return s.roles.includes('poller') ? [...types, 'services'] : types;
}

export class Components {
  private redis?: Redis;
  private registry?: Registry;
  private records?: DeviceRecords;
  private heartbeat?: Heartbeat;
  private reporter?: ClusterReporter;
  private check?: WorkerCheck;
  /** The web/API of the `api` role (the master), on 127.0.0.1:api_port behind nginx. */
  private api?: ApiServer;
  private syslog?: SyslogReceiver;
  /** Device configurations over SSH into git (role `config-backup`, agent/backup). */
  private backup?: ConfigBackup;
  /** Alert rules, run by this agent while it is the dispatcher (agent/alerts). */
  private alerts?: AlertEngine;
  db?: Db;
  handler?: HandlerHandle;
  stats?: QueueStats;
  dispatcher?: Dispatcher;
  pool?: WorkerPool;
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private readonly types: JobType[];

  constructor(private readonly o: ComponentsOptions) {
    this.types = servedTypes(this.s);
  }

  private get s(): NodeSettings {
    return this.o.config().settings;
  }

  /** Why the watchdog should restart us, or undefined. */
  get stuck(): string | undefined {
    return this.check?.stuck;
  }

  private setState(state: string): void {
    this.o.status.state = state;
    this.heartbeat?.beat();
  }

  async start(): Promise<void> {
    const { env } = this.o.config();
    this.redis = openCommandRedis(
      env,
      throttled((err, n) => this.o.log.warn('redis_error', { err, repeats: n })),
    );
    this.registry = new Registry({
      host: this.s.distributed_poller_memcached_host,
      port: this.s.distributed_poller_memcached_port,
      keys: this.o.keys,
    });
    const mcError = throttled((err) => this.o.log.warn('memcached_error', { err }));
    this.records = new DeviceRecords(this.registry, mcError);
    this.startHeartbeat(this.registry);
    this.db = await this.connectDb();
    if (!this.db) return; // stopped while waiting for MariaDB
    await this.startRoles(this.db, this.redis, this.registry);
    this.handler = await this.o.makeHandler({
      db: this.db,
      config: this.o.config(),
      log: this.o.log.child('poll'),
      redis: this.redis,
      keyPrefix: this.o.keys.prefix,
    });
    const connection = redisOptions(env) as ConnectionOptions;
    const bgError = throttled((err, n) => this.o.log.warn('coord_error', { err, repeats: n }));
    this.stats = new QueueStats(connection, this.o.keys, bgError);
    this.reporter = this.newReporter(this.db, this.stats);
    this.reporter.start();
    await this.gateAndRun(connection, bgError);
  }

  private startHeartbeat(registry: Registry): void {
    const status = this.o.status;
    this.heartbeat = new Heartbeat({
      registry,
      log: this.o.log,
      intervalMs: heartbeatMs(this.s.service_poller_frequency),
      entry: () => ({
        node_id: this.o.config().env.NODE_ID,
        poller_name: this.s.distributed_poller_name,
        version: AGENT_VERSION,
        pid: process.pid,
        groups: this.s.distributed_poller_group,
        roles: this.s.roles,
        queues: this.pool?.servedQueues ?? [],
        dispatcher: this.dispatcher?.isMaster ?? false,
        state: status.state,
        started_at: status.startedAt,
        jobs_ok: status.counts.ok,
        jobs_failed: status.counts.failed,
      }),
    });
    this.heartbeat.start();
  }

  /** The web/API (role `api`), the syslog receiver (`syslog`) and the config backup (`config-backup`). */
  private async startRoles(db: Db, redis: Redis, registry: Registry): Promise<void> {
    const log = this.o.log;
    if (this.s.roles.includes('api')) {
      const web = new WebApp({ db, rrdcached: this.s.rrdcached, rrdDir: this.s.rrd_dir, logger: log.child('web') });
      this.api = apiServerFromConfig(this.o.config(), db, {
        redis,
        memcached: { get: (k) => registry.get(k) },
        logger: log.child('api'),
        web,
      });
      await this.api.start();
    }
    if (this.s.roles.includes('syslog')) {
      this.syslog = new SyslogReceiver({
        db,
        log: log.child('syslog'),
        port: this.s.syslog_port,
        purgeDays: this.s.syslog_purge,
      });
      await this.syslog.start();
    }
    if (this.s.roles.includes('config-backup')) {
      this.backup = new ConfigBackup({
        db,
        appKey: this.o.config().env.APP_KEY,
        log: log.child('config-backup'),
        node: this.s.distributed_poller_name,
        dir: this.s.config_backup_dir,
        intervalS: this.s.config_backup_interval,
      });
      this.backup.start();
    }
  }

  private newReporter(db: Db, stats: QueueStats): ClusterReporter {
    return new ClusterReporter({
      db,
      log: this.o.log,
      types: this.types,
      node: () => ({
        nodeId: this.o.config().env.NODE_ID,
        pollerName: this.s.distributed_poller_name,
        version: AGENT_VERSION,
        groups: this.s.distributed_poller_group,
        master: this.dispatcher?.isMaster ?? false,
      }),
      depth: async () => (this.pool ? stats.counts(this.pool.servedQueues, 1500) : {}),
      workers: (t) => this.pool?.slots(t) ?? 0,
      frequency: (t) => serviceOf(this.s, t).frequency,
      periodMs: Math.max(1, this.s.service_poller_frequency) * 1000,
    });
  }

  /** Starts dispatcher and workers once the APP_KEY is known to be the cluster's; rechecks every period otherwise. */
  private async gateAndRun(connection: ConnectionOptions, bgError: (err: Error) => void): Promise<void> {
    const db = this.db!;
    try {
      await checkAppKey(db, this.o.config().env.APP_KEY);
    } catch (err) {
      const why =
        err instanceof AppKeyMismatchError
          ? 'app_key_mismatch'
          : err instanceof NmsError
            ? 'no_schema'
            : 'database_unreachable';
      this.setState(why);
      this.o.log.error('refusing_work', { reason: why, detail: (err as Error).message, hint: (err as NmsError).hint });
      await this.reporter?.report();
      if (this.stopping) return;
      const retryMs = Math.min(30_000, this.s.service_poller_frequency * 1000);
      this.timers.push(setTimeout(() => void this.gateAndRun(connection, bgError), retryMs));
      return;
    }
    if (this.stopping) return;
    this.startDispatcher(db, connection, bgError);
    this.startWorkers(connection, bgError);
    this.setState('working');
    await this.reporter?.report();
  }

  private startDispatcher(db: Db, connection: ConnectionOptions, bgError: (err: Error) => void): void {
    const log = this.o.log;
    this.dispatcher = new Dispatcher({
      redis: this.redis!,
      connection,
      db,
      keys: this.o.keys,
      nodeId: this.o.config().env.NODE_ID,
      pollerName: this.s.distributed_poller_name,
      log: log.child('dispatcher'),
      settings: () => ({
        pollerFrequency: serviceOf(this.s, 'poller').frequency,
        discoveryFrequency: serviceOf(this.s, 'discovery').frequency,
        downRetry: this.s.service_poller_down_retry,
        masterTimeout: this.s.service_master_timeout,
        pingFrequency: serviceOf(this.s, 'ping').frequency,
        servicesFrequency: serviceOf(this.s, 'services').frequency,
      }),
    });
    this.dispatcher.on('error', bgError);
    this.dispatcher.on('elected', () => log.info('dispatcher_elected'));
    this.dispatcher.on('lost', () => log.warn('dispatcher_lost'));
    this.alerts = attachAlerts(this.dispatcher, { db, log: log.child('alerts'), config: this.o.config });
    this.dispatcher.start();
  }

  private startWorkers(connection: ConnectionOptions, bgError: (err: Error) => void): void {
    this.pool = new WorkerPool({
      connection,
      redis: this.redis!,
      keys: this.o.keys,
      nodeId: this.o.config().env.NODE_ID,
      pollerName: this.s.distributed_poller_name,
      groups: this.s.distributed_poller_group,
      types: this.types,
      handler: this.handler!.handle,
      log: this.o.log.child('worker'),
      service: (t) => serviceOf(this.s, t),
    });
    this.pool.on('error', bgError);
    this.pool.on('job', (r: JobRecord) => this.onJob(r));
    this.pool.start();
    this.check = new WorkerCheck(this.pool, this.stats!, this.types);
    this.check.start();
  }

  private async connectDb(): Promise<Db | undefined> {
    const { env } = this.o.config();
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        return await openDb(env, { connectionLimit: Math.min(20, 4 + this.s.service_poller_workers) });
      } catch (err) {
        this.o.status.state = 'database_unreachable';
        if (attempt === 1 || attempt % 15 === 0) this.o.log.warn('database_unreachable', { err, attempt });
        await new Promise((r) => this.timers.push(setTimeout(r, this.o.dbRetryMs)));
      }
    }
    return undefined;
  }

  private onJob(r: JobRecord): void {
    this.o.onJob(r);
    if (r.outcome === 'skipped') {
      // rare (a race with the device's last run, or a job BullMQ handed out twice): a device that
      // misses its polls can then be traced to the guard that held it back
      const round = r.type === 'ping' || r.type === 'services'; // a group's round: no device
      const who = round ? {} : { device_id: r.deviceId };
      this.o.log.info('job_skipped', { type: r.type, group: r.group, ...who, reason: r.error });
      return;
    }
    const counts = this.o.status.counts;
    if (r.outcome === 'ok') counts.ok++;
    else {
      counts.failed++;
      this.o.log.warn('job_failed', { type: r.type, device_id: r.deviceId, outcome: r.outcome, err: r.error });
    }
    this.reporter?.recordJob(r);
    if (r.type === 'ping' || r.type === 'services') return; // a group's round: no device record
    this.records?.add(r.type, r.deviceId, {
      node_id: this.o.config().env.NODE_ID,
      poller_name: this.s.distributed_poller_name,
      at: r.startedAt,
      duration_ms: r.durationMs,
      outcome: r.outcome,
    });
  }

  /** An eventlog row (no device, type 'poller') when this node joins or leaves the cluster; never throws. */
  async pollerEvent(what: 'joined' | 'left'): Promise<void> {
    if (!this.db) return;
    const s = this.s;
    const detail =
      what === 'joined' ? ` (groups ${s.distributed_poller_group.join(',')}; roles ${s.roles.join(',')})` : '';
    const name = s.distributed_poller_name;
    await logEvent(this.db, null, 'poller', `Poller ${name} ${what}${detail}`, Severity.info, name.slice(0, 64)).catch(
      (err) => this.o.log.warn('eventlog_failed', { err }),
    );
  }

  /**
   * Stops everything, each step bounded: with Redis down, BullMQ's commands wait for a reconnect
   * that may never come, and a stop must not hang on them. `leaving`: the agent stops for good
   * (not a reload), so the eventlog says the poller left.
   */
  async stop(leaving: boolean): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    this.heartbeat?.close();
    this.check?.close();
    this.reporter?.close();
    const step = (name: string, fn: () => Promise<unknown> | unknown, budgetMs = 5000) =>
      boundedStep(this.o.log, name, fn, budgetMs);
    await step('alerts', () => this.alerts?.close());
    await step('dispatcher', () => this.dispatcher?.close());
    await step('workers', () => this.pool?.close(this.o.drainMs), this.o.drainMs + 5000);
    await step('report', () => this.reporter?.report());
    await step('report_stopped', () => this.db && reportStopped(this.db, this.o.config().env.NODE_ID));
    if (leaving) await step('eventlog', () => this.pollerEvent('left'));
    await step('device_records', () => this.records?.flush());
    await step('deregister', () => this.registry?.deregister(this.o.config().env.NODE_ID));
    await step('api', () => this.api?.close());
    await step('syslog', () => this.syslog?.close());
    await step('config_backup', () => this.backup?.close());
    await step('handler', () => this.handler?.close());
    await step('queue_stats', () => this.stats?.close());
    await step('memcached', () => this.registry?.close());
    await step('mariadb', () => this.db?.end());
    await step('redis', () => (this.redis?.status === 'ready' ? this.redis.quit() : this.redis?.disconnect()));
    this.alerts = this.dispatcher = this.pool = this.stats = this.handler = this.reporter = undefined;
    this.registry = this.records = this.db = this.redis = this.check = this.heartbeat = undefined;
    this.api = this.syslog = this.backup = undefined;
  }
}

/** Runs one close step within its budget; a failure or a timeout is logged, never thrown. */
async function boundedStep(
  log: Logger,
  name: string,
  fn: () => Promise<unknown> | unknown,
  budgetMs: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), budgetMs)));
    if ((await Promise.race([Promise.resolve(fn()), timeout])) === 'timeout')
      log.warn('close_step_timeout', { step: name, ms: budgetMs });
  } catch (err) {
    log.warn('close_step_failed', { step: name, err });
  } finally {
    clearTimeout(timer);
  }
}
