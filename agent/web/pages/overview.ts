// `/`: devices up/down/ignored, the pollers and the dispatcher, the last events, the busiest ports.
import { deviceName, rows, type Row } from '../common/db.js';
import { html } from '../common/html.js';
import { htmlReply, type Reply, type WebRequest } from '../common/http.js';
import { page, si, table, when } from '../common/layout.js';
import type { WebContext } from '../common/context.js';
import { pollerRows } from './pollers.js';

const COUNTS = `SELECT COUNT(*) AS total,
  COALESCE(SUM(status = 1 AND \`ignore\` = 0 AND disabled = 0), 0) AS up,
  COALESCE(SUM(status = 0 AND \`ignore\` = 0 AND disabled = 0), 0) AS down,
  COALESCE(SUM(\`ignore\` = 1), 0) AS ignored, COALESCE(SUM(disabled = 1), 0) AS disabled FROM devices`;

export async function overviewPage(ctx: WebContext, req: WebRequest): Promise<Reply> {
  const [[c], pollers, events, busy] = await Promise.all([
    rows(ctx.db, COUNTS),
    pollerRows(ctx.db),
    rows(
      ctx.db,
      `SELECT e.datetime, e.message, e.type, e.device_id, d.hostname, d.sysName, d.display FROM eventlog e
      LEFT JOIN devices d ON d.device_id = e.device_id ORDER BY e.datetime DESC, e.event_id DESC LIMIT 10`,
    ),
    rows(
      ctx.db,
      `SELECT p.port_id, p.device_id, p.ifName, p.ifDescr, p.ifAlias, p.ifInOctets_rate, p.ifOutOctets_rate,
      d.hostname, d.sysName, d.display
      FROM ports p JOIN devices d ON d.device_id = p.device_id WHERE p.deleted = 0
      ORDER BY COALESCE(p.ifInOctets_rate, 0) + COALESCE(p.ifOutOctets_rate, 0) DESC LIMIT 10`,
    ),
  ]);
  const card = (label: string, v: unknown, href: string) =>
    html`<a class="card" href="${href}"><b>${Number(v)}</b>${label}</a>`;
  const deviceLink = (r: Row) => html`<a href="/device/${Number(r.device_id)}">${deviceName(r)}</a>`;
  const pollerCells = pollers.map((p) => [
    p.poller_name,
    Number(p.master) ? 'dispatcher' : 'poller',
    p.poller_groups,
    when(p.last_report),
  ]);
  const eventCells = events.map((e) => [when(e.datetime), e.device_id ? deviceLink(e) : '', e.type, e.message]);
  const portCells = busy.map((p) => [
    deviceLink(p),
    html`<a href="/device/${Number(p.device_id)}/port/${Number(p.port_id)}">${p.ifName || p.ifDescr}</a>`,
    p.ifAlias,
    si(Number(p.ifInOctets_rate) * 8, 'bps'),
    si(Number(p.ifOutOctets_rate) * 8, 'bps'),
  ]);
  const body = html`<h1>Overview</h1>
    <div class="cards">
      ${card('devices', c.total, '/devices')}${card('up', c.up, '/devices?status=up')}
      ${card('down', c.down, '/devices?status=down')}${card('ignored', c.ignored, '/devices?status=ignored')}
      ${card('disabled', c.disabled, '/devices?status=disabled')}
    </div>
    <h2>Pollers</h2>
    ${table(['Poller', 'Role', 'Groups', 'Last seen'], pollerCells, 'no poller has reported yet')}
    <h2>Last events</h2>
    ${table(['Time', 'Device', 'Type', 'Message'], eventCells, 'no events')}
    <h2>Busiest ports</h2>
    ${table(['Device', 'Port', 'Alias', 'In', 'Out'], portCells, 'no ports')}`;
  return htmlReply(page(req, 'Overview', body));
}
