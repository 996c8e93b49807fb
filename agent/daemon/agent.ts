// The daemon: one agent process. It owns the configuration (SIGHUP reloads it: a bad file is
// reported and the old configuration kept), /metrics and the watchdog for the whole process,
// and the Components of the configuration in force (connections, dispatcher, workers, registry
// heartbeat, cluster report, roles), which a reload that changes connections or roles replaces.
// Background failures are logged, never fatal, so Redis, MariaDB or memcached coming back
// needs no restart.
import { loadNodeConfig, type NodeConfig } from '../../lib/node-config.js';
import { createLogger, setLogLevel } from '../../lib/log.js';
import { ConfigError, NmsError } from '../../lib/errors.js';
import { CoordKeys, keyPrefixFromEnv } from '../coord/keys.js';
import { AgentMetrics } from './agent-metrics.js';
import { Components, type AgentStatus } from './components.js';
import type { HandlerFactory } from './handler.js';
import { Watchdog } from './watchdog.js';

// doctor reads the version from here
export { AGENT_VERSION } from './version.js';

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

export class AgentService {
  private readonly o: AgentOptions & typeof DEFAULT_AGENT_OPTIONS;
  private readonly log = createLogger('agent');
  private cfg: NodeConfig;
  private readonly keys: CoordKeys;
  private readonly status: AgentStatus = { state: 'starting', startedAt: Date.now(), counts: { ok: 0, failed: 0 } };
  private readonly metrics: AgentMetrics;
  private parts?: Components;
  private watchdog?: Watchdog;
  private closed?: Promise<void>;
  private reloading: Promise<unknown> = Promise.resolve();
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
    this.metrics = new AgentMetrics(() => ({
      state: this.status.state,
      pool: this.parts?.pool,
      stats: this.parts?.stats,
      dispatcher: this.parts?.dispatcher,
      handler: this.parts?.handler,
    }));
  }

  get config(): NodeConfig {
    return this.cfg;
  }

  private get s() {
    return this.cfg.settings;
  }

  async start(): Promise<void> {
    this.metricsPort = await this.metrics.start(this.s);
    // under systemd (Type=notify) the watchdog also says READY=1, so it starts even when its
    // self-check is off
    const enabled = this.s.service_watchdog_enabled;
    if (enabled || process.env.NOTIFY_SOCKET) {
      this.watchdog = new Watchdog({
        log: this.log.child('watchdog'),
        check: enabled ? () => this.parts?.stuck : () => undefined,
      });
      this.watchdog.start();
    }
    await this.startComponents();
    await this.parts?.pollerEvent('joined');
    this.log.info('started', {
      node_id: this.cfg.env.NODE_ID,
      poller_name: this.s.distributed_poller_name,
      groups: this.s.distributed_poller_group,
      roles: this.s.roles,
      metrics_port: this.metricsPort,
    });
  }

  private async startComponents(): Promise<void> {
    this.parts = new Components({
      config: () => this.cfg,
      keys: this.keys,
      log: this.log,
      status: this.status,
      makeHandler: this.o.makeHandler,
      drainMs: this.o.drainMs,
      dbRetryMs: this.o.dbRetryMs,
      onJob: (r) => this.metrics.recordJob(r),
    });
    await this.parts.start();
  }

  private async stopComponents(leaving = false): Promise<void> {
    const parts = this.parts;
    this.parts = undefined;
    await parts?.stop(leaving);
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
      this.reloadFailed(err);
      return false;
    }
    this.watchdog?.notify('RELOADING=1');
    const prev = this.cfg;
    this.cfg = next;
    setLogLevel(next.settings.service_loglevel);
    const restart = structural(prev) !== structural(next);
    if (restart) {
      await this.stopComponents();
      try {
        await this.startComponents();
      } catch (err) {
        // e.g. the new api_port is taken: go back to what worked rather than run half-started
        this.reloadFailed(err);
        this.cfg = prev;
        setLogLevel(prev.settings.service_loglevel);
        await this.stopComponents();
        await this.startComponents().catch((e) => this.log.error('restart_failed', { err: (e as Error).message }));
        return false;
      }
    } else this.parts?.pool?.applyConcurrency();
    this.log.info('reloaded', { restarted_components: restart });
    this.watchdog?.notify('READY=1');
    return true;
  }

  private reloadFailed(err: unknown): void {
    this.log.error('reload_failed', {
      err: (err as Error).message,
      hint: (err as NmsError).hint,
      kept: 'previous configuration',
    });
  }

  /** Drains and closes everything; safe to call twice. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.log.info('stopping', { drain_ms: this.o.drainMs });
      this.status.state = 'stopping';
      await this.watchdog?.close().catch(() => {});
      await this.stopComponents(true);
      await this.metrics.close().catch(() => {});
      this.log.info('stopped');
    })();
    return this.closed;
  }
}

/** The settings whose change needs the components restarted (connections, roles, names, ports). */
function structural(c: NodeConfig): string {
  const s = c.settings;
  return JSON.stringify([
    c.env,
    s.distributed_poller_group,
    s.roles,
    s.distributed_poller_memcached_host,
    s.distributed_poller_memcached_port,
    s.distributed_poller_name,
    s.api_port,
    s.config_backup_dir,
    s.config_backup_interval,
  ]);
}
