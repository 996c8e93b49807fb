// The agent's /metrics: the Prometheus endpoint on cluster_address:metrics_port (only loopback
// and metrics_allow may scrape), the job counters fed by the workers' 'job' events, and the
// gauges read at scrape time from whatever runs now (queues, dispatcher, workers, spool, memory).
import type { NodeSettings } from '../../lib/node-config.js';
import { ConfigError } from '../../lib/errors.js';
import type { Dispatcher } from '../coord/dispatcher.js';
import type { QueueStats } from '../coord/queue-stats.js';
import type { JobRecord, WorkerPool } from '../coord/worker-pool.js';
import type { HandlerHandle } from './handler.js';
import { Metrics, MetricsServer } from './metrics.js';
import { MetricsAccess } from './metrics-access.js';

/** What the gauges read; any part may be missing (starting, refusing work, reloading). */
export interface AgentView {
  state: string;
  pool?: WorkerPool;
  stats?: QueueStats;
  dispatcher?: Dispatcher;
  handler?: HandlerHandle;
}

export class AgentMetrics {
  private readonly metrics = new Metrics();
  private server?: MetricsServer;

  constructor(private readonly view: () => AgentView) {
    this.registerGauges();
  }

  /** Listens on cluster_address:metrics_port; resolves with the bound port. */
  async start(s: Pick<NodeSettings, 'cluster_address' | 'metrics_port' | 'metrics_allow'>): Promise<number> {
    this.server = new MetricsServer(
      this.metrics,
      s.cluster_address,
      s.metrics_port,
      new MetricsAccess(s.metrics_allow),
    );
    try {
      return await this.server.start();
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? err;
      throw new ConfigError(`cannot listen for /metrics on ${s.cluster_address}:${s.metrics_port}: ${why}`, {
        hint: 'set cluster_address / metrics_port in config.yaml to an address of this node and a free port',
      });
    }
  }

  /** Counts one finished job (the pool's 'job' event). */
  recordJob(r: JobRecord): void {
    this.metrics.recordJob(r);
  }

  async close(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }

  private registerGauges(): void {
    const m = this.metrics;
    const v = this.view;
    m.gauge('nms_agent_queue_depth', 'Jobs in the queues this agent serves, by state.', async () => {
      const { pool, stats } = v();
      if (!pool || !stats) return [];
      const counts = await stats.counts(pool.servedQueues);
      return Object.entries(counts).flatMap(([queue, c]) =>
        (['waiting', 'active', 'delayed'] as const).map(
          (state) => [{ queue, state }, c[state]] as [Record<string, string>, number],
        ),
      );
    });
    m.gauge('nms_agent_dispatcher', '1 while this agent is the elected dispatcher.', () => [
      [{}, v().dispatcher?.isMaster ? 1 : 0],
    ]);
    m.gauge(
      'nms_agent_dispatched_jobs_total',
      'Jobs this agent queued as dispatcher since start.',
      () => [[{}, v().dispatcher?.dispatched ?? 0]],
      'counter',
    );
    m.gauge('nms_agent_jobs_running', 'Jobs running now.', () => [[{}, v().pool?.active ?? 0]]);
    m.gauge('nms_agent_working', '1 while the agent takes work (0: refusing, see logs).', () => [
      [{ state: v().state }, v().state === 'working' ? 1 : 0],
    ]);
    m.gauge('nms_agent_spool_bytes', 'RRD updates spooled on local disk while rrdcached is unreachable.', () => {
      const handler = v().handler;
      return handler?.spoolBytes ? [[{}, handler.spoolBytes()]] : [];
    });
    m.gauge('nms_agent_resident_memory_bytes', 'Resident set size of the agent.', () => [
      [{}, process.memoryUsage.rss()],
    ]);
  }
}
