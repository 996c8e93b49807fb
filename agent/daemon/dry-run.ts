// A rehearsal handler: takes jobs like the poller but does no SNMP. It records each run on the
// device row the way a real poll does (agent/db recordPoll) and appends a row to
// `dry_run_polls`, so a cluster's coordination (dispatch, groups, failover) can be checked
// before devices answer, and the integration tests can count who ran what and when.
import { setTimeout as sleep } from 'node:timers/promises';
import type { RowDataPacket } from 'mysql2/promise';
import { recordPoll } from '../db/index.js';
import type { HandlerFactory } from './handler.js';

export const DRY_RUN_TABLE = 'dry_run_polls';

export function dryRunHandler(workMs = 0): HandlerFactory {
  return async ({ db, config }) => {
    await db.query(`CREATE TABLE IF NOT EXISTS ${DRY_RUN_TABLE} (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  device_id INT UNSIGNED NOT NULL,
  poller_type VARCHAR(16) NOT NULL,
  node_id VARCHAR(255) NOT NULL,
  poller_name VARCHAR(255) NOT NULL,
  started_at DATETIME(3) NOT NULL,
  ended_at DATETIME(3) NOT NULL,
  KEY dry_run_polls_device (device_id, poller_type, started_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    return {
      handle: async (type, deviceId, signal) => {
        const startedAt = new Date();
        if (workMs > 0) await sleep(workMs, undefined, { signal });
        const [rows] = await db.query<RowDataPacket[]>(
          'SELECT device_id, status, status_reason FROM devices WHERE device_id = ?',
          [deviceId],
        );
        if (rows.length === 0) return; // deleted since it was queued
        const before = {
          device_id: deviceId,
          status: Number(rows[0].status),
          status_reason: String(rows[0].status_reason),
        };
        const seconds = (Date.now() - startedAt.getTime()) / 1000;
        const kind = type === 'discovery' ? 'discovery' : 'poll';
        if (type === 'poller' || type === 'discovery')
          await recordPoll(db, before, { startedAt, seconds, up: true, reason: '' }, kind);
        await db.query(
          `INSERT INTO ${DRY_RUN_TABLE} (device_id, poller_type, node_id, poller_name, started_at, ended_at) ` +
            'VALUES (?, ?, ?, ?, ?, ?)',
          [deviceId, type, config.env.NODE_ID, config.settings.distributed_poller_name, startedAt, new Date()],
        );
      },
      close: async () => {},
    };
  };
}
