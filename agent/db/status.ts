// A device's up/down status with its reason ('' up, 'icmp', 'snmp'), written by polls and ping
// rounds of any poller. Each result carries the time it was observed; the row keeps the time of
// the observation behind its status (status_at) and takes a result only when it is not older,
// so a stale result from another poller never undoes a newer one. The change and its eventlog
// row are one conditional UPDATE away from each other: of two pollers reporting the same change,
// only the one whose UPDATE changed the row writes the event, so each change is one row.
import type mysql from 'mysql2/promise';
import { withRetry, type Db } from './connection.js';
import type { WriteBatch } from './batch.js';
import { logEvent, Severity } from './eventlog.js';

export type StatusReason = '' | 'icmp' | 'snmp';

export interface StatusChange {
  deviceId: number;
  /** When the result was observed (the start of the check). */
  observedAt: Date;
  up: boolean;
  reason: StatusReason;
  /** What the caller last read: picks the event's wording (never polled vs changed). */
  before: { status: number; status_reason: string };
  /** Why it is down, for the eventlog. */
  detail?: string;
}

/** True when the result differs from what `before` says: only then is a write needed. */
export function statusDiffers(c: Pick<StatusChange, 'up' | 'reason' | 'before'>): boolean {
  return (c.up ? 1 : 0) !== Number(c.before.status) || c.reason !== c.before.status_reason;
}

/** The event of a change, LibreNMS's wording; undefined when nothing is worth a row. */
export function statusEvent(c: Pick<StatusChange, 'up' | 'reason' | 'before' | 'detail'>): {
  message: string;
  severity: number;
  reference: string;
} {
  const reference = c.before.status_reason || 'snmp';
  if (c.up) return { message: 'Device status changed to Up', severity: Severity.ok, reference };
  const detail = c.detail ? `: ${c.detail}` : '';
  const wasUp = Number(c.before.status) === 1;
  const down = (message: string) => ({ message, severity: Severity.error, reference: c.reason });
  if (!wasUp && c.before.status_reason === '') return down(`Device is Down from ${c.reason} check${detail}`);
  const was = c.before.status_reason;
  if (!wasUp) return down(`Device status changed to Down from ${c.reason} check (was ${was})${detail}`);
  return down(`Device status changed to Down from ${c.reason} check${detail}`);
}

/**
 * Applies one result: 'changed' (row updated, event written), 'same' (the row already says so)
 * or 'stale' (a newer observation is recorded).
 */
export async function applyStatus(db: Db, c: StatusChange): Promise<'changed' | 'same' | 'stale'> {
  const status = c.up ? 1 : 0;
  const [res] = await withRetry(() =>
    db.query<mysql.ResultSetHeader>(
      'UPDATE devices SET status = ?, status_reason = ?, status_at = ? ' +
        'WHERE device_id = ? AND (status_at IS NULL OR status_at <= ?) AND (status <> ? OR status_reason <> ?)',
      [status, c.reason, c.observedAt, c.deviceId, c.observedAt, status, c.reason],
    ),
  );
  if (res.affectedRows === 1) {
    const e = statusEvent(c);
    await logEvent(db, c.deviceId, 'availability', e.message, e.severity, e.reference);
    return 'changed';
  }
  const sql = 'SELECT status, status_reason FROM devices WHERE device_id = ?';
  const [rows] = await db.query<mysql.RowDataPacket[]>(sql, [c.deviceId]);
  const r = rows[0];
  if (r && Number(r.status) === status && r.status_reason === c.reason) return 'same';
  return 'stale';
}

const PORT_CHANGES = `SELECT port_id, ifName, ifDescr, ifOperStatus, ifOperStatus_prev FROM ports
  WHERE device_id = ? AND deleted = 0 AND ifAdminStatus = 'up'
    AND ifOperStatus_prev IS NOT NULL AND ifOperStatus <> ifOperStatus_prev`;

/**
 * Eventlog rows for the device's ports whose operational status changed in the poll just
 * written (the ports upsert keeps the previous value in ifOperStatus_prev) while
 * administratively up; returns how many. A port an operator shut down is no news. With
 * `writes` (the poll's batch holding the upsert) the read is queued after it and the rows are
 * written once the batch is sent; it then returns 0.
 */
export async function logPortChanges(db: Db, deviceId: number, writes?: WriteBatch): Promise<number> {
  if (writes) {
    writes.add(PORT_CHANGES, [deviceId], {
      onResult: (rows) => portEvents(db, deviceId, rows as mysql.RowDataPacket[]),
    });
    return 0;
  }
  const [rows] = await db.query<mysql.RowDataPacket[]>(PORT_CHANGES, [deviceId]);
  return portEvents(db, deviceId, rows);
}

async function portEvents(db: Db, deviceId: number, rows: mysql.RowDataPacket[]): Promise<number> {
  for (const r of rows) {
    const name = r.ifName || r.ifDescr || `port ${r.port_id}`;
    const down = r.ifOperStatus !== 'up';
    const text = `Port ${name} is ${r.ifOperStatus} (was ${r.ifOperStatus_prev}) while administratively up`;
    await logEvent(db, deviceId, 'interface', text, down ? Severity.error : Severity.ok, String(r.port_id));
  }
  return rows.length;
}
