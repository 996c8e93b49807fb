// The web/API's routes: path patterns, the query parameters each accepts, and handlers that
// turn a request into a JSON body (shapes documented in docs/api.md). HTTP plumbing, the token
// and error mapping live in server.ts.
import { alertRoutes } from './alerts.js';
import { HttpError, type Route, type RouteContext, type RouteRequest } from './route.js';
import { listEventlog, listServices } from './availability.js';
import { listSyslog, type SyslogFilter } from '../syslog/api.js';
import { getConfig, listConfigs, oxidizedNodes } from '../backup/api.js';
import {
  databaseInfo,
  getDevice,
  listDevices,
  listPollers,
  listPorts,
  systemCounts,
  type DeviceFilter,
} from './queries.js';

function deviceId(raw: string): number {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id < 1)
    throw new HttpError(400, `device id must be a positive whole number (got ${JSON.stringify(raw)})`);
  return id;
}

/** A whole number from the query, within bounds, or the default. */
function queryInt(q: URLSearchParams, name: string, dflt: number, max: number): number {
  const v = q.get(name);
  if (v === null) return dflt;
  if (!/^\d{1,9}$/.test(v) || Number(v) > max) {
    throw new HttpError(400, `${name} must be a whole number from 0 to ${max} (got ${JSON.stringify(v)})`);
  }
  return Number(v);
}

async function eventlog(ctx: RouteContext, req: RouteRequest): Promise<Record<string, unknown>> {
  const page = { start: queryInt(req.query, 'start', 0, 1e9), limit: queryInt(req.query, 'limit', 50, 1000) };
  const r = await listEventlog(ctx.db, { device: req.params.device, ...page }, ctx.queryTimeoutMs);
  return { status: 'ok', count: r.logs.length, total: r.total, logs: r.logs };
}

async function services(ctx: RouteContext, req: RouteRequest): Promise<Record<string, unknown>> {
  const state = req.query.get('state') === null ? undefined : queryInt(req.query, 'state', 0, 3);
  const list = await listServices(ctx.db, { device: req.params.device, state }, ctx.queryTimeoutMs);
  return { status: 'ok', count: list.length, services: list };
}

function deviceFilter(q: URLSearchParams): DeviceFilter {
  const f: DeviceFilter = {};
  const group = q.get('poller_group');
  if (group !== null) {
    if (!/^\d{1,9}$/.test(group))
      throw new HttpError(400, `poller_group must be a group number (got ${JSON.stringify(group)})`);
    f.poller_group = Number(group);
  }
  const status = q.get('status');
  if (status !== null) {
    const s = status.toLowerCase();
    if (s === 'up' || s === '1') f.status = 1;
    else if (s === 'down' || s === '0') f.status = 0;
    else throw new HttpError(400, `status must be up or down (got ${JSON.stringify(status)})`);
  }
  return f;
}

/** Resolves true when the service answers within the deadline; never rejects. */
async function probe(
  fn: (() => Promise<unknown>) | undefined,
  timeoutMs: number,
): Promise<{ reachable: boolean; error?: string } | null> {
  if (!fn) return null;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  const attempt = fn();
  attempt.catch(() => undefined); // a late failure after the deadline must not become unhandled
  try {
    await Promise.race([attempt, deadline]);
    return { reachable: true };
  } catch (err) {
    return { reachable: false, error: errorSummary(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** A short reason without connection details that could carry secrets. */
export function errorSummary(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && e.code) return e.code;
  return String(e?.message ?? err)
    .split('\n')[0]
    .slice(0, 200);
}

async function system(ctx: RouteContext): Promise<Record<string, unknown>> {
  const database = async () => {
    try {
      const info = await databaseInfo(ctx.db, ctx.queryTimeoutMs);
      let counts = null;
      let error: string | undefined;
      try {
        counts = await systemCounts(ctx.db, ctx.queryTimeoutMs);
      } catch (err) {
        error = errorSummary(err); // reachable but without schema: say so instead of failing
      }
      return { database: { reachable: true, ...info, ...(error ? { error } : {}) }, counts };
    } catch (err) {
      return {
        database: { reachable: false, time: null, schema_version: null, error: errorSummary(err) },
        counts: null,
      };
    }
  };
  const redis = ctx.redis;
  const memcached = ctx.memcached;
  const [db, r, m] = await Promise.all([
    database(),
    probe(redis && (() => redis.ping()), ctx.probeTimeoutMs),
    probe(memcached && (() => memcached.get('nms:api:probe')), ctx.probeTimeoutMs),
  ]);
  return {
    status: 'ok',
    system: {
      version: ctx.version,
      node: ctx.nodeName,
      time: new Date().toISOString(),
      database: db.database,
      redis: r,
      memcached: m,
      counts: db.counts,
    },
  };
}

const SYSLOG_QUERY = ['start', 'limit', 'from', 'to', 'sortorder'];
const DATETIME = /^\d{4}-\d\d-\d\d( \d\d:\d\d(:\d\d)?)?$/;

function wholeParam(q: URLSearchParams, name: string, def: number, max: number): number {
  const raw = q.get(name);
  if (raw === null) return def;
  if (!/^\d{1,10}$/.test(raw) || Number(raw) > max)
    throw new HttpError(400, `${name} must be a whole number 0-${max} (got ${JSON.stringify(raw)})`);
  return Number(raw);
}

function timeParam(q: URLSearchParams, name: string): string | undefined {
  const raw = q.get(name);
  if (raw === null) return undefined;
  if (!DATETIME.test(raw))
    throw new HttpError(400, `${name} must be a date and time like 2026-12-06 04:00:00 (got ${JSON.stringify(raw)})`);
  return raw;
}

/** `/api/v0/logs/syslog[/:hostname]` (docs/syslog.md). */
async function syslog(ctx: RouteContext, req: RouteRequest): Promise<Record<string, unknown>> {
  const q = req.query;
  const order = (q.get('sortorder') ?? 'ASC').toUpperCase();
  if (order !== 'ASC' && order !== 'DESC')
    throw new HttpError(400, `sortorder must be ASC or DESC (got ${JSON.stringify(q.get('sortorder'))})`);
  const f: SyslogFilter = {
    device: req.params.hostname,
    from: timeParam(q, 'from'),
    to: timeParam(q, 'to'),
    order,
    limit: wholeParam(q, 'limit', 50, 10_000),
    start: wholeParam(q, 'start', 0, 1_000_000_000),
  };
  const r = await listSyslog(ctx.db, f, ctx.queryTimeoutMs);
  if (!r)
    throw new HttpError(
      404,
      `no device ${JSON.stringify(req.params.hostname)} (give a device id, hostname or sysName)`,
    );
  return r;
}

/** Config backup (docs/config-backup.md): versions and diffs, and Oxidized's node source. */
const CONFIG_ROUTES: Route[] = [
  {
    pattern: /^\/api\/v0\/devices\/([^/]+)\/configs$/,
    params: ['id'],
    query: [],
    handle: async (ctx, req) => {
      const id = deviceId(req.params.id);
      const r = await listConfigs(ctx.db, id, ctx.queryTimeoutMs);
      if (!r) throw new HttpError(404, `device ${id} has no config backup (no SSH login in secrets.yaml)`);
      return { status: 'ok', ...r };
    },
  },
  {
    pattern: /^\/api\/v0\/devices\/([^/]+)\/configs\/([^/]+)$/,
    params: ['id', 'version'],
    query: [],
    handle: async (ctx, req) => {
      const id = deviceId(req.params.id);
      const v = req.params.version;
      if (v !== 'latest' && !/^[1-9]\d{0,9}$/.test(v))
        throw new HttpError(400, `version must be a version_id or "latest" (got ${JSON.stringify(v)})`);
      const r = await getConfig(ctx.db, id, v === 'latest' ? 'latest' : Number(v), ctx.queryTimeoutMs);
      if (!r) throw new HttpError(404, `device ${id} has no config version ${v}`);
      return { status: 'ok', ...r };
    },
  },
  {
    pattern: /^\/api\/v0\/oxidized$/,
    params: [],
    query: [],
    handle: async (ctx) =>
      (await oxidizedNodes(ctx.db, undefined, ctx.queryTimeoutMs)) as unknown as Record<string, unknown>,
  },
  {
    pattern: /^\/api\/v0\/oxidized\/([^/]+)$/,
    params: ['hostname'],
    query: [],
    handle: async (ctx, req) => {
      const r = await oxidizedNodes(ctx.db, req.params.hostname, ctx.queryTimeoutMs);
      if (!r.length) throw new HttpError(404, `no device ${JSON.stringify(req.params.hostname)}`);
      return r as unknown as Record<string, unknown>;
    },
  },
];

export const ROUTES: Route[] = [
  { pattern: /^\/api\/v0\/logs\/eventlog$/, params: [], query: ['start', 'limit'], handle: eventlog },
  { pattern: /^\/api\/v0\/logs\/eventlog\/([^/]+)$/, params: ['device'], query: ['start', 'limit'], handle: eventlog },
  { pattern: /^\/api\/v0\/services$/, params: [], query: ['state'], handle: services },
  { pattern: /^\/api\/v0\/services\/([^/]+)$/, params: ['device'], query: ['state'], handle: services },
  { pattern: /^\/api\/v0\/system$/, params: [], query: [], handle: (ctx) => system(ctx) },
  {
    pattern: /^\/api\/v0\/pollers$/,
    params: [],
    query: [],
    handle: async (ctx) => {
      const pollers = await listPollers(ctx.db, ctx.queryTimeoutMs);
      return { status: 'ok', count: pollers.length, pollers };
    },
  },
  {
    pattern: /^\/api\/v0\/devices$/,
    params: [],
    query: ['poller_group', 'status'],
    handle: async (ctx, req) => {
      const devices = await listDevices(ctx.db, deviceFilter(req.query), ctx.queryTimeoutMs);
      return { status: 'ok', count: devices.length, devices };
    },
  },
  {
    pattern: /^\/api\/v0\/devices\/([^/]+)$/,
    params: ['id'],
    query: [],
    handle: async (ctx, req) => {
      const id = deviceId(req.params.id);
      const device = await getDevice(ctx.db, id, ctx.queryTimeoutMs);
      if (!device) throw new HttpError(404, `no device with id ${id}`);
      return { status: 'ok', device };
    },
  },
  {
    pattern: /^\/api\/v0\/devices\/([^/]+)\/ports$/,
    params: ['id'],
    query: [],
    handle: async (ctx, req) => {
      const id = deviceId(req.params.id);
      if (!(await getDevice(ctx.db, id, ctx.queryTimeoutMs))) throw new HttpError(404, `no device with id ${id}`);
      const ports = await listPorts(ctx.db, id, ctx.queryTimeoutMs);
      return { status: 'ok', device_id: id, count: ports.length, ports };
    },
  },
  ...alertRoutes(),
  ...CONFIG_ROUTES,
  { pattern: /^\/api\/v0\/logs\/syslog$/, params: [], query: SYSLOG_QUERY, handle: (ctx, req) => syslog(ctx, req) },
  {
    pattern: /^\/api\/v0\/logs\/syslog\/([^/]+)$/,
    params: ['hostname'],
    query: SYSLOG_QUERY,
    handle: (ctx, req) => syslog(ctx, req),
  },
];

function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'malformed percent-encoding in the path');
  }
}

/** Finds the route for a path (trailing slash ignored) and checks its query parameters. */
export function matchRoute(pathname: string, query: URLSearchParams): { route: Route; req: RouteRequest } | null {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    route.params.forEach((name, i) => (params[name] = decodeParam(m[i + 1])));
    for (const key of new Set(query.keys())) {
      if (!route.query.includes(key)) {
        const allowed = route.query.length ? `; accepted: ${route.query.join(', ')}` : '';
        throw new HttpError(400, `unknown query parameter ${JSON.stringify(key)}${allowed}`);
      }
      if (query.getAll(key).length > 1)
        throw new HttpError(400, `query parameter ${JSON.stringify(key)} given more than once`);
    }
    return { route, req: { params, query } };
  }
  return null;
}
