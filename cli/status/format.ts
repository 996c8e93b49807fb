// The status report for a person: one line per node, the cluster's shape, then each problem
// with its fix. Colour through chalk, off when NO_COLOR is set (no-color.org) or not a terminal.
import { Chalk, type ChalkInstance } from 'chalk';
import chalk from 'chalk';
import type { StatusReport } from './types.js';
import type { ClusterView } from '../../lib/contracts/cluster-view.js';
import { alertLine } from '../../lib/alerts.js';
import { redisTopologyLines } from './redis-topology.js';

export function colours(env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  return new Chalk({ level: env.NO_COLOR ? 0 : chalk.level });
}

function table(rows: string[][], c: ChalkInstance): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => stripLen(r[i]))));
  return rows.map(
    (r, ri) =>
      '  ' +
      r
        .map((cell, i) => (ri === 0 ? c.bold(cell) : cell) + ' '.repeat(widths[i] - stripLen(cell)))
        .join('  ')
        .trimEnd(),
  );
}

const stripLen = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;

function nodeRows(r: StatusReport, c: ChalkInstance): string[][] {
  const rows = [['host', 'address', 'roles', 'doctor', 'agent', 'groups', 'polled', 'ms']];
  for (const n of r.nodes) {
    const doctor = !n.reachable
      ? c.red('unreachable')
      : n.healthy === null
        ? c.red('no answer')
        : n.healthy
          ? c.green('ok')
          : c.red(`${n.checks.filter((x) => !x.ok).length} failed`);
    const agent = n.state === null ? c.dim('-') : n.state === 'working' ? c.green('working') : c.red(n.state);
    rows.push([
      n.name + (n.dispatcher ? c.cyan('*') : ''),
      n.address,
      n.roles.join(','),
      doctor,
      agent,
      n.groups.join(','),
      n.jobs_ok === null ? '-' : String(n.jobs_ok),
      String(n.ms),
    ]);
  }
  return rows;
}

/** The cluster's shape as the master's agent sees it: dispatcher, groups, devices, alerts, events. */
function clusterLines(v: ClusterView, c: ChalkInstance): string[] {
  const l: string[] = [];
  const d = v.dispatcher;
  const tick =
    d.last_tick_age_ms !== null
      ? `, last tick ${(d.last_tick_age_ms / 1000).toFixed(0)} s ago (${d.due ?? '?'} due, ${d.queued ?? '?'} queued)`
      : '';
  l.push(`  dispatcher ${c.cyan('*')}: ${d.poller_name ?? c.red('none')}${tick}`);
  for (const g of v.groups) {
    const pollers = g.pollers.length ? g.pollers.join(', ') : c.red('none');
    const queue = g.queue ? `, queue ${g.queue.waiting} waiting / ${g.queue.active} active` : '';
    l.push(`  group ${g.group}: ${g.devices} device${g.devices === 1 ? '' : 's'}, pollers ${pollers}${queue}`);
  }
  const dv = v.devices;
  const down = dv.down ? c.yellow(`${dv.down} down`) : '0 down';
  const overdue = dv.overdue ? c.red(`${dv.overdue} overdue`) : '0 overdue';
  l.push(`  devices: ${dv.total} (${dv.up} up, ${down}, ${overdue}, ${dv.never_polled} never polled)`);
  const alerts = v.alerts ?? [];
  l.push(`  alerts: ${alerts.length ? c.yellow(`${alerts.length} active`) : '0 active'}`);
  for (const a of alerts) {
    const urgent = a.severity === 'critical' && a.state === 'alerting';
    l.push(`    ${urgent ? c.red(alertLine(a)) : alertLine(a)}`);
  }
  for (const e of v.errors.slice(0, 5)) l.push(c.dim(`  event ${e.datetime ?? ''} ${e.hostname ?? ''} ${e.message}`));
  return l;
}

export function formatStatus(r: StatusReport, c: ChalkInstance = colours()): string {
  const l: string[] = [];
  const verdict = r.healthy ? c.green('healthy') : r.exit_code === 4 ? c.red('UNREACHABLE NODE') : c.red('UNHEALTHY');
  const count = `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`;
  l.push(`${c.bold('nms status')} ${r.inventory}: ${verdict} (${(r.duration_ms / 1000).toFixed(1)} s, ${count})`);
  l.push(...table(nodeRows(r, c), c));
  if (r.cluster) l.push(...clusterLines(r.cluster, c));
  if (r.api) {
    const answer = r.api.ok ? c.green(`HTTP ${r.api.http_status}`) : c.red(r.api.error ?? `HTTP ${r.api.http_status}`);
    l.push(`  api: ${r.api.url} ${answer} (${r.api.ms} ms)`);
  }
  if (r.redis) l.push(...redisTopologyLines(r.redis, c));
  if (r.problems.length) {
    l.push(c.bold('problems:'));
    for (const p of r.problems) {
      l.push(`  ${c.red('✗')} ${p.message}`);
      l.push(`    ${c.yellow('fix:')} ${p.fix}`);
    }
  }
  return l.join('\n') + '\n';
}
