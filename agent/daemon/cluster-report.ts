// poller_cluster and poller_cluster_stats, kept current with LibreNMS's meaning: one row per node
// (last_report, master, groups) and per node and job type the work of the last period (devices
// handled, worker_seconds spent, configured workers, queue depth, frequency). A node counts as
// active while last_report is younger than its poller frequency. ClusterReporter sums the
// finished jobs of each period and writes them once a period.
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Logger } from '../../lib/log.js';
import type { JobType } from '../coord/keys.js';
import type { JobRecord } from '../coord/worker-pool.js';

export interface NodeReport {
  nodeId: string;
  pollerName: string;
  version: string;
  groups: number[];
  master: boolean;
}

export interface TypeStats {
  type: JobType;
  depth: number;
  devices: number;
  workerSeconds: number;
  workers: number;
  frequency: number;
}

/** Upserts this node's rows; returns its poller_cluster id. */
export async function reportCluster(db: Pool, node: NodeReport, stats: TypeStats[]): Promise<number> {
  await db.query<ResultSetHeader>(
    `INSERT INTO poller_cluster (node_id, poller_name, poller_version, poller_groups, last_report, master)
     VALUES (?, ?, ?, ?, UTC_TIMESTAMP(), ?)
     ON DUPLICATE KEY UPDATE poller_name = VALUES(poller_name), poller_version = VALUES(poller_version),
       poller_groups = VALUES(poller_groups), last_report = VALUES(last_report), master = VALUES(master)`,
    [node.nodeId, node.pollerName, node.version, node.groups.join(','), node.master ? 1 : 0],
  );
  const [rows] = await db.query<RowDataPacket[]>('SELECT id FROM poller_cluster WHERE node_id = ?', [node.nodeId]);
  const id = Number(rows[0].id);
  for (const s of stats) {
    await db.query(
      `INSERT INTO poller_cluster_stats
         (parent_poller, poller_type, depth, devices, worker_seconds, workers, frequency)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE depth = VALUES(depth), devices = VALUES(devices),
         worker_seconds = VALUES(worker_seconds), workers = VALUES(workers), frequency = VALUES(frequency)`,
      [id, s.type, s.depth, s.devices, Math.round(s.workerSeconds * 1000) / 1000, s.workers, s.frequency],
    );
  }
  return id;
}

/** Marks this node as no longer the master (on shutdown), leaving the row for `nms status`. */
export async function reportStopped(db: Pool, nodeId: string): Promise<void> {
  await db.query('UPDATE poller_cluster SET master = 0 WHERE node_id = ?', [nodeId]);
}

export interface ClusterReporterOptions {
  db: Pool;
  log: Logger;
  /** Job types this node serves. */
  types: JobType[];
  /** This node as its poller_cluster row shows it, read at each report. */
  node: () => NodeReport;
  /** Waiting jobs per queue name; {} when unknown (Redis down). */
  depth: () => Promise<Record<string, { waiting: number }>>;
  /** Configured worker slots of a job type on this node. */
  workers: (type: JobType) => number;
  /** Frequency of a job type in seconds. */
  frequency: (type: JobType) => number;
  /** Length of a period in ms: a report at the end of each. */
  periodMs: number;
}

interface Period {
  devices: number;
  workerMs: number;
}

/** Keeps this node's poller_cluster rows current: one report per period, and one on demand. */
export class ClusterReporter {
  private period = new Map<JobType, Period>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly o: ClusterReporterOptions) {}

  start(): void {
    this.timer ??= setInterval(() => void this.report(), this.o.periodMs);
  }

  /** Counts a finished job (skipped ones are not work) into the period. */
  recordJob(r: JobRecord): void {
    if (r.outcome === 'skipped') return;
    const p = this.period.get(r.type) ?? { devices: 0, workerMs: 0 };
    p.devices++;
    p.workerMs += r.durationMs;
    this.period.set(r.type, p);
  }

  /** Upserts poller_cluster / poller_cluster_stats with the period just ended; failures are logged. */
  async report(): Promise<void> {
    const period = this.period;
    this.period = new Map();
    try {
      const depth = await this.o.depth().catch(() => ({}) as Record<string, { waiting: number }>);
      const stats: TypeStats[] = this.o.types.map((type) => ({
        type,
        depth: Object.entries(depth)
          .filter(([q]) => q.startsWith(`${type}-`))
          .reduce((n, [, c]) => n + c.waiting, 0),
        devices: period.get(type)?.devices ?? 0,
        workerSeconds: (period.get(type)?.workerMs ?? 0) / 1000,
        workers: this.o.workers(type),
        frequency: this.o.frequency(type),
      }));
      await reportCluster(this.o.db, this.o.node(), stats);
    } catch (err) {
      this.o.log.warn('cluster_report_failed', { err });
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
