// `/pollers`: LibreNMS's poller page: every node with its last report, groups and workers, the
// dispatcher, and per kind of work its queue depth, devices and the time they took.
import { rows, type Row } from '../common/db.js';
import type { WebDb } from '../common/auth.js';
import { html } from '../common/html.js';
import { htmlReply, type Reply, type WebRequest } from '../common/http.js';
import { page, table, when } from '../common/layout.js';
import type { WebContext } from '../common/context.js';

export function pollerRows(db: WebDb): Promise<Row[]> {
  return rows(
    db,
    `SELECT id, node_id, poller_name, poller_version, poller_groups, last_report, master, poller_workers,
    poller_frequency,
    (last_report >= UTC_TIMESTAMP() - INTERVAL GREATEST(COALESCE(poller_frequency, 300) * 2, 120) SECOND) AS active
    FROM poller_cluster ORDER BY poller_name`,
  );
}

const STATS = `SELECT parent_poller, poller_type, depth, devices, worker_seconds, workers, frequency
  FROM poller_cluster_stats ORDER BY parent_poller, poller_type`;
const GROUPS = `SELECT d.poller_group, g.group_name, COUNT(*) AS devices,
  ROUND(SUM(COALESCE(d.last_polled_timetaken, 0)), 2) AS seconds, MAX(d.last_polled) AS last
  FROM devices d LEFT JOIN poller_groups g ON g.id = d.poller_group
  GROUP BY d.poller_group, g.group_name ORDER BY d.poller_group`;

export async function pollersPage(ctx: WebContext, req: WebRequest): Promise<Reply> {
  const [pollers, stats, groups] = await Promise.all([pollerRows(ctx.db), rows(ctx.db, STATS), rows(ctx.db, GROUPS)]);
  const dispatcher = pollers.find((p) => Number(p.master));
  const byPoller = new Map<number, Row[]>();
  for (const s of stats) byPoller.set(Number(s.parent_poller), [...(byPoller.get(Number(s.parent_poller)) ?? []), s]);
  const work = (id: number) =>
    (byPoller.get(id) ?? []).map(
      (s) =>
        html`<div>
          ${s.poller_type}: depth ${s.depth}, ${s.devices} devices, ${Number(s.worker_seconds).toFixed(1)} s /
          ${s.workers} workers
        </div>`,
    );
  const pollerCells = pollers.map((p) => [
    p.poller_name,
    p.node_id,
    p.poller_version,
    p.poller_groups,
    p.poller_workers,
    when(p.last_report),
    Number(p.active) ? html`<span class="badge up">active</span>` : html`<span class="badge down">stale</span>`,
    work(Number(p.id)),
  ]);
  const groupCells = groups.map((g) => [
    g.poller_group,
    g.group_name ?? (Number(g.poller_group) === 0 ? 'default' : ''),
    html`<a href="/devices?poller_group=${Number(g.poller_group)}">${g.devices}</a>`,
    `${g.seconds} s`,
    when(g.last),
  ]);
  const head = [
    'Poller',
    'Node id',
    'Version',
    'Groups',
    'Workers',
    'Last seen',
    'State',
    'Work (type: queue depth, devices, worker seconds)',
  ];
  const body = html`<h1>Pollers</h1>
    <p>
      Dispatcher: ${dispatcher ? html`<b>${dispatcher.poller_name}</b>` : html`<span class="badge down">none</span>`}
    </p>
    ${table(head, pollerCells, 'no poller has reported yet')}
    <h2>Poller groups</h2>
    ${table(['Group', 'Name', 'Devices', 'Last poll time (sum)', 'Last polled'], groupCells, 'no devices')}`;
  return htmlReply(page(req, 'Pollers', body));
}
