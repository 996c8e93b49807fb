// The web's request and reply shapes, cookies and form bodies. Pages return a Reply; server.ts
// writes it with the security headers every answer carries.
import type http from 'node:http';
import { HttpError } from '../../api/route.js';
import type { Html } from './html.js';

export { HttpError };

export interface WebUser {
  user_id: number;
  username: string;
  level: number;
}

export interface WebRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Capture groups of the route's pattern, in order. */
  params: string[];
  /** The urlencoded body of a POST (empty otherwise). */
  form: URLSearchParams;
  cookies: Map<string, string>;
  /** The client's address (nginx's X-Real-IP when the connection comes from loopback). */
  client: string;
  userAgent: string;
  /** Set for routes guarded by a session. */
  user?: WebUser;
  /** The session's CSRF token, for forms on the page. */
  csrf?: string;
  /** The session's cookie digest (for logout). */
  sessionId?: string;
}

export interface Reply {
  status?: number;
  type?: string;
  body: string | Buffer;
  headers?: Record<string, string | string[]>;
}

export function htmlReply(page: Html, status = 200, headers: Record<string, string | string[]> = {}): Reply {
  return { status, type: 'text/html; charset=utf-8', body: page.text, headers };
}

export function redirect(location: string, headers: Record<string, string | string[]> = {}): Reply {
  const text = `see ${location}\n`;
  return { status: 303, type: 'text/plain; charset=utf-8', body: text, headers: { Location: location, ...headers } };
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

/** `name=value` with the attributes every nms cookie has: HttpOnly, Secure, SameSite=Strict. */
export function cookie(name: string, value: string, path: string, maxAgeSeconds?: number): string {
  const age = maxAgeSeconds === undefined ? '' : `; Max-Age=${maxAgeSeconds}`;
  return `${name}=${value}; Path=${path}; HttpOnly; Secure; SameSite=Strict${age}`;
}

const MAX_BODY = 16 * 1024;

/** Reads an urlencoded form body (≤ 16 KiB); anything else is refused. */
export async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new HttpError(415, 'forms must be sent as application/x-www-form-urlencoded');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'form too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** Where a request comes from: X-Real-IP is believed only from nginx on loopback. */
export function clientAddress(req: http.IncomingMessage): string {
  const peer = req.socket.remoteAddress ?? '?';
  const real = req.headers['x-real-ip'];
  const loopback = peer === '127.0.0.1' || peer === '::1' || peer === '::ffff:127.0.0.1';
  return loopback && typeof real === 'string' && real.length <= 45 ? real : peer;
}

/** A local path to return to after login: only `/something`, never `//host` or a scheme. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !/^\/(?![/\\])[A-Za-z0-9/_\-.?=&%~+,]*$/.test(next) || next.startsWith('/login')) return '/';
  return next;
}
