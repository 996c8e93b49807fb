// The rules of `nms status`: each looks at what the nodes answered and returns the problems it
// sees, each with the next step to take, in the order of RULES. Pure, like the analysis that
// runs them. A failure seen from several nodes is named once, at its cause: Redis down on the
// master is one problem ("start redis on master"), not one per node that cannot reach it.
import type { DoctorCheck, DoctorCheckName, DoctorReport } from '../../lib/contracts/doctor.js';
import type { ClusterView } from '../../lib/contracts/cluster-view.js';
import type { Problem } from '../../lib/contracts/problem.js';
import type { HostSpec, Inventory, MasterService } from '../inventory/types.js';
import { profileFor } from '../deploy/profile.js';
import type { NodeAnswers } from './types.js';
import type { RedisTopology } from './redis-types.js';
import { redisTopologyProblems } from './redis-topology.js';

/** The doctor checks that test a central service, and the inventory role that runs it. */
export const SERVICE_CHECKS: Record<string, MasterService> = {
  mariadb: 'mariadb',
  redis: 'redis',
  memcached: 'memcached',
  rrdcached: 'rrdcached',
};

/** How long an agent may say 'starting' before that is a problem. */
export const STARTING_GRACE_MS = 120_000;

/** What every rule sees. */
export interface StatusContext {
  inventory: Inventory;
  master: HostSpec;
  answers: NodeAnswers[];
  byName: Map<string, NodeAnswers>;
  /** The master's answers (undefined when it was not asked). */
  masterAnswers: NodeAnswers | undefined;
  /** The cluster view from the master (null when it did not come). */
  cluster: ClusterView | null;
  /** The deploy command that mends `limit`, with the inventory as the user typed it. */
  deploy: (limit: string) => string;
  /** The inventory as the user typed it. */
  inventoryArg: string;
  /** Redis Sentinel's view (cluster.redis.sentinel only). */
  redis: RedisTopology | undefined;
}

export type StatusRule = (ctx: StatusContext) => Problem[];

type ServiceKey = 'mariadb' | 'redis' | 'memcached' | 'rrdcached' | 'nginx' | 'agent';

export function serviceName(host: HostSpec, key: ServiceKey): string {
  return profileFor(host.os ?? 'debian').serviceNames[key];
}

function startCmd(svc: string): string {
  return `\`/etc/init.d/${svc} start\` (or \`systemctl start ${svc}\`)`;
}

function notChecked(c: DoctorCheck): boolean {
  return c.detail.startsWith('not checked');
}

/** Hosts that SSH did not reach, and hosts where `nms-agent doctor` did not answer. */
const reachability: StatusRule = (ctx) =>
  ctx.inventory.hosts.flatMap((h): Problem[] => {
    const a = ctx.byName.get(h.name);
    if (!a || !a.reachable) {
      const ssh = `ssh -i ${h.ssh.keyPath} -p ${h.ssh.port} ${h.ssh.user}@${h.address}`;
      return [
        {
          code: 'node_unreachable',
          subject: h.name,
          message: `cannot reach ${h.name} (${h.address}) over SSH: ${a?.sshError ?? 'not tried'}`,
          fix: `check that ${h.name} is up and sshd answers on port ${h.ssh.port} (\`${ssh}\`)`,
        },
      ];
    }
    if (a.doctor) return [];
    return [
      {
        code: 'doctor_failed',
        subject: h.name,
        message: `\`nms-agent doctor\` did not run on ${h.name}: ${a.doctorError ?? 'no answer'}`,
        fix: `install or repair the agent there: ${ctx.deploy(h.name)}`,
      },
    ];
  });

/**
 * A central service failing from the host that runs it, or from every node that checked it, is
 * the service's fault; failing from some nodes only, it is those nodes' way to it.
 */
function serviceProblems(ctx: StatusContext, check: string, role: MasterService): Problem[] {
  const host = ctx.inventory.services[role];
  const results = ctx.answers
    .filter((a) => a.doctor)
    .map((a) => ({ node: a.name, c: a.doctor!.checks.find((c) => c.name === check)! }))
    .filter((x) => x.c && !notChecked(x.c));
  const failing = results.filter((x) => !x.c.ok);
  if (!failing.length) return [];
  const own = failing.find((x) => x.node === host.name);
  if (own || failing.length === results.length) {
    const svc = serviceName(host, check as ServiceKey);
    const where = failing.map((x) => x.node).join(', ');
    return [
      {
        code: 'service_down',
        subject: check,
        message: `${check} on ${host.name} is not answering (from ${where}): ${(own ?? failing[0]).c.detail}`,
        fix: `on ${host.name} run ${startCmd(svc)}, or ${ctx.deploy(host.name)}`,
      },
    ];
  }
  return failing.map((x) => {
    const redeploy = `${ctx.deploy(`${host.name},${x.node}`)} rewrites its settings, grants and the firewall`;
    return {
      code: 'service_unreachable',
      subject: `${check}@${x.node}`,
      message: `${x.node} cannot reach ${check} on ${host.name}: ${x.c.detail}`,
      fix: `${x.c.fix ?? ''}; ${redeploy}`.replace(/^; /, ''),
    };
  });
}

const services: StatusRule = (ctx) =>
  Object.entries(SERVICE_CHECKS).flatMap(([check, role]) => serviceProblems(ctx, check, role));

/** What one failed check of a node's own (not a central service's) means. */
interface NodeCheck {
  a: NodeAnswers;
  doctor: DoctorReport;
  host: HostSpec;
  c: DoctorCheck;
  deploy: (limit: string) => string;
}
type NodeCheckRule = (n: NodeCheck) => Problem | undefined;

const working: NodeCheckRule = ({ a, doctor, host, c, deploy }) => {
  // an agent announces 'starting' in its first heartbeat: a transition, not a fault, for a while
  const reg = doctor.registry;
  if (reg?.state === 'starting' && Date.parse(doctor.checked_at) - reg.started_at < STARTING_GRACE_MS) return;
  if (reg?.state === 'app_key_mismatch')
    return {
      code: 'app_key_mismatch',
      subject: a.name,
      message: `${a.name}'s agent refuses work: its APP_KEY differs from the cluster's`,
      fix: `${deploy(a.name)} restores the cluster's APP_KEY`,
    };
  return {
    code: 'agent_stuck',
    subject: a.name,
    message: `the agent on ${a.name}: ${c.detail}`,
    fix: `${c.fix ?? 'restart it'} (on ${a.name}: \`/etc/init.d/${serviceName(host, 'agent')} restart\`)`,
  };
};

const NODE_CHECK_RULES: Partial<Record<DoctorCheckName, NodeCheckRule>> = {
  config: ({ a, c, deploy }) => ({
    code: 'node_config',
    subject: a.name,
    message: `${a.name}: ${c.detail}`,
    fix: `${deploy(a.name)} rewrites /etc/nms/.env and config.yaml`,
  }),
  app_key: ({ a, c, deploy }) => ({
    code: 'app_key_mismatch',
    subject: a.name,
    message: `${a.name}'s APP_KEY differs from the cluster's (${c.detail}): its agent refuses work`,
    fix: `${deploy(a.name)} restores the cluster's APP_KEY from secrets.yaml (it must be identical on every node)`,
  }),
  clock: ({ a, c }) => ({
    code: 'clock_skew',
    subject: a.name,
    message: `${a.name}: ${c.detail}`,
    fix: c.fix ?? 'run NTP on every node',
  }),
  supervisor: ({ a, c }) => ({
    code: c.detail.startsWith('crash loop') ? 'agent_crash_loop' : 'agent_unsupervised',
    subject: a.name,
    message: `the agent on ${a.name}: ${c.detail}`,
    fix: `on ${a.name}: ${c.fix ?? 'read the agent log'}`,
  }),
  syslog: ({ a, c, deploy }) => ({
    code: 'syslog_path',
    subject: a.name,
    message: `syslog on ${a.name}: ${c.detail}`,
    fix: `on ${a.name}: ${c.fix ?? ''}; or ${deploy(a.name)}`,
  }),
  registered: ({ a, doctor, host, c, deploy }) => ({
    code: 'agent_down',
    subject: a.name,
    message: `the agent on ${a.name} is not running (${doctor.registry ? c.detail : 'no registry entry in memcached'})`,
    fix:
      `on ${a.name} run ${startCmd(serviceName(host, 'agent'))} and read /var/log/nms/agent.log, ` +
      `or ${deploy(a.name)}`,
  }),
  working,
};

/** Each node's own failed checks (the central services' are the rule above's). */
const nodeChecks: StatusRule = (ctx) =>
  ctx.answers.flatMap((a) => {
    const doctor = a.doctor;
    if (!doctor) return [];
    const host = ctx.inventory.hosts.find((h) => h.name === a.name)!;
    return doctor.checks
      .filter((c) => !c.ok && !notChecked(c) && !(c.name in SERVICE_CHECKS))
      .flatMap((c) => NODE_CHECK_RULES[c.name]?.({ a, doctor, host, c, deploy: ctx.deploy }) ?? []);
  });

/** The master's cluster view: its own problems, told in the inventory's terms. */
const clusterView: StatusRule = (ctx) => {
  const out: Problem[] = [];
  const m = ctx.masterAnswers;
  if (m?.reachable && !ctx.cluster)
    out.push({
      code: 'cluster_view_failed',
      subject: ctx.master.name,
      message: `\`nms-agent cluster-status\` did not run on ${ctx.master.name}: ${m.clusterError ?? 'no answer'}`,
      fix: `update the agent there: ${ctx.deploy(ctx.master.name)}`,
    });
  for (const p of ctx.cluster?.problems ?? []) {
    // the master's agent reports services by their check name; its fix does not know the inventory
    if (p.code === 'service_down') {
      const host = ctx.inventory.services[SERVICE_CHECKS[p.subject] ?? 'mariadb'];
      const start = startCmd(serviceName(host, p.subject as ServiceKey));
      out.push({
        ...p,
        message: `${p.subject} on ${host.name}: ${p.message}`,
        fix: `on ${host.name} run ${start}, or ${ctx.deploy(host.name)}`,
      });
    } else if (p.code === 'app_key_mismatch')
      out.push({ ...p, fix: `${ctx.deploy(p.subject)} restores the cluster's APP_KEY` });
    else out.push(p);
  }
  return out;
};

/** The HTTPS API through nginx on the web host. */
const api: StatusRule = (ctx) => {
  const m = ctx.masterAnswers;
  const a = m?.api;
  if (!m?.reachable || !a || apiOk(a)) return [];
  const web = ctx.inventory.services.web;
  if (a.httpStatus === 401 || a.httpStatus === 403)
    return [
      {
        code: 'api_token',
        subject: 'api',
        message: `the API on ${web.name} refused the inventory's api_token (HTTP ${a.httpStatus})`,
        fix: `${ctx.deploy(web.name)} writes API_TOKEN from secrets.yaml and restarts the agent`,
      },
    ];
  const why = a.error ?? (a.httpStatus ? `HTTP ${a.httpStatus}` : 'no answer');
  return [
    {
      code: 'api_down',
      subject: 'api',
      message: `the API on ${web.name} is not answering through nginx (${apiUrl(ctx.inventory)}): ${why}`,
      fix:
        `on ${web.name} run ${startCmd(serviceName(web, 'nginx'))} and check the agent there ` +
        `(its api role serves 127.0.0.1:8070), or ${ctx.deploy(web.name)}`,
    },
  ];
};

export const apiUrl = (inv: Inventory) => `https://127.0.0.1:${inv.cluster.web.httpsPort}/api/v0/system`;

export function apiOk(a: NonNullable<NodeAnswers['api']>): boolean {
  if (a.httpStatus !== 200) return false;
  try {
    return (JSON.parse(a.body) as { status?: string }).status === 'ok';
  } catch {
    return false;
  }
}

/** Redis Sentinel: a sentinel down, no master, no replica in sync, a lagging one (redis-topology.ts). */
const redisTopology: StatusRule = (ctx) => (ctx.redis ? redisTopologyProblems(ctx.redis, ctx.inventoryArg) : []);

/** The rules, in the order their problems are listed. */
export const RULES: StatusRule[] = [reachability, services, nodeChecks, clusterView, api, redisTopology];
