// Plain-text rendering of the cluster view for a person on the master.
import type { ClusterView } from './types.js';
import { alertLine } from '../../lib/alerts.js';

export function formatClusterView(v: ClusterView): string {
  const l: string[] = [`cluster: ${v.healthy ? 'healthy' : 'UNHEALTHY'} (${v.checked_at})`];
  for (const [name, s] of Object.entries(v.sources))
    l.push(`  ${s.ok ? 'ok  ' : 'FAIL'} ${name.padEnd(10)} ${s.ok ? `${s.ms} ms` : s.error}`);
  const d = v.dispatcher;
  l.push(
    `  dispatcher: ${d.poller_name ?? d.holder ?? 'none'}${d.last_tick_age_ms !== null ? `, last tick ${Math.round(d.last_tick_age_ms / 1000)} s ago (${d.due ?? '?'} due, ${d.queued ?? '?'} queued)` : ''}`,
  );
  l.push('  nodes:');
  for (const n of v.nodes)
    l.push(
      `    ${n.poller_name.padEnd(16)} ${n.registered ? (n.stale ? 'stale' : (n.state ?? '?')) : 'not registered'}  groups ${n.groups.join(',') || '-'}  jobs ok ${n.jobs_ok ?? '-'} failed ${n.jobs_failed ?? '-'}${n.dispatcher ? '  dispatcher' : ''}`,
    );
  l.push('  groups:');
  for (const g of v.groups)
    l.push(
      `    ${String(g.group).padEnd(4)} ${String(g.devices).padStart(6)} devices  pollers ${g.pollers.join(',') || 'NONE'}  waiting ${g.queue?.waiting ?? '?'} active ${g.queue?.active ?? '?'}`,
    );
  l.push(
    `  devices: ${v.devices.total} (${v.devices.up} up, ${v.devices.down} down, ${v.devices.disabled} disabled, ${v.devices.overdue} overdue)`,
  );
  for (const a of v.alerts ?? []) l.push(`  ${alertLine(a)}`);
  for (const e of v.errors) l.push(`  event ${e.datetime ?? ''} ${e.hostname ?? ''} ${e.message}`);
  for (const p of v.problems) l.push(`  PROBLEM ${p.message}\n          fix: ${p.fix}`);
  return l.join('\n') + '\n';
}
