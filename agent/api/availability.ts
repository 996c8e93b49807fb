// The API's availability answers (LibreNMS-like routes): the eventlog, newest first, for the
// whole cluster or one device (by id or hostname), and the service checks with their state.
import type mysql from 'mysql2/promise';
import { isoTime, type ApiDb } from './queries.js';

type Row = mysql.RowDataPacket;

export interface EventlogQuery {
  /** A device id or hostname; undefined: every device. */
  device?: string;
  /** Rows to skip (LibreNMS's `start`). Default 0. */
  start: number;
  /** At most this many rows (LibreNMS's `limit`). Default 50, at most 1000. */
  limit: number;
}

export async function listEventlog(
  db: ApiDb,
  q: EventlogQuery,
  timeoutMs: number,
): Promise<{ total: number; logs: Record<string, unknown>[] }> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.device !== undefined) {
    if (/^\d+$/.test(q.device)) where.push('e.device_id = ?');
    else where.push('e.device_id IN (SELECT device_id FROM devices WHERE hostname = ? OR sysName = ?)');
    args.push(q.device, ...(/^\d+$/.test(q.device) ? [] : [q.device]));
  }
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const countSql = `SELECT COUNT(*) AS n FROM eventlog e ${w}`;
  const [[count]] = await db.query<Row[]>({ sql: countSql, values: args, timeout: timeoutMs });
  const [rows] = await db.query<Row[]>({
    sql: `SELECT e.event_id, e.device_id, d.hostname, e.datetime, e.message, e.type, e.reference, e.username, e.severity
            FROM eventlog e LEFT JOIN devices d ON d.device_id = e.device_id ${w}
           ORDER BY e.event_id DESC LIMIT ? OFFSET ?`,
    values: [...args, q.limit, q.start],
    timeout: timeoutMs,
  });
  return {
    total: Number(count.n),
    logs: rows.map((r) => ({
      event_id: Number(r.event_id),
      device_id: r.device_id === null ? null : Number(r.device_id),
      hostname: r.hostname ?? null,
      datetime: isoTime(r.datetime),
      message: r.message,
      type: r.type,
      reference: r.reference,
      username: r.username,
      severity: Number(r.severity),
    })),
  };
}

/** Service checks, optionally of one device and in one state (0 ok, 1 warning, 2 critical, 3 unknown). */
export async function listServices(
  db: ApiDb,
  q: { device?: string; state?: number },
  timeoutMs: number,
): Promise<Record<string, unknown>[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.device !== undefined) {
    if (/^\d+$/.test(q.device)) where.push('s.device_id = ?');
    else where.push('d.hostname = ?');
    args.push(q.device);
  }
  if (q.state !== undefined) {
    where.push('s.service_status = ?');
    args.push(q.state);
  }
  const [rows] = await db.query<Row[]>({
    sql: `SELECT s.service_id, s.device_id, d.hostname, s.service_ip, s.service_type, s.service_desc, s.service_param,
                 s.service_name, s.service_status, s.service_changed, s.service_message, s.service_disabled,
                 s.service_ignore, s.service_ds
            FROM services s JOIN devices d ON d.device_id = s.device_id
            ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.service_id`,
    values: args,
    timeout: timeoutMs,
  });
  return rows.map((r) => ({
    ...r,
    service_id: Number(r.service_id),
    device_id: Number(r.device_id),
    service_status: Number(r.service_status),
    service_changed: Number(r.service_changed),
  }));
}
