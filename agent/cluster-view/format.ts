// Plain-text rendering of the cluster view for a person on the master.
import type { ClusterNode, ClusterView, DispatcherView, GroupView } from '../../lib/contracts/cluster-view.js';
import { alertLine } from '../../lib/alerts.js';

function dispatcherLine(d: DispatcherView): string {
  const tick =
    d.last_tick_age_ms !== null
      ? `, last tick ${Math.round(d.last_tick_age_ms / 1000)} s ago (${d.due ?? '?'} due, ${d.queued ?? '?'} queued)`
      : '';
  return `  dispatcher: ${d.poller_name ?? d.holder ?? 'none'}${tick}`;
}

function nodeLine(n: ClusterNode): string {
  const state = n.registered ? (n.stale ? 'stale' : (n.state ?? '?')) : 'not registered';
  const jobs = `jobs ok ${n.jobs_ok ?? '-'} failed ${n.jobs_failed ?? '-'}`;
  return (
    `    ${n.poller_name.padEnd(16)} ${state}  groups ${n.groups.join(',') || '-'}  ${jobs}` +
    (n.dispatcher ? '  dispatcher' : '')
  );
}

function groupLine(g: GroupView): string {
  const queue = `waiting ${g.queue?.waiting ?? '?'} active ${g.queue?.active ?? '?'}`;
  return (
    `    ${String(g.group).padEnd(4)} ${String(g.devices).padStart(6)} devices  ` +
    `pollers ${g.pollers.join(',') || 'NONE'}  ${queue}`
  );
}

export function formatClusterView(v: ClusterView): string {
  const l: string[] = [`cluster: ${v.healthy ? 'healthy' : 'UNHEALTHY'} (${v.checked_at})`];
  for (const [name, s] of Object.entries(v.sources))
    l.push(`  ${s.ok ? 'ok  ' : 'FAIL'} ${name.padEnd(10)} ${s.ok ? `${s.ms} ms` : s.error}`);
  l.push(dispatcherLine(v.dispatcher));
  l.push('  nodes:', ...v.nodes.map(nodeLine));
  l.push('  groups:', ...v.groups.map(groupLine));
  const d = v.devices;
  l.push(`  devices: ${d.total} (${d.up} up, ${d.down} down, ${d.disabled} disabled, ${d.overdue} overdue)`);
  for (const a of v.alerts ?? []) l.push(`  ${alertLine(a)}`);
  for (const e of v.errors) l.push(`  event ${e.datetime ?? ''} ${e.hostname ?? ''} ${e.message}`);
  for (const p of v.problems) l.push(`  PROBLEM ${p.message}\n          fix: ${p.fix}`);
  return l.join('\n') + '\n';
}
