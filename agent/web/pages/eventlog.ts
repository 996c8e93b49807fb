// `/eventlog`: LibreNMS's event log, filtered by device (hostname or id), type and time, paginated.
import { deviceName, rows } from '../common/db.js';
import { html, qs } from '../common/html.js';
import { HttpError, htmlReply, type Reply, type WebRequest } from '../common/http.js';
import { page, selectBox, table, when } from '../common/layout.js';
import type { WebContext } from '../common/context.js';

const SINCE: Record<string, number> = { '1h': 3600, '6h': 6 * 3600, '1d': 86400, '1w': 7 * 86400, '1m': 30 * 86400 };
const PAGE = 100;

function filters(q: URLSearchParams): {
  device: string;
  type: string;
  since: string;
  pageNo: number;
  where: string;
  values: unknown[];
} {
  const device = (q.get('device') ?? '').trim().slice(0, 128);
  const type = (q.get('type') ?? '').slice(0, 64);
  const since = q.get('since') ?? '';
  const pageNo = Number(q.get('page') ?? 1);
  if (since && !Object.hasOwn(SINCE, since))
    throw new HttpError(400, `since must be one of ${Object.keys(SINCE).join(', ')}`);
  if (!Number.isSafeInteger(pageNo) || pageNo < 1) throw new HttpError(400, 'page must be a positive number');
  const where: string[] = [];
  const values: unknown[] = [];
  if (device) {
    const byId = /^\d{1,10}$/.test(device);
    where.push(byId ? 'e.device_id = ?' : 'd.hostname = ?');
    values.push(byId ? Number(device) : device);
  }
  if (type) {
    where.push('e.type = ?');
    values.push(type);
  }
  if (since) {
    where.push('e.datetime >= UTC_TIMESTAMP() - INTERVAL ? SECOND');
    values.push(SINCE[since]);
  }
  return { device, type, since, pageNo, where: where.length ? `WHERE ${where.join(' AND ')}` : '', values };
}

export async function eventlogPage(ctx: WebContext, req: WebRequest): Promise<Reply> {
  const f = filters(req.query);
  const [list, types] = await Promise.all([
    rows(
      ctx.db,
      `SELECT e.datetime, e.type, e.severity, e.message, e.device_id, d.hostname, d.sysName, d.display
      FROM eventlog e LEFT JOIN devices d ON d.device_id = e.device_id ${f.where}
      ORDER BY e.datetime DESC, e.event_id DESC LIMIT ? OFFSET ?`,
      [...f.values, PAGE + 1, (f.pageNo - 1) * PAGE],
    ),
    rows(ctx.db, 'SELECT DISTINCT type FROM eventlog WHERE type IS NOT NULL ORDER BY type LIMIT 100'),
  ]);
  const more = list.length > PAGE;
  const link = (p: number) => `/eventlog${qs({ device: f.device, type: f.type, since: f.since, page: p })}`;
  const cells = list
    .slice(0, PAGE)
    .map((e) => [
      when(e.datetime),
      e.device_id ? html`<a href="/device/${Number(e.device_id)}">${e.hostname ? deviceName(e) : e.device_id}</a>` : '',
      e.type,
      e.severity,
      e.message,
    ]);
  const body = html`<h1>Event log</h1>
    <form class="filters" method="get" action="/eventlog">
      <label>Device <input name="device" value="${f.device}" placeholder="hostname or id" /></label>
      ${selectBox(
        'Type',
        'type',
        types.map((t) => String(t.type)),
        f.type,
      )}
      ${selectBox('Since', 'since', Object.keys(SINCE), f.since, 'any time')}
      <button type="submit">Filter</button>
    </form>
    ${table(['Time', 'Device', 'Type', 'Severity', 'Message'], cells, 'no events')}
    <p class="pager">
      ${f.pageNo > 1 ? html`<a href="${link(f.pageNo - 1)}">← newer</a>` : ''}<span>page ${f.pageNo}</span>
      ${more ? html`<a href="${link(f.pageNo + 1)}">older →</a>` : ''}
    </p>`;
  return htmlReply(page(req, 'Event log', body));
}
