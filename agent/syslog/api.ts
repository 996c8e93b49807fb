// The read behind `/api/v0/logs/syslog[/:hostname]` (routes in agent/api/routes.ts): a device's
// syslog in the shape of LibreNMS's API (`status`, `message`, `count`, `total`, `logs`).
import type mysql from 'mysql2/promise';

type ApiDb = Pick<mysql.Pool, 'query'>;
type Row = mysql.RowDataPacket;

export interface SyslogFilter {
  /** A device id, hostname or sysName; absent: every device. */
  device?: string;
  /** `YYYY-MM-DD[ hh:mm[:ss]]`, inclusive. */
  from?: string;
  to?: string;
  order: 'ASC' | 'DESC';
  limit: number;
  start: number;
}

/** The page of messages, or null when `device` names no device. */
export async function listSyslog(
  db: ApiDb,
  f: SyslogFilter,
  timeoutMs: number,
): Promise<Record<string, unknown> | null> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (f.device !== undefined) {
    const key = f.device;
    const sql = `SELECT device_id FROM devices WHERE device_id = ? OR hostname = ? OR sysName = ?
      ORDER BY device_id LIMIT 1`;
    const byKey = [/^\d+$/.test(key) ? Number(key) : -1, key, key];
    const [d] = await db.query<Row[]>({ sql, values: byKey, timeout: timeoutMs });
    if (!d.length) return null;
    where.push('s.device_id = ?');
    values.push(d[0].device_id);
  }
  for (const [v, op] of [
    [f.from, '>='],
    [f.to, '<='],
  ] as const) {
    if (!v) continue;
    where.push(`s.timestamp ${op} ?`);
    values.push(v);
  }
  const cond = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const countSql = `SELECT COUNT(*) AS total FROM syslog s ${cond}`;
  const [[{ total }]] = await db.query<Row[]>({ sql: countSql, values, timeout: timeoutMs });
  const [logs] = await db.query<Row[]>({
    sql: `SELECT s.seq, s.device_id, d.hostname, s.facility, s.priority, s.level, s.tag,
        DATE_FORMAT(s.timestamp, '%Y-%m-%d %H:%i:%s') AS timestamp, s.program, s.msg
      FROM syslog s LEFT JOIN devices d ON d.device_id = s.device_id ${cond}
      ORDER BY s.timestamp ${f.order}, s.seq ${f.order} LIMIT ? OFFSET ?`,
    values: [...values, f.limit, f.start],
    timeout: timeoutMs,
  });
  const out = logs.map((l) => ({ ...l, seq: Number(l.seq) }));
  return { status: 'ok', message: '', count: out.length, total: Number(total), logs: out };
}
