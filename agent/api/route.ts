// What a route of the web/API is: its pattern, the query parameters it accepts and its handler,
// what the handler gets, and the error that answers other than 200. The table of routes is
// routes.ts; the route modules of other parts (alerts.ts, availability) use these shapes.
import { NmsError } from '../../lib/errors.js';
import type { ApiDb } from './queries.js';

/** An answer other than 200, with the message the client sees. */
export class HttpError extends NmsError {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

export interface RedisProbe {
  ping(): Promise<unknown>;
}
export interface MemcachedProbe {
  get(key: string): Promise<unknown>;
}

/** What handlers get besides the request. */
export interface RouteContext {
  db: ApiDb;
  version: string;
  nodeName: string;
  redis?: RedisProbe;
  memcached?: MemcachedProbe;
  queryTimeoutMs: number;
  probeTimeoutMs: number;
}

export interface RouteRequest {
  params: Record<string, string>;
  query: URLSearchParams;
}

export interface Route {
  pattern: RegExp;
  /** Names of the pattern's capture groups, in order. */
  params: string[];
  /** Query parameters accepted; any other is refused with 400 so a typo never widens a filter. */
  query: string[];
  handle(ctx: RouteContext, req: RouteRequest): Promise<Record<string, unknown>>;
}
