// Who is logged in: sessions in MariaDB (`sessions`; the cookie holds a random token, the row its
// SHA-256), CSRF tokens (one per session; a double-submit cookie for the login form, which has no
// session yet) and the per-client slowdown of failed logins.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type mysql from 'mysql2/promise';
import { UNKNOWN_USER_HASH, verifyPassword } from '../../../lib/password.js';
import type { WebUser } from './http.js';

export type WebDb = Pick<mysql.Pool, 'query'>;
type Row = mysql.RowDataPacket;

export const SESSION_COOKIE = 'nms_session';
export const LOGIN_COOKIE = 'nms_login';
/** A session unused this long ends. */
export const SESSION_IDLE_SECONDS = 8 * 3600;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function digestHex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of two tokens (digests compared, so lengths may differ). */
export function sameToken(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

const now = () => Math.floor(Date.now() / 1000);

/** The user when the password is right and the account enabled; the same work either way. */
export async function checkLogin(db: WebDb, username: string, password: string): Promise<WebUser | null> {
  const [rows] = await db.query<Row[]>(
    'SELECT user_id, username, level, password FROM users WHERE username = ? AND enabled = 1 LIMIT 1',
    [username],
  );
  const row = rows[0];
  const ok = await verifyPassword(password, row ? String(row.password ?? '') : UNKNOWN_USER_HASH);
  return ok && row ? { user_id: Number(row.user_id), username: String(row.username), level: Number(row.level) } : null;
}

export async function createSession(db: WebDb, user: WebUser, client: string, userAgent: string): Promise<string> {
  const token = newToken();
  const payload = JSON.stringify({ csrf: newToken() });
  const sql =
    'INSERT INTO sessions (id, user_id, ip_address, user_agent, payload, last_activity) VALUES (?, ?, ?, ?, ?, ?)';
  await db.query(sql, [digestHex(token), user.user_id, client.slice(0, 45), userAgent.slice(0, 500), payload, now()]);
  // idle sessions of everyone are swept here rather than by a timer: logins are rare enough
  await db.query('DELETE FROM sessions WHERE last_activity < ?', [now() - SESSION_IDLE_SECONDS]);
  return token;
}

export interface SessionInfo {
  id: string;
  user: WebUser;
  csrf: string;
}

export async function findSession(db: WebDb, token: string | undefined): Promise<SessionInfo | null> {
  if (!token || token.length > 100) return null;
  const id = digestHex(token);
  const [rows] = await db.query<Row[]>(
    `SELECT s.payload, s.last_activity, u.user_id, u.username, u.level
     FROM sessions s JOIN users u ON u.user_id = s.user_id
     WHERE s.id = ? AND u.enabled = 1`,
    [id],
  );
  const r = rows[0];
  if (!r || Number(r.last_activity) < now() - SESSION_IDLE_SECONDS) return null;
  // touching the row once a minute is enough to keep it alive
  if (Number(r.last_activity) < now() - 60) {
    await db.query('UPDATE sessions SET last_activity = ? WHERE id = ?', [now(), id]);
  }
  let csrf = '';
  try {
    csrf = String((JSON.parse(String(r.payload)) as { csrf?: string }).csrf ?? '');
  } catch {
    return null;
  }
  return { id, csrf, user: { user_id: Number(r.user_id), username: String(r.username), level: Number(r.level) } };
}

export async function endSession(db: WebDb, id: string): Promise<void> {
  await db.query('DELETE FROM sessions WHERE id = ?', [id]);
}

/** After this many failures in a row a client must wait before the next attempt is even checked. */
export const FREE_FAILURES = 5;
const MAX_LOCK_SECONDS = 300;
const MAX_CLIENTS = 10_000;

/**
 * Failed logins per client: each failure answers a little later (up to 2 s), and from the fifth
 * in a row the client is locked out for 1, 2, 4, ... s (up to 5 min) and answered 429 meanwhile.
 */
export class LoginThrottle {
  private readonly clients = new Map<string, { fails: number; until: number }>();
  constructor(private readonly clock: () => number = Date.now) {}

  /** Seconds the client must still wait (0: may try). */
  waitSeconds(client: string): number {
    const c = this.clients.get(client);
    if (!c) return 0;
    return Math.max(0, Math.ceil((c.until - this.clock()) / 1000));
  }

  /** Records a failure; returns the delay in ms to hold the answer back. */
  failed(client: string): number {
    const c = this.clients.get(client) ?? { fails: 0, until: 0 };
    c.fails++;
    const delay = Math.min(c.fails * 200, 2000);
    // the lock runs from when the (delayed) answer leaves
    const lockSeconds = Math.min(2 ** (c.fails - FREE_FAILURES), MAX_LOCK_SECONDS);
    if (c.fails >= FREE_FAILURES) c.until = this.clock() + delay + lockSeconds * 1000;
    this.clients.delete(client);
    this.clients.set(client, c);
    if (this.clients.size > MAX_CLIENTS) this.clients.delete(this.clients.keys().next().value as string);
    return delay;
  }

  succeeded(client: string): void {
    this.clients.delete(client);
  }
}
