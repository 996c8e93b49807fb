// poller_cluster and poller_cluster_stats, kept current with LibreNMS's meaning: one row per node
// (last_report, master, groups) and per node and job type the work of the last period (devices
// handled, worker_seconds spent, configured workers, queue depth, frequency). A node counts as
// active while last_report is younger than its poller frequency.
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { JobType } from '../coord/keys.js';

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
      `INSERT INTO poller_cluster_stats (parent_poller, poller_type, depth, devices, worker_seconds, workers, frequency)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE depth = VALUES(depth), devices = VALUES(devices), worker_seconds = VALUES(worker_seconds),
         workers = VALUES(workers), frequency = VALUES(frequency)`,
      [id, s.type, s.depth, s.devices, Math.round(s.workerSeconds * 1000) / 1000, s.workers, s.frequency],
    );
  }
  return id;
}

/** Marks this node as no longer the master (on shutdown), leaving the row for `nms status`. */
export async function reportStopped(db: Pool, nodeId: string): Promise<void> {
  await db.query('UPDATE poller_cluster SET master = 0 WHERE node_id = ?', [nodeId]);
}
