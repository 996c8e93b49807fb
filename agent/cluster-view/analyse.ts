// Turns the facts gathered on the master into the cluster view and its problems. Pure (no I/O,
// the clock comes in the facts) so every rule is unit-tested with plain objects.
import {
  CLUSTER_VIEW_SCHEMA,
  type ClusterFacts,
  type ClusterNode,
  type ClusterProblem,
  type ClusterView,
  type GroupView,
} from './types.js';

/** A poller_cluster row older than this is a node that was retired, not one that is down. */
export const FORGOTTEN_AFTER_S = 86_400;
/** A dispatcher that holds the lock but has not ticked for this long is stuck. */
export const TICK_STALE_MS = 15_000;

const AGENT_START = '`/etc/init.d/nms-agent start` (or `systemctl start nms-agent`)';

export function analyse(f: ClusterFacts): ClusterView {
  const problems: ClusterProblem[] = [];
  const add = (code: string, subject: string, message: string, fix: string) =>
    problems.push({ code, subject, message, fix });

  for (const [name, svc] of [
    ['mariadb', 'mariadb'],
    ['redis', 'redis-server'],
    ['memcached', 'memcached'],
  ] as const) {
    const s = f.sources[name];
    if (!s.ok)
      add(
        'service_down',
        name,
        `${name} is not answering the master's agent: ${s.error ?? 'no answer'}`,
        `start it on its host (\`/etc/init.d/${svc} start\` or \`systemctl start ${svc}\`), or run \`nms deploy\` for that host`,
      );
  }

  const nodes = buildNodes(f);
  for (const n of nodes) {
    if (n.registered && n.state !== 'working' && n.state !== 'starting') {
      add(
        n.state === 'app_key_mismatch' ? 'app_key_mismatch' : 'node_refuses_work',
        n.poller_name,
        `${n.poller_name} refuses work: ${n.state}`,
        n.state === 'app_key_mismatch'
          ? `its APP_KEY differs from the cluster's: run \`nms deploy --limit ${n.poller_name}\` to restore it (it must be identical on every node)`
          : `read /var/log/nms/agent.log on ${n.poller_name} (event refusing_work)`,
      );
    } else if (!n.registered && f.registry !== null && n.last_report_age_s !== null) {
      add(
        'node_not_registered',
        n.poller_name,
        `${n.poller_name} is not registered (its last report was ${n.last_report_age_s} s ago): its agent is stopped or cannot reach memcached`,
        `on ${n.poller_name} run ${AGENT_START} and read /var/log/nms/agent.log`,
      );
    } else if (n.registered && n.stale) {
      add(
        'node_stale',
        n.poller_name,
        `${n.poller_name}'s last heartbeat was ${Math.round((n.heartbeat_age_ms ?? 0) / 1000)} s ago`,
        `the agent on ${n.poller_name} is stuck: restart it (\`/etc/init.d/nms-agent restart\`) and read its log`,
      );
    }
  }

  const dispatcher = {
    holder: f.dispatcherHolder,
    poller_name: f.dispatcherTick?.poller_name ?? nodes.find((n) => n.dispatcher)?.poller_name ?? null,
    last_tick_age_ms: typeof f.dispatcherTick?.at === 'number' ? Math.max(0, f.now - f.dispatcherTick.at) : null,
    due: f.dispatcherTick?.due ?? null,
    queued: f.dispatcherTick?.queued ?? null,
  };
  if (f.sources.redis.ok) {
    if (!f.dispatcherHolder)
      add(
        'no_dispatcher',
        'dispatcher',
        'no dispatcher is elected: no agent holds the lock, so no device is queued',
        `start nms-agent on at least one node (${AGENT_START}) and read its log`,
      );
    else if (dispatcher.last_tick_age_ms === null || dispatcher.last_tick_age_ms > TICK_STALE_MS)
      add(
        'dispatcher_stuck',
        'dispatcher',
        `${dispatcher.poller_name ?? f.dispatcherHolder} holds the dispatcher lock but has not dispatched ${dispatcher.last_tick_age_ms === null ? 'recently' : `for ${Math.round(dispatcher.last_tick_age_ms / 1000)} s`}`,
        'it cannot read due devices: check that MariaDB answers it, then read its log (event coord_error)',
      );
  }

  const groups: GroupView[] = [];
  if (f.groupDevices) {
    const live = nodes.filter((n) => n.registered && !n.stale && n.state === 'working' && n.roles.includes('poller'));
    for (const g of f.groupDevices) {
      const pollers = live.filter((n) => n.groups.includes(g.group)).map((n) => n.poller_name);
      const served = pollers.length > 0 || g.devices === 0;
      groups.push({ group: g.group, devices: g.devices, pollers, served, queue: f.queues?.[g.group] ?? null });
      // without the registry we cannot tell who is alive; service_down already says why
      if (!served && f.registry !== null)
        add(
          'group_unserved',
          `group ${g.group}`,
          `poller group ${g.group} has ${g.devices} device${g.devices === 1 ? '' : 's'} and no live poller`,
          `start the agent on a host that serves group ${g.group} (distributed_poller_group in hosts.yaml), or add one: \`nms add-poller NAME --address ADDR --group ${g.group}\``,
        );
    }
    groups.sort((a, b) => a.group - b.group);
    const withDevices = new Set(f.groupDevices.filter((g) => g.devices > 0).map((g) => g.group));
    for (const n of nodes) {
      const serves = n.roles.includes('poller') && n.groups.some((g) => withDevices.has(g));
      const settled = (n.uptime_s ?? 0) > 2 * f.pollerFrequency + 60;
      if (n.registered && n.state === 'working' && !n.stale && serves && settled && n.jobs_ok === 0)
        add(
          'node_idle',
          n.poller_name,
          `${n.poller_name} has polled nothing in ${n.uptime_s} s although its groups have devices`,
          `read /var/log/nms/agent.log on ${n.poller_name}: its workers may be failing every job (jobs_failed ${n.jobs_failed ?? 0})`,
        );
    }
  }

  const devices = f.devices ?? { total: 0, up: 0, down: 0, disabled: 0, never_polled: 0, overdue: 0 };
  if (f.devices && f.devices.overdue > 0) {
    const worst = f.overdue[0];
    const unserved = groups.filter((g) => !g.served).map((g) => g.group);
    add(
      'devices_overdue',
      'devices',
      `${f.devices.overdue} device${f.devices.overdue === 1 ? ' is' : 's are'} overdue` +
        (worst
          ? ` (most late: ${worst.hostname}:${worst.port} in group ${worst.poller_group}, ${worst.late_s} s)`
          : ''),
      unserved.length
        ? `give group ${unserved.join(', ')} a live poller (see above)`
        : "the pollers do not keep up or do not run: check the problems above, the queue depths, and the agents' logs; raise service_poller_workers or add a poller",
    );
  }

  return {
    schema: CLUSTER_VIEW_SCHEMA,
    healthy: problems.length === 0,
    checked_at: new Date(f.now).toISOString(),
    poller_frequency_s: f.pollerFrequency,
    overdue_grace_s: f.graceSeconds,
    sources: f.sources,
    dispatcher,
    nodes,
    groups,
    devices,
    overdue: f.overdue.slice(0, 20),
    errors: f.errors.slice(0, 10),
    problems,
    ...(f.device !== undefined ? { device: f.device } : {}),
    ...(f.alerts ? { alerts: f.alerts.slice(0, 20) } : {}),
  };
}

/** Registry entries and poller_cluster rows merged by node id; retired rows are dropped. */
function buildNodes(f: ClusterFacts): ClusterNode[] {
  const byId = new Map<string, ClusterNode>();
  for (const r of f.reports ?? []) {
    if (r.age_s > FORGOTTEN_AFTER_S) continue;
    byId.set(r.node_id, {
      node_id: r.node_id,
      poller_name: r.poller_name,
      groups: r.groups,
      roles: [],
      registered: false,
      state: null,
      heartbeat_age_ms: null,
      stale: true,
      dispatcher: false,
      jobs_ok: null,
      jobs_failed: null,
      uptime_s: null,
      last_report_age_s: r.age_s,
      polled_last_period: r.polled,
      version: r.version,
    });
  }
  for (const e of f.registry ?? []) {
    const age = Math.max(0, f.now - e.heartbeat_at);
    const prev = byId.get(e.node_id);
    byId.set(e.node_id, {
      node_id: e.node_id,
      poller_name: e.poller_name,
      groups: e.groups,
      roles: e.roles,
      registered: true,
      state: e.state,
      heartbeat_age_ms: age,
      stale: age > 3 * e.heartbeat_interval_ms,
      dispatcher: e.dispatcher,
      jobs_ok: e.jobs_ok,
      jobs_failed: e.jobs_failed,
      uptime_s: Math.max(0, Math.round((f.now - e.started_at) / 1000)),
      last_report_age_s: prev?.last_report_age_s ?? null,
      polled_last_period: prev?.polled_last_period ?? null,
      version: e.version,
    });
  }
  return [...byId.values()].sort((a, b) => a.poller_name.localeCompare(b.poller_name));
}
