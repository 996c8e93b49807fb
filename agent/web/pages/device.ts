// `/device/<id>[/<tab>]`: the header (name, OS with icon, hardware, version, serial, uptime,
// location, poller group, last poll) and one tab: overview graphs, ports, health, inventory,
// neighbours, events, syslog. Tabs read tables other parts of nms fill; a missing one shows "not collected".
import { DEVICE_COLUMNS, deviceName, maybe, rows, type Row } from '../common/db.js';
import { html, raw, type Html } from '../common/html.js';
import { HttpError, htmlReply, type Reply, type WebRequest } from '../common/http.js';
import { duration, graphImg, osIcon, page, rangeBar, statusBadge, when } from '../common/layout.js';
import type { WebContext } from '../common/context.js';
import { eventsTab, healthTab, inventoryTab, neighboursTab, portsTab, syslogTab } from './device-tabs.js';
import { parseTime } from '../common/graphs.js';

const TABS: [string, string][] = [
  ['', 'Overview'],
  ['ports', 'Ports'],
  ['health', 'Health'],
  ['inventory', 'Inventory'],
  ['neighbours', 'Neighbours'],
  ['events', 'Events'],
  ['syslog', 'Syslog'],
];

export async function loadDevice(ctx: WebContext, id: number): Promise<Row> {
  // serial and icon come with the OS definitions; before they exist the header does without
  const extra = (await maybe(ctx.db, 'SELECT serial, icon FROM devices WHERE device_id = ?', [id]))?.[0] ?? {};
  const [d] = await rows(
    ctx.db,
    `SELECT ${DEVICE_COLUMNS}, g.group_name
    FROM devices d LEFT JOIN poller_groups g ON g.id = d.poller_group WHERE d.device_id = ?`,
    [id],
  );
  if (!d) throw new HttpError(404, `no device with id ${id}`);
  return Object.assign(d, extra);
}

/** The graph range of a page: `from` as given when valid, else one day. */
export function pageRange(q: URLSearchParams): { from: string; to?: string } {
  const from = q.get('from') ?? '-1d';
  const to = q.get('to') ?? undefined;
  try {
    const now = Math.floor(Date.now() / 1000);
    if (parseTime(from, '-1d', now) >= parseTime(to ?? 'now', 'now', now)) return { from: '-1d' };
    return { from, to };
  } catch {
    return { from: '-1d' };
  }
}

export function deviceHeader(d: Row): Html {
  const item = (label: string, v: unknown) => headItem(label, v);
  const took = d.last_polled_timetaken === null ? null : `${Number(d.last_polled_timetaken).toFixed(2)} s`;
  return html`<h1>${osIcon(d.os)}${deviceName(d)} ${statusBadge(d)}</h1>
    <dl class="head">
      ${item('Hostname', d.hostname)}${item('sysName', d.sysName)}${item('OS', d.os)}
      ${item('Hardware', d.hardware)}${item('Version', d.version)}${item('Serial', d.serial)}
      ${item('Uptime', duration(d.uptime))}${item('Location', d.location)}
      ${item('Poller group', `${d.poller_group}${d.group_name ? ` (${d.group_name})` : ''}`)}
      ${item('Last polled', when(d.last_polled))}${item('Poll time', took)}${item('Description', d.sysDescr)}
    </dl>`;
}

/** One `<dt>`/`<dd>` pair of a header; empty values show as a dash. */
export function headItem(label: string, v: unknown): Html {
  return html`<dt>${label}</dt>
    <dd>${v === null || v === undefined || v === '' ? '–' : (v as string)}</dd>`;
}

async function overviewTab(ctx: WebContext, d: Row, req: WebRequest): Promise<Html> {
  const id = Number(d.device_id);
  const r = pageRange(req.query);
  const [procs, mem, stor] = await Promise.all([
    maybe(
      ctx.db,
      `SELECT processor_id, processor_descr, processor_usage FROM processors
      WHERE device_id = ? ORDER BY processor_index LIMIT 64`,
      [id],
    ),
    maybe(
      ctx.db,
      `SELECT mempool_id, mempool_descr, mempool_perc FROM mempools
      WHERE device_id = ? ORDER BY mempool_index LIMIT 32`,
      [id],
    ),
    maybe(
      ctx.db,
      `SELECT storage_id, storage_descr, storage_perc FROM storage
      WHERE device_id = ? AND storage_deleted = 0 ORDER BY storage_descr LIMIT 64`,
      [id],
    ),
  ]);
  const fig = (caption: Html | string, img: Html) =>
    html`<figure>
      <figcaption>${caption}</figcaption>
      ${img}
    </figure>`;
  const group = (title: string, list: Row[] | null, type: string, idCol: string, descr: string, perc: string) => {
    if (list === null)
      return html`<h2>${title}</h2>
        <p class="empty">${title}: not collected.</p>`;
    if (!list.length)
      return html`<h2>${title}</h2>
        <p class="empty">none</p>`;
    const figs = list.map((x) =>
      fig(html`${x[descr]} (${x[perc]} %)`, graphImg(type, Number(x[idCol]), r.from, r.to, 420, 110)),
    );
    return html`<h2>${title}</h2>
      <div class="graphs">${figs}</div>`;
  };
  return html`${rangeBar(`/device/${id}`, r.from)}
    <h2>Traffic</h2>
    <div class="graphs">
      ${fig('All ports', graphImg('device_bits', id, r.from, r.to, 700, 160))}
      ${fig('Poll time', graphImg('device_poller_perf', id, r.from, r.to, 420, 110))}
    </div>
    ${group('Processors', procs, 'processor_usage', 'processor_id', 'processor_descr', 'processor_usage')}
    ${group('Memory', mem, 'mempool_usage', 'mempool_id', 'mempool_descr', 'mempool_perc')}
    ${group('Storage', stor, 'storage_usage', 'storage_id', 'storage_descr', 'storage_perc')}`;
}

export async function devicePage(ctx: WebContext, req: WebRequest): Promise<Reply> {
  const id = Number(req.params[0]);
  const tab = req.params[1] ?? '';
  const d = await loadDevice(ctx, id);
  const tabs: Record<string, () => Promise<Html>> = {
    ports: () => portsTab(ctx, d),
    health: () => healthTab(ctx, d),
    inventory: () => inventoryTab(ctx, d),
    neighbours: () => neighboursTab(ctx, d),
    events: () => eventsTab(ctx, d),
    syslog: () => syslogTab(ctx, d, req),
  };
  const content = Object.hasOwn(tabs, tab) ? await tabs[tab]() : await overviewTab(ctx, d, req);
  const links = TABS.map(([t, label]) => {
    const active = t === tab ? raw(' class="active"') : '';
    return html`<a href="/device/${id}${t ? `/${t}` : ''}" ${active}>${label}</a>`;
  });
  const nav = html`<nav class="tabs">${links}</nav>`;
  return htmlReply(page(req, deviceName(d), html`${deviceHeader(d)}${nav}${content}`));
}
