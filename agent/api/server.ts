// The master's web/API (agent role `api`): a plain node:http server on 127.0.0.1 behind nginx.
// It owns the listening socket, the token check (X-Auth-Token, constant time) and the mapping of
// every failure to a JSON answer; routes.ts owns what is served. The token is never logged,
// and no response ever carries a stack trace.
import http from 'node:http';
import { hostname } from 'node:os';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import pkg from '../../package.json' with { type: 'json' };
import { ConfigError, NmsError } from '../../lib/errors.js';
import { createLogger, type Logger } from '../../lib/log.js';
import type { NodeConfig } from '../../lib/node-config.js';
import { matchRoute } from './routes.js';
import { HttpError, type MemcachedProbe, type RedisProbe, type RouteContext } from './route.js';
import type { ApiDb } from './queries.js';

export type { ApiDb } from './queries.js';
export type { MemcachedProbe, RedisProbe } from './route.js';

export interface ApiServerOptions {
  /**
   * mysql2/promise pool (or connection) the API reads from. Required. The server never closes
   * it: whoever opened it closes it after `close()`.
   */
  db: ApiDb;
  /** Token clients must send in `X-Auth-Token` (API_TOKEN in /etc/nms/.env). Required, ≥ 16 characters. */
  token: string;
  /** Address to listen on. Default `127.0.0.1` (nginx is the only client). */
  host?: string;
  /** TCP port. Default 8070 (config.yaml `api_port`); 0 picks a free port (tests). */
  port?: number;
  /** Node name shown by /system. Default: the machine's hostname. */
  nodeName?: string;
  /** Version shown by /system. Default: the package version. */
  version?: string;
  /** Redis client (ioredis) checked by /system with PING. Default: none (reported as null). */
  redis?: RedisProbe;
  /** memcached client (memjs) checked by /system with a GET. Default: none (reported as null). */
  memcached?: MemcachedProbe;
  /** Deadline of each database query in ms. Default 5000. */
  queryTimeoutMs?: number;
  /** Deadline of each Redis/memcached check in ms. Default 1000. */
  probeTimeoutMs?: number;
  /** Deadline for a whole request (headers and body) in ms. Default 15000. */
  requestTimeoutMs?: number;
  /** How long `close()` lets requests in flight finish before cutting them, in ms. Default 3000. */
  closeTimeoutMs?: number;
  /** Logger. Default: component `api`. */
  logger?: Logger;
  /** The web UI (agent/web): every path outside /api/ is handed to it. Default: none (JSON 404s). */
  web?: WebHandler;
}

/** What serves the paths outside /api/ on the same port. */
export interface WebHandler {
  handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
}

type Defaults = Required<
  Pick<ApiServerOptions, 'host' | 'port' | 'queryTimeoutMs' | 'probeTimeoutMs' | 'requestTimeoutMs' | 'closeTimeoutMs'>
>;

export const DEFAULT_API_SERVER_OPTIONS: Defaults = {
  host: '127.0.0.1',
  port: 8070,
  queryTimeoutMs: 5000,
  probeTimeoutMs: 1000,
  requestTimeoutMs: 15000,
  closeTimeoutMs: 3000,
};

/** Shortest token accepted: nms generates 32 characters; anything short is guessable. */
export const MIN_TOKEN_LENGTH = 16;

/** mysql2 error codes that mean "cannot talk to MariaDB" rather than "bad query". */
const DB_DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_CON_COUNT_ERROR',
  'POOL_CLOSED',
  'ER_QUERY_TIMEOUT',
]);
const DB_SCHEMA_CODES = new Set(['ER_NO_SUCH_TABLE', 'ER_BAD_FIELD_ERROR']);

export class ApiServer {
  private readonly o: Defaults;
  private readonly ctx: RouteContext;
  private readonly tokenDigest: Buffer;
  private readonly log: Logger;
  private readonly web?: WebHandler;
  private server?: http.Server;
  private closing?: Promise<void>;

  constructor(options: ApiServerOptions) {
    const o = { ...DEFAULT_API_SERVER_OPTIONS, ...stripUndefined(options) };
    if (!options.db || typeof options.db.query !== 'function')
      throw new ConfigError('ApiServer: option db must be a mysql2/promise pool');
    if (typeof options.token !== 'string' || options.token.length < MIN_TOKEN_LENGTH) {
      throw new ConfigError(`the web/API needs API_TOKEN (option token) of at least ${MIN_TOKEN_LENGTH} characters`, {
        hint:
          'set api_token in the inventory secrets.yaml and run `nms deploy` to write it to /etc/nms/.env ' +
          'on the master',
      });
    }
    if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535)
      throw new ConfigError(`api_port (option port) must be 0-65535 (got ${o.port})`);
    if (typeof o.host !== 'string' || !o.host)
      throw new ConfigError('ApiServer: option host must be an address such as 127.0.0.1');
    for (const k of ['queryTimeoutMs', 'probeTimeoutMs', 'requestTimeoutMs', 'closeTimeoutMs'] as const) {
      if (!Number.isFinite(o[k]) || o[k] <= 0)
        throw new ConfigError(`ApiServer: option ${k} must be a positive number of ms (got ${o[k]})`);
    }
    this.o = o;
    this.log = options.logger ?? createLogger('api');
    this.web = options.web;
    // Comparing digests keeps the comparison constant-time even when the lengths differ.
    this.tokenDigest = digest(options.token);
    this.ctx = {
      db: options.db,
      version: options.version ?? pkg.version,
      nodeName: options.nodeName ?? hostname(),
      redis: options.redis,
      memcached: options.memcached,
      queryTimeoutMs: o.queryTimeoutMs,
      probeTimeoutMs: o.probeTimeoutMs,
    };
  }

  /** Starts listening; resolves once the socket is bound. NmsError with the reason when it cannot. */
  async start(): Promise<void> {
    if (this.closing) throw new NmsError('ApiServer: start() after close()');
    if (this.server) throw new NmsError('ApiServer: already started');
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.requestTimeout = this.o.requestTimeoutMs;
    server.headersTimeout = Math.min(this.o.requestTimeoutMs, 10000);
    server.keepAliveTimeout = 5000;
    this.server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.o.port, this.o.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.server = undefined;
      const code = (err as NodeJS.ErrnoException).code;
      throw new NmsError(
        `the web/API cannot listen on ${this.o.host}:${this.o.port}: ${code ?? (err as Error).message}`,
        {
          hint:
            code === 'EADDRINUSE'
              ? 'another process holds the port: stop it or change api_port in /etc/nms/config.yaml'
              : 'check api_port in /etc/nms/config.yaml',
          cause: err,
        },
      );
    }
    server.on('error', (err) => this.log.error('server_error', { error: errorText(err) }));
    const a = this.address();
    this.log.info('listening', { host: a.host, port: a.port });
  }

  /** Where the server listens (the real port when started with port 0). */
  address(): { host: string; port: number } {
    const a = this.server?.address() as AddressInfo | null | undefined;
    if (!a) throw new NmsError('ApiServer: not listening');
    return { host: a.address, port: a.port };
  }

  /** Stops listening, lets requests in flight finish (up to closeTimeoutMs), then cuts the rest. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => server.closeAllConnections(), this.o.closeTimeoutMs);
      timer.unref();
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
    });
    this.log.info('closed');
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.web && !(req.url ?? '/').startsWith('/api/')) return this.web.handle(req, res);
    const started = performance.now();
    const requestId = randomBytes(6).toString('hex');
    req.resume(); // no endpoint reads a body; drain it so keep-alive works
    let status = 500;
    let path = '?';
    try {
      this.authenticate(req);
      let url: URL;
      try {
        url = new URL(`http://localhost${req.url ?? '/'}`);
      } catch {
        throw new HttpError(400, 'malformed request path');
      }
      path = url.pathname;
      const match = matchRoute(url.pathname, url.searchParams);
      if (!match) throw new HttpError(404, `no such endpoint: ${url.pathname}`);
      if (req.method !== 'GET' && req.method !== 'HEAD')
        throw new HttpError(405, `method ${req.method} not allowed; use GET`, { Allow: 'GET, HEAD' });
      const body = await match.route.handle(this.ctx, match.req);
      status = 200;
      send(res, 200, body, requestId);
    } catch (err) {
      const answer = this.toAnswer(err, requestId, path);
      status = answer.status;
      send(res, answer.status, { status: 'error', message: answer.message }, requestId, answer.headers);
    } finally {
      this.log.debug('request', {
        id: requestId,
        method: req.method,
        path,
        status,
        ms: Math.round(performance.now() - started),
      });
    }
  }

  /** Throws 401 unless X-Auth-Token matches; the token itself is never logged. */
  private authenticate(req: http.IncomingMessage): void {
    const given = req.headers['x-auth-token'];
    const from = req.headers['x-real-ip'] ?? req.socket.remoteAddress;
    if (typeof given !== 'string' || given === '') {
      this.log.warn('refused', { reason: 'no token', from });
      throw new HttpError(401, 'authentication required: send the API token in the X-Auth-Token header');
    }
    if (!timingSafeEqual(digest(given), this.tokenDigest)) {
      this.log.warn('refused', { reason: 'wrong token', from });
      throw new HttpError(401, 'invalid API token');
    }
  }

  /** Maps a failure to what the client sees; anything unexpected is logged in full and answered 500. */
  private toAnswer(
    err: unknown,
    requestId: string,
    path: string,
  ): { status: number; message: string; headers?: Record<string, string> } {
    if (err instanceof HttpError) return { status: err.status, message: err.message, headers: err.headers };
    const e = err as { code?: string; fatal?: boolean };
    if (typeof e?.code === 'string' && DB_SCHEMA_CODES.has(e.code)) {
      this.log.error('database_schema', { id: requestId, path, error: errorText(err) });
      return {
        status: 503,
        message: 'the database has no schema or an older one: run `nms-agent migrate` on the master',
      };
    }
    if ((typeof e?.code === 'string' && DB_DOWN_CODES.has(e.code)) || e?.fatal === true) {
      this.log.error('database_unreachable', { id: requestId, path, error: errorText(err) });
      return { status: 503, message: 'database unreachable' };
    }
    this.log.error('internal_error', { id: requestId, path, error: errorText(err), stack: (err as Error)?.stack });
    return { status: 500, message: `internal error (request id ${requestId}; details in the agent log)` };
  }
}

function send(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  requestId: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'X-Request-Id': requestId,
    ...headers,
  });
  res.end(text);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function errorText(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return [e?.code, e?.message ?? String(err)].filter(Boolean).join(': ');
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Handles the agent may pass to the API besides the database. */
export interface ApiServerHandles {
  redis?: RedisProbe;
  memcached?: MemcachedProbe;
  logger?: Logger;
  web?: WebHandler;
}

/** The server `nms-agent run` starts for the `api` role, from the node's configuration. */
export function apiServerFromConfig(config: NodeConfig, db: ApiDb, handles: ApiServerHandles = {}): ApiServer {
  if (!config.env.API_TOKEN) {
    throw new ConfigError(`${config.envPath}: API_TOKEN is empty, and this node has the api role`, {
      hint: 'run `nms deploy` (it writes api_token from the inventory secrets.yaml)',
    });
  }
  return new ApiServer({
    db,
    token: config.env.API_TOKEN,
    port: config.settings.api_port,
    nodeName: config.settings.distributed_poller_name,
    ...handles,
  });
}
