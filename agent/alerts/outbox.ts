// Delivers the outbox (alert_notifications): rows due now, oldest first, one at a time per
// alert and transport (a recovery never overtakes its alert). A row is claimed with a
// conditional UPDATE before sending, so two dispatchers overlapping through a failover do not
// both send it; it is marked sent after the transport succeeded, or rescheduled with a doubling
// back-off, or given up after the transport's retries. The window between a successful send
// and the mark (a crash exactly there) is the only way to a duplicate: at least once, not more.
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Db } from '../db/index.js';
import type { Logger } from '../../lib/log.js';
import type { TransportConfig } from '../../lib/alerts.js';
import { DeliveryError, type Transport } from './transports/index.js';
import { retryDelayMs } from './state.js';
import type { AlertPayload } from './transports/index.js';

export interface OutboxOptions {
  db: Db;
  log: Logger;
  /** Identifies this sender in `claimed_by` (the dispatcher's token). */
  owner: string;
  /** Rows looked at per round. Default 50. */
  batch?: number;
}

interface Row {
  id: number;
  transport: string;
  payload: string;
  attempts: number;
}

export async function dueNotifications(db: Db, limit: number): Promise<Row[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT n.id, n.transport, n.payload, n.attempts FROM alert_notifications n
     WHERE n.sent_at IS NULL AND n.failed_at IS NULL AND n.next_attempt <= UTC_TIMESTAMP(3)
       AND (n.claimed_until IS NULL OR n.claimed_until < UTC_TIMESTAMP(3))
       AND NOT EXISTS (SELECT 1 FROM alert_notifications e WHERE e.alert_id = n.alert_id AND e.transport = n.transport
                       AND e.id < n.id AND e.sent_at IS NULL AND e.failed_at IS NULL)
     ORDER BY n.id LIMIT ?`,
    [limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    transport: String(r.transport),
    payload: String(r.payload),
    attempts: Number(r.attempts),
  }));
}

export type TransportSet = Map<string, { config: TransportConfig; transport: Transport }>;

/** Sends what is due with the given transports; returns how many were delivered. */
export async function deliverDue(o: OutboxOptions, transports: TransportSet): Promise<number> {
  const { db, log } = o;
  let sent = 0;
  for (const row of await dueNotifications(db, o.batch ?? 50)) {
    const t = transports.get(row.transport);
    if (!t) {
      // the transport was removed from alerts.yaml: nothing can deliver this row any more
      const why = 'transport no longer configured';
      const sql = `UPDATE alert_notifications SET failed_at = UTC_TIMESTAMP(3), last_error = ?
        WHERE id = ? AND sent_at IS NULL`;
      await db.query(sql, [why, row.id]);
      log.warn('alert_notification_dropped', { id: row.id, transport: row.transport, why });
      continue;
    }
    const claimSeconds = t.config.timeout + 30;
    const [c] = await db.query<ResultSetHeader>(
      `UPDATE alert_notifications SET claimed_by = ?, claimed_until = UTC_TIMESTAMP(3) + INTERVAL ? SECOND
       WHERE id = ? AND sent_at IS NULL AND failed_at IS NULL
         AND (claimed_until IS NULL OR claimed_until < UTC_TIMESTAMP(3))`,
      [o.owner, claimSeconds, row.id],
    );
    if (c.affectedRows !== 1) continue;
    const payload = JSON.parse(row.payload) as AlertPayload;
    try {
      await t.transport.send(payload);
    } catch (err) {
      await recordFailure(o, row, t.config, err);
      continue;
    }
    await db.query(
      `UPDATE alert_notifications SET sent_at = UTC_TIMESTAMP(3), attempts = attempts + 1, claimed_by = NULL,
         claimed_until = NULL, last_error = NULL WHERE id = ?`,
      [row.id],
    );
    const { alert_id, state, rule, device_id } = payload;
    log.info('alert_notified', { id: row.id, transport: row.transport, alert_id, state, rule, device_id });
    sent++;
  }
  return sent;
}

async function recordFailure(o: OutboxOptions, row: Row, config: TransportConfig, err: unknown): Promise<void> {
  // only our own messages are stored: a foreign error text could carry the URL
  const why = err instanceof DeliveryError ? err.message : 'unexpected error';
  if (!(err instanceof DeliveryError)) {
    o.log.error('alert_transport_bug', { transport: row.transport, err: String((err as Error)?.name) });
  }
  const attempts = row.attempts + 1;
  const giveUp = attempts > config.retries;
  await o.db.query(
    `UPDATE alert_notifications SET attempts = ?, last_error = ?, claimed_by = NULL, claimed_until = NULL,
       next_attempt = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND, failed_at = IF(?, UTC_TIMESTAMP(3), NULL)
       WHERE id = ?`,
    [attempts, why.slice(0, 255), retryDelayMs(attempts, config.backoff) * 1000, giveUp ? 1 : 0, row.id],
  );
  const event = giveUp ? 'alert_notification_failed' : 'alert_notification_retry';
  o.log.warn(event, { id: row.id, transport: row.transport, attempts, err: why });
}
