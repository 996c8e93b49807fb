// `/devices`: search by name, IP or sysName; filters (status, OS, poller group); sortable;
// paginated on the server (LIMIT/OFFSET with one COUNT), so 10,000 devices cost one page of rows.
import { isIP } from 'node:net';
import { DEVICE_COLUMNS, deviceName, likeEscape, maybe, rows, type Row } from '../common/db.js';
import { html, qs } from '../common/html.js';
import { HttpError, htmlReply, type Reply, type WebRequest } from '../common/http.js';
import { duration, osIcon, page, selectBox, statusBadge, table, when } from '../common/layout.js';
import type { WebContext } from '../common/context.js';

export const PAGE_SIZE = 50;

const SORTS: Record<string, string> = {
  hostname: 'd.hostname',
  sysName: 'd.sysName',
  os: 'd.os',
  location: 'd.location',
  status: 'd.status',
  uptime: 'd.uptime',
  last_polled: 'd.last_polled',
  poller_group: 'd.poller_group',
};
const STATUS: Record<string, string> = {
  up: 'd.status = 1 AND d.`ignore` = 0 AND d.disabled = 0',
  down: 'd.status = 0 AND d.`ignore` = 0 AND d.disabled = 0',
  ignored: 'd.`ignore` = 1',
  disabled: 'd.disabled = 1',
};

export interface DeviceListQuery {
  q: string;
  status: string;
  os: string;
  poller_group: string;
  /** LibreNMS's device type (server, network, ...), once the OS definitions fill it. */
  type: string;
  sort: string;
  dir: 'asc' | 'desc';
  page: number;
}

export function parseDeviceListQuery(p: URLSearchParams): DeviceListQuery {
  const o: DeviceListQuery = {
    q: (p.get('q') ?? '').trim().slice(0, 128),
    status: p.get('status') ?? '',
    os: (p.get('os') ?? '').slice(0, 32),
    poller_group: p.get('poller_group') ?? '',
    type: (p.get('type') ?? '').slice(0, 20),
    sort: p.get('sort') ?? 'hostname',
    dir: p.get('dir') === 'desc' ? 'desc' : 'asc',
    page: Number(p.get('page') ?? 1),
  };
  if (o.status && !STATUS[o.status]) throw new HttpError(400, 'status must be up, down, ignored or disabled');
  if (o.poller_group && !/^\d{1,9}$/.test(o.poller_group)) throw new HttpError(400, 'poller_group must be a number');
  if (!Object.hasOwn(SORTS, o.sort)) throw new HttpError(400, `sort must be one of ${Object.keys(SORTS).join(', ')}`);
  if (!Number.isSafeInteger(o.page) || o.page < 1 || o.page > 1_000_000) {
    throw new HttpError(400, 'page must be a positive number');
  }
  return o;
}

export function deviceWhere(o: DeviceListQuery): { sql: string; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  if (o.q) {
    const like = `%${likeEscape(o.q)}%`;
    const ip = isIP(o.q) ? ' OR d.ip = INET6_ATON(?)' : '';
    where.push(`(d.hostname LIKE ? OR d.sysName LIKE ? OR d.display LIKE ?${ip})`);
    values.push(like, like, like, ...(ip ? [o.q] : []));
  }
  if (o.status) where.push(STATUS[o.status]);
  if (o.os) {
    where.push('d.os = ?');
    values.push(o.os);
  }
  if (o.poller_group) {
    where.push('d.poller_group = ?');
    values.push(Number(o.poller_group));
  }
  if (o.type) {
    where.push('d.type = ?');
    values.push(o.type);
  }
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', values };
}

export async function devicesPage(ctx: WebContext, req: WebRequest): Promise<Reply> {
  const o = parseDeviceListQuery(req.query);
  // the type column comes with the OS definitions: without it there is no type filter
  const types = await maybe(
    ctx.db,
    "SELECT DISTINCT type FROM devices WHERE type IS NOT NULL AND type <> '' ORDER BY type LIMIT 50",
  );
  if (types === null) o.type = '';
  const w = deviceWhere(o);
  const order = `ORDER BY ${SORTS[o.sort]} ${o.dir}, d.device_id ${o.dir}`;
  const [[count], list, oses, groups] = await Promise.all([
    rows(ctx.db, `SELECT COUNT(*) AS n FROM devices d ${w.sql}`, w.values),
    rows(ctx.db, `SELECT ${DEVICE_COLUMNS} FROM devices d ${w.sql} ${order} LIMIT ? OFFSET ?`, [
      ...w.values,
      PAGE_SIZE,
      (o.page - 1) * PAGE_SIZE,
    ]),
    rows(ctx.db, "SELECT DISTINCT os FROM devices WHERE os IS NOT NULL AND os <> '' ORDER BY os LIMIT 200"),
    rows(ctx.db, 'SELECT DISTINCT poller_group FROM devices ORDER BY poller_group LIMIT 200'),
  ]);
  const total = Number(count.n);
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  // defaults stay out of the links, so that shared URLs are short
  const link = (over: Partial<DeviceListQuery>) => {
    const dflt = {
      page: o.page === 1 ? undefined : o.page,
      dir: o.dir === 'asc' ? undefined : o.dir,
      sort: o.sort === 'hostname' ? undefined : o.sort,
    };
    return `/devices${qs({ ...o, ...dflt, ...over })}`;
  };
  const sortable = (key: string, label: string) => {
    const dir = o.sort === key && o.dir === 'asc' ? 'desc' : 'asc';
    const mark = o.sort === key ? (o.dir === 'asc' ? ' ▲' : ' ▼') : '';
    return html`<a href="${link({ sort: key, dir, page: 1 })}">${label}${mark}</a>`;
  };
  const column = (r: Row[], k: string) => r.map((x) => String(x[k]));
  const headers = [
    sortable('status', 'Status'),
    sortable('hostname', 'Device'),
    sortable('os', 'OS / hardware'),
    sortable('location', 'Location'),
    sortable('uptime', 'Uptime'),
    sortable('poller_group', 'Group'),
    sortable('last_polled', 'Last polled'),
  ];
  const cells = list.map((d) => [
    statusBadge(d),
    html`<a href="/device/${Number(d.device_id)}">${deviceName(d)}</a> <br /><small
        >${d.hostname}${d.ip ? html` · ${d.ip}` : ''}</small
      >`,
    html`${osIcon(d.os)}${d.os ?? ''}<br /><small>${d.hardware ?? ''}</small>`,
    d.location,
    duration(d.uptime),
    d.poller_group,
    when(d.last_polled),
  ]);
  const body = html`<h1>Devices <small>(${total})</small></h1>
    <form class="filters" method="get" action="/devices">
      <label>Search <input type="search" name="q" value="${o.q}" placeholder="hostname, sysName or IP" /></label>
      ${selectBox('Status', 'status', Object.keys(STATUS), o.status)}${selectBox('OS', 'os', column(oses, 'os'), o.os)}
      ${types?.length ? selectBox('Type', 'type', column(types, 'type'), o.type) : ''}
      ${selectBox('Poller group', 'poller_group', column(groups, 'poller_group'), o.poller_group)}
      <button type="submit">Filter</button>
    </form>
    ${table(headers, cells, 'no device matches')}
    <p class="pager">
      ${o.page > 1 ? html`<a href="${link({ page: o.page - 1 })}">← previous</a>` : ''}
      <span>page ${o.page} of ${pages}</span>
      ${o.page < pages ? html`<a href="${link({ page: o.page + 1 })}">next →</a>` : ''}
    </p>`;
  return htmlReply(page(req, 'Devices', body));
}
