// The master's web UI: plain server-rendered HTML on the same port as /api/v0 (ApiServer hands
// every other path to WebApp.handle). This file owns the plumbing: it finds the route in
// routes.ts, applies the route's guard (session → redirect to /login, or 401 for graphs) and its
// CSRF check, and writes every answer with the security headers. Pages live in pages/.
import type http from 'node:http';
import { randomBytes } from 'node:crypto';
import { createLogger, type Logger } from '../../lib/log.js';
import { findSession, LoginThrottle, sameToken, SESSION_COOKIE, LOGIN_COOKIE, type WebDb } from './common/auth.js';
import {
  clientAddress,
  HttpError,
  parseCookies,
  readForm,
  redirect,
  type Reply,
  type WebRequest,
} from './common/http.js';
import { WEB_ROUTES } from './routes.js';
import type { WebContext } from './common/context.js';
import { GraphRunner } from './common/graphs.js';

export interface WebAppOptions {
  db: WebDb;
  /** rrdcached address for `rrdtool graph --daemon` (`host:port` or `unix:/path`). */
  rrdcached: string;
  /**
   * The RRD directory as rrdcached sees it (config.yaml `rrd_dir`). Over a unix socket rrdtool
   * resolves file names itself, so they are given absolute; over TCP they stay relative.
   */
  rrdDir?: string;
  logger?: Logger;
  /** rrdtool processes drawing at once. Default 4. */
  graphConcurrency?: number;
}

/** Sent with every answer; scripts only from our own origin, nothing inline. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
    "connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
};

const SCHEMA_CODES = new Set(['ER_NO_SUCH_TABLE', 'ER_BAD_FIELD_ERROR']);

export class WebApp {
  private readonly ctx: WebContext;
  private readonly log: Logger;

  constructor(o: WebAppOptions) {
    this.log = o.logger ?? createLogger('web');
    const graphs = new GraphRunner(o.rrdcached, o.graphConcurrency ?? 4, o.rrdDir);
    this.ctx = { db: o.db, throttle: new LoginThrottle(), graphs, log: this.log };
  }

  /** For tests: the context pages get. */
  get context(): WebContext {
    return this.ctx;
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    let path = '?';
    let status = 500;
    try {
      const url = new URL(`http://localhost${req.url ?? '/'}`);
      path = url.pathname;
      const reply = await this.route(req, url);
      status = reply.status ?? 200;
      write(res, reply);
    } catch (err) {
      const reply = this.failure(err, path);
      status = reply.status ?? 500;
      write(res, reply);
    } finally {
      this.log.debug('request', { method: req.method, path, status, ms: Math.round(performance.now() - started) });
    }
  }

  private async route(req: http.IncomingMessage, url: URL): Promise<Reply> {
    const candidates = WEB_ROUTES.map((r) => ({ r, m: r.pattern.exec(url.pathname) })).filter((x) => x.m);
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const found = candidates.find((x) => x.r.method === method);
    const cookies = parseCookies(req.headers.cookie);
    const w: WebRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      params: found ? found.m!.slice(1) : [],
      form: new URLSearchParams(),
      cookies,
      client: clientAddress(req),
      userAgent: String(req.headers['user-agent'] ?? ''),
    };
    const route = found?.r;
    if (route?.guard !== 'public') {
      const s = await findSession(this.ctx.db, cookies.get(SESSION_COOKIE));
      if (s) Object.assign(w, { user: s.user, csrf: s.csrf, sessionId: s.id });
      if (!s) {
        if (route?.guard === 'session-401') throw new HttpError(401, 'log in first (no valid session)');
        if (method !== 'GET') throw new HttpError(403, 'no valid session: log in again');
        return redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`);
      }
    }
    if (!route) {
      const allow = [...new Set(candidates.map((c) => c.r.method))].join(', ');
      if (candidates.length) throw new HttpError(405, `method ${req.method} not allowed here`, { Allow: allow });
      throw new HttpError(404, `no such page: ${url.pathname}`);
    }
    if (method === 'POST') {
      w.form = await readForm(req);
      const want = route.csrf === 'login' ? cookies.get(LOGIN_COOKIE) : w.csrf;
      if (!sameToken(w.form.get('_csrf'), want)) {
        throw new HttpError(
          403,
          'the form is stale or was not sent by this site (CSRF token missing or wrong): ' +
            'reload the page and try again',
        );
      }
    } else req.resume();
    return route.handle(this.ctx, w);
  }

  private failure(err: unknown, path: string): Reply {
    const text = 'text/plain; charset=utf-8';
    if (err instanceof HttpError)
      return { status: err.status, type: text, body: err.message + '\n', headers: err.headers };
    const code = (err as { code?: string })?.code;
    if (code && SCHEMA_CODES.has(code)) {
      this.log.error('database_schema', { path, error: (err as Error).message });
      return {
        status: 503,
        type: text,
        body: 'the database has no schema or an older one: run `nms-agent migrate` on the master\n',
      };
    }
    const id = randomBytes(6).toString('hex');
    this.log.error('internal_error', { id, path, error: (err as Error)?.message, stack: (err as Error)?.stack });
    return { status: 500, type: text, body: `internal error (request id ${id}; details in the agent log)\n` };
  }
}

function write(res: http.ServerResponse, r: Reply): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = typeof r.body === 'string' ? Buffer.from(r.body, 'utf8') : r.body;
  res.writeHead(r.status ?? 200, {
    ...SECURITY_HEADERS,
    'Cache-Control': 'no-store',
    'Content-Type': r.type ?? 'text/html; charset=utf-8',
    'Content-Length': body.length,
    ...r.headers,
  });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}
