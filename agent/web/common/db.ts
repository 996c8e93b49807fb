// Reads for the pages. A table or column that another part of nms has not created yet (entity
// inventory, links, mempools, state translations, ...) is not an error for a page: `maybe`
// answers null and the page says "not collected", so the UI works before and after they land.
import type mysql from 'mysql2/promise';
import type { WebDb } from './auth.js';

export type Row = mysql.RowDataPacket;

const TIMEOUT_MS = 5000;

export async function rows(db: WebDb, sql: string, values: unknown[] = []): Promise<Row[]> {
  const [r] = await db.query<Row[]>({ sql, values, timeout: TIMEOUT_MS });
  return r;
}

export async function maybe(db: WebDb, sql: string, values: unknown[] = []): Promise<Row[] | null> {
  try {
    return await rows(db, sql, values);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ER_NO_SUCH_TABLE' || code === 'ER_BAD_FIELD_ERROR') return null;
    throw err;
  }
}

/** Device columns a page may show: never the SNMP credentials. */
export const DEVICE_COLUMNS =
  'd.device_id, d.hostname, d.sysName, d.display, INET6_NTOA(d.ip) AS ip, d.os, d.hardware, ' +
  'd.version, d.location, d.status, d.status_reason, d.`ignore`, d.disabled, d.uptime, d.last_polled, ' +
  'd.last_polled_timetaken, d.poller_group, d.sysDescr, d.sysContact';

/** The name a device is shown by (LibreNMS: display, else sysName, else hostname). */
export function deviceName(d: Row): string {
  return String(d.display || d.sysName || d.hostname);
}

/** `%` and `_` taken literally in a LIKE pattern. */
export function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}
