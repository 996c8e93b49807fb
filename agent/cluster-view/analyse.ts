// Turns the facts gathered on the master into the cluster view and its problems. Pure (no I/O,
// the clock comes in the facts) so every rule is unit-tested with plain objects. The view's shape
// (nodes, dispatcher, groups) is built first; then each rule below looks at facts and shape and
// returns the problems it sees, in the order they are listed.
import {
  CLUSTER_VIEW_SCHEMA,
  type ClusterNode,
  type ClusterView,
  type DispatcherView,
  type GroupView,
} from '../../lib/contracts/cluster-view.js';
import type { Problem } from '../../lib/contracts/problem.js';
import type { ClusterFacts } from './types.js';
import { buildNodes } from './nodes.js';

export { FORGOTTEN_AFTER_S } from './nodes.js';
/** A dispatcher that holds the lock but has not ticked for this long is stuck. */
export const TICK_STALE_MS = 15_000;

const AGENT_START = '`/etc/init.d/nms-agent start` (or `systemctl start nms-agent`)';

/** What the rules see besides the facts: the view's shape, built once. */
interface Shape {
  nodes: ClusterNode[];
  dispatcher: DispatcherView;
  /** Sorted by group (empty when MariaDB was not readable). */
  groups: GroupView[];
}

type Rule = (f: ClusterFacts, s: Shape) => Problem[];

const problem = (code: string, subject: string, message: string, fix: string): Problem => ({
  code,
  subject,
  message,
  fix,
});

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

/** A central service the master's agent could not read. */
const servicesDown: Rule = (f) =>
  (
    [
      ['mariadb', 'mariadb'],
      ['redis', 'redis-server'],
      ['memcached', 'memcached'],
    ] as const
  )
    .filter(([name]) => !f.sources[name].ok)
    .map(([name, svc]) =>
      problem(
        'service_down',
        name,
        `${name} is not answering the master's agent: ${f.sources[name].error ?? 'no answer'}`,
        `start it on its host (\`/etc/init.d/${svc} start\` or \`systemctl start ${svc}\`), ` +
          `or run \`nms deploy\` for that host`,
      ),
    );

/** One problem at most per node: it refuses work, it is not registered, or its heartbeat is old. */
function nodeProblem(f: ClusterFacts, n: ClusterNode): Problem | undefined {
  const name = n.poller_name;
  if (n.registered && n.state !== 'working' && n.state !== 'starting') {
    const mismatch = n.state === 'app_key_mismatch';
    return problem(
      mismatch ? 'app_key_mismatch' : 'node_refuses_work',
      name,
      `${name} refuses work: ${n.state}`,
      mismatch
        ? `its APP_KEY differs from the cluster's: run \`nms deploy --limit ${name}\` to restore it ` +
            `(it must be identical on every node)`
        : `read /var/log/nms/agent.log on ${name} (event refusing_work)`,
    );
  }
  if (!n.registered && f.registry !== null && n.last_report_age_s !== null)
    return problem(
      'node_not_registered',
      name,
      `${name} is not registered (its last report was ${n.last_report_age_s} s ago): ` +
        `its agent is stopped or cannot reach memcached`,
      `on ${name} run ${AGENT_START} and read /var/log/nms/agent.log`,
    );
  if (n.registered && n.stale)
    return problem(
      'node_stale',
      name,
      `${name}'s last heartbeat was ${Math.round((n.heartbeat_age_ms ?? 0) / 1000)} s ago`,
      `the agent on ${name} is stuck: restart it (\`/etc/init.d/nms-agent restart\`) and read its log`,
    );
  return undefined;
}

const nodes: Rule = (f, s) => s.nodes.flatMap((n) => nodeProblem(f, n) ?? []);

/** Nobody holds the dispatcher lock, or its holder has stopped ticking. */
const dispatcher: Rule = (f, s) => {
  if (!f.sources.redis.ok) return [];
  const d = s.dispatcher;
  if (!f.dispatcherHolder)
    return [
      problem(
        'no_dispatcher',
        'dispatcher',
        'no dispatcher is elected: no agent holds the lock, so no device is queued',
        `start nms-agent on at least one node (${AGENT_START}) and read its log`,
      ),
    ];
  if (d.last_tick_age_ms !== null && d.last_tick_age_ms <= TICK_STALE_MS) return [];
  const since = d.last_tick_age_ms === null ? 'recently' : `for ${Math.round(d.last_tick_age_ms / 1000)} s`;
  return [
    problem(
      'dispatcher_stuck',
      'dispatcher',
      `${d.poller_name ?? f.dispatcherHolder} holds the dispatcher lock but has not dispatched ${since}`,
      'it cannot read due devices: check that MariaDB answers it, then read its log (event coord_error)',
    ),
  ];
};

/** A group with devices and no live poller (in the order MariaDB listed the groups). */
const unservedGroups: Rule = (f, s) => {
  // without the registry we cannot tell who is alive; service_down already says why
  if (!f.groupDevices || f.registry === null) return [];
  return f.groupDevices
    .map((g) => s.groups.find((x) => x.group === g.group)!)
    .filter((g) => !g.served)
    .map((g) =>
      problem(
        'group_unserved',
        `group ${g.group}`,
        `poller group ${g.group} has ${g.devices} ${plural(g.devices, 'device', 'devices')} and no live poller`,
        `start the agent on a host that serves group ${g.group} (distributed_poller_group in hosts.yaml), ` +
          `or add one: \`nms add-poller NAME --address ADDR --group ${g.group}\``,
      ),
    );
};

/** A working poller, settled for two periods, whose groups have devices, that has done no job. */
const idleNodes: Rule = (f, s) => {
  if (!f.groupDevices) return [];
  const withDevices = new Set(f.groupDevices.filter((g) => g.devices > 0).map((g) => g.group));
  return s.nodes
    .filter((n) => {
      const serves = n.roles.includes('poller') && n.groups.some((g) => withDevices.has(g));
      const settled = (n.uptime_s ?? 0) > 2 * f.pollerFrequency + 60;
      return n.registered && n.state === 'working' && !n.stale && serves && settled && n.jobs_ok === 0;
    })
    .map((n) =>
      problem(
        'node_idle',
        n.poller_name,
        `${n.poller_name} has polled nothing in ${n.uptime_s} s although its groups have devices`,
        `read /var/log/nms/agent.log on ${n.poller_name}: ` +
          `its workers may be failing every job (jobs_failed ${n.jobs_failed ?? 0})`,
      ),
    );
};

/** Devices later than the grace; the fix points at unserved groups when there are any. */
const overdueDevices: Rule = (f, s) => {
  if (!f.devices || f.devices.overdue === 0) return [];
  const n = f.devices.overdue;
  const worst = f.overdue[0];
  const unserved = s.groups.filter((g) => !g.served).map((g) => g.group);
  const most = worst
    ? ` (most late: ${worst.hostname}:${worst.port} in group ${worst.poller_group}, ${worst.late_s} s)`
    : '';
  return [
    problem(
      'devices_overdue',
      'devices',
      `${n} ${plural(n, 'device is', 'devices are')} overdue${most}`,
      unserved.length
        ? `give group ${unserved.join(', ')} a live poller (see above)`
        : 'the pollers do not keep up or do not run: check the problems above, the queue depths, ' +
            "and the agents' logs; raise service_poller_workers or add a poller",
    ),
  ];
};

/** The rules, in the order their problems are listed. */
export const CLUSTER_RULES: Rule[] = [servicesDown, nodes, dispatcher, unservedGroups, idleNodes, overdueDevices];

function dispatcherView(f: ClusterFacts, nodes: ClusterNode[]): DispatcherView {
  const tick = f.dispatcherTick;
  return {
    holder: f.dispatcherHolder,
    poller_name: tick?.poller_name ?? nodes.find((n) => n.dispatcher)?.poller_name ?? null,
    last_tick_age_ms: typeof tick?.at === 'number' ? Math.max(0, f.now - tick.at) : null,
    due: tick?.due ?? null,
    queued: tick?.queued ?? null,
  };
}

/** Each group with its live, working pollers; sorted by group. */
function groupViews(f: ClusterFacts, nodes: ClusterNode[]): GroupView[] {
  const live = nodes.filter((n) => n.registered && !n.stale && n.state === 'working' && n.roles.includes('poller'));
  return (f.groupDevices ?? [])
    .map((g) => {
      const pollers = live.filter((n) => n.groups.includes(g.group)).map((n) => n.poller_name);
      const served = pollers.length > 0 || g.devices === 0;
      return { group: g.group, devices: g.devices, pollers, served, queue: f.queues?.[g.group] ?? null };
    })
    .sort((a, b) => a.group - b.group);
}

export function analyse(f: ClusterFacts): ClusterView {
  const nodes = buildNodes(f);
  const shape: Shape = { nodes, dispatcher: dispatcherView(f, nodes), groups: groupViews(f, nodes) };
  const problems = CLUSTER_RULES.flatMap((rule) => rule(f, shape));
  const devices = f.devices ?? { total: 0, up: 0, down: 0, disabled: 0, never_polled: 0, overdue: 0 };
  return {
    schema: CLUSTER_VIEW_SCHEMA,
    healthy: problems.length === 0,
    checked_at: new Date(f.now).toISOString(),
    poller_frequency_s: f.pollerFrequency,
    overdue_grace_s: f.graceSeconds,
    sources: f.sources,
    dispatcher: shape.dispatcher,
    nodes,
    groups: shape.groups,
    devices,
    overdue: f.overdue.slice(0, 20),
    errors: f.errors.slice(0, 10),
    problems,
    ...(f.device !== undefined ? { device: f.device } : {}),
    ...(f.alerts ? { alerts: f.alerts.slice(0, 20) } : {}),
  };
}
