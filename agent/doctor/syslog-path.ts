// The doctor's `syslog` check on a node with role syslog: one test message sent to rsyslog on
// this node (127.0.0.1:514/udp) must arrive in the `syslog` table through the agent; it is then
// deleted. This proves rsyslog, its forwarding, the agent's receiver and MariaDB at once.
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import type { RowDataPacket } from 'mysql2/promise';
import type { Db } from '../db/index.js';

export interface SyslogPathOptions {
  /** Where rsyslog listens. Default 127.0.0.1:514. */
  host?: string;
  port?: number;
  /** Give up after this long, ms. */
  deadlineMs: number;
}

function send(host: string, port: number, text: string): Promise<void> {
  const sock = createSocket('udp4');
  const sent = new Promise<void>((resolve, reject) => {
    sock.send(text, port, host, (err) => (err ? reject(err) : resolve()));
  });
  return sent.finally(() => sock.close());
}

/** Resolves with how long the message took; rejects saying which part to look at. */
export async function probeSyslogPath(db: Db, o: SyslogPathOptions): Promise<number> {
  const token = `nms-syslog-probe-${randomBytes(6).toString('hex')}`;
  const t0 = Date.now();
  // local7.debug, RFC 3164 without a date: rsyslog stamps it on arrival
  await send(o.host ?? '127.0.0.1', o.port ?? 514, `<191>nms-doctor: ${token}`);
  while (Date.now() - t0 < o.deadlineMs) {
    const sql = 'SELECT seq FROM syslog WHERE program = ? AND msg = ? LIMIT 1';
    const [rows] = await db.query<RowDataPacket[]>(sql, ['nms-doctor', token]);
    if (rows.length) {
      await db.query('DELETE FROM syslog WHERE seq = ?', [rows[0].seq]);
      return Date.now() - t0;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const to = `rsyslog on 127.0.0.1:${o.port ?? 514}`;
  throw new Error(`a test message sent to ${to} did not reach the syslog table within ${o.deadlineMs} ms`);
}
