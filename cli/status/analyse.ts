// Turns what every node answered into the status report: per-node rows, the problems with the
// next step for each, the exit code. Pure (no I/O) so each fault's wording is unit-tested.
// A failure seen from several nodes is named once, at its cause: Redis down on the master is one
// problem ("start redis on master"), not one per node that cannot reach it.
import type { DoctorCheck } from '../../agent/doctor/doctor.js';
import type { HostSpec, Inventory, MasterService } from '../inventory/types.js';
import { profileFor } from '../deploy/profile.js';
import {
  STATUS_EXIT,
  STATUS_SCHEMA,
  type NodeAnswers,
  type NodeStatus,
  type StatusProblem,
  type StatusReport,
} from './types.js';

/** The doctor checks that test a central service, and the inventory role that runs it. */
const SERVICE_CHECKS: Record<string, MasterService> = {
  mariadb: 'mariadb',
  redis: 'redis',
  memcached: 'memcached',
  rrdcached: 'rrdcached',
};

/** How long an agent may say 'starting' before that is a problem. */
export const STARTING_GRACE_MS = 120_000;

/** Problems about a node's agent, whichever side (doctor or cluster view) saw them. */
const AGENT_FAMILY = new Set([
  'agent_crash_loop',
  'agent_unsupervised',
  'agent_down',
  'node_not_registered',
  'node_stale',
  'agent_stuck',
  'node_refuses_work',
]);

export interface AnalyseInput {
  inventory: Inventory;
  /** Path of the inventory as the user typed it (used in suggested commands). */
  inventoryArg: string;
  master: HostSpec;
  answers: NodeAnswers[];
  checkedAt: Date;
  durationMs: number;
}

function serviceName(host: HostSpec, key: 'mariadb' | 'redis' | 'memcached' | 'rrdcached' | 'nginx' | 'agent'): string {
  return profileFor(host.os ?? 'debian').serviceNames[key];
}

function startCmd(svc: string): string {
  return `\`/etc/init.d/${svc} start\` (or \`systemctl start ${svc}\`)`;
}

function notChecked(c: DoctorCheck): boolean {
  return c.detail.startsWith('not checked');
}

export function analyseStatus(i: AnalyseInput): StatusReport {
  const inv = i.inventory;
  const deploy = (limit: string) => `\`nms deploy -i ${i.inventoryArg} --limit ${limit}\``;
  const problems: StatusProblem[] = [];
  const seen = new Set<string>();
  const key = (p: Pick<StatusProblem, 'code' | 'subject'>) =>
    `${AGENT_FAMILY.has(p.code) ? 'agent' : p.code}|${p.subject}`;
  const add = (p: StatusProblem) => {
    if (seen.has(key(p))) return;
    seen.add(key(p));
    problems.push(p);
  };
  const byName = new Map(i.answers.map((a) => [a.name, a]));
  const masterAnswers = byName.get(i.master.name);
  const cluster = masterAnswers?.cluster ?? null;
  const clusterNode = (name: string) => cluster?.nodes.find((n) => n.poller_name === name);

  // 1. reachability and doctor itself
  for (const h of inv.hosts) {
    const a = byName.get(h.name);
    if (!a || !a.reachable) {
      add({
        code: 'node_unreachable',
        subject: h.name,
        message: `cannot reach ${h.name} (${h.address}) over SSH: ${a?.sshError ?? 'not tried'}`,
        fix: `check that ${h.name} is up and sshd answers on port ${h.ssh.port} (\`ssh -i ${h.ssh.keyPath} -p ${h.ssh.port} ${h.ssh.user}@${h.address}\`)`,
      });
    } else if (!a.doctor) {
      add({
        code: 'doctor_failed',
        subject: h.name,
        message: `\`nms-agent doctor\` did not run on ${h.name}: ${a.doctorError ?? 'no answer'}`,
        fix: `install or repair the agent there: ${deploy(h.name)}`,
      });
    }
  }

  // 2. central services: failing from the host that runs them, or from every node that checked them, is the service's fault
  for (const [check, role] of Object.entries(SERVICE_CHECKS)) {
    const host = inv.services[role];
    const results = i.answers
      .filter((a) => a.doctor)
      .map((a) => ({ node: a.name, c: a.doctor!.checks.find((c) => c.name === check) }))
      .filter((x) => x.c && !notChecked(x.c));
    const failing = results.filter((x) => !x.c!.ok);
    if (!failing.length) continue;
    const own = failing.find((x) => x.node === host.name);
    const everyone = failing.length === results.length;
    if (own || everyone) {
      const svc = serviceName(host, check as 'mariadb');
      const where = failing.map((x) => x.node).join(', ');
      add({
        code: 'service_down',
        subject: check,
        message: `${check} on ${host.name} is not answering (from ${where}): ${(own ?? failing[0]).c!.detail}`,
        fix: `on ${host.name} run ${startCmd(svc)}, or ${deploy(host.name)}`,
      });
    } else {
      for (const x of failing)
        add({
          code: 'service_unreachable',
          subject: `${check}@${x.node}`,
          message: `${x.node} cannot reach ${check} on ${host.name}: ${x.c!.detail}`,
          fix: `${x.c!.fix ?? ''}; ${deploy(`${host.name},${x.node}`)} rewrites its settings, grants and the firewall`.replace(
            /^; /,
            '',
          ),
        });
    }
  }

  // 3. each node's own checks
  for (const a of i.answers) {
    if (!a.doctor) continue;
    const host = inv.hosts.find((h) => h.name === a.name)!;
    for (const c of a.doctor.checks) {
      if (c.ok || notChecked(c) || c.name in SERVICE_CHECKS) continue;
      if (c.name === 'config')
        add({
          code: 'node_config',
          subject: a.name,
          message: `${a.name}: ${c.detail}`,
          fix: `${deploy(a.name)} rewrites /etc/nms/.env and config.yaml`,
        });
      else if (c.name === 'app_key')
        add({
          code: 'app_key_mismatch',
          subject: a.name,
          message: `${a.name}'s APP_KEY differs from the cluster's (${c.detail}): its agent refuses work`,
          fix: `${deploy(a.name)} restores the cluster's APP_KEY from secrets.yaml (it must be identical on every node)`,
        });
      else if (c.name === 'clock')
        add({
          code: 'clock_skew',
          subject: a.name,
          message: `${a.name}: ${c.detail}`,
          fix: c.fix ?? 'run NTP on every node',
        });
      else if (c.name === 'supervisor') {
        const loop = c.detail.startsWith('crash loop');
        add({
          code: loop ? 'agent_crash_loop' : 'agent_unsupervised',
          subject: a.name,
          message: `the agent on ${a.name}: ${c.detail}`,
          fix: `on ${a.name}: ${c.fix ?? 'read the agent log'}`,
        });
      } else if (c.name === 'syslog')
        add({
          code: 'syslog_path',
          subject: a.name,
          message: `syslog on ${a.name}: ${c.detail}`,
          fix: `on ${a.name}: ${c.fix ?? ''}; or ${deploy(a.name)}`,
        });
      else if (c.name === 'registered')
        add({
          code: 'agent_down',
          subject: a.name,
          message: `the agent on ${a.name} is not running (${a.doctor.registry ? c.detail : 'no registry entry in memcached'})`,
          fix: `on ${a.name} run ${startCmd(serviceName(host, 'agent'))} and read /var/log/nms/agent.log, or ${deploy(a.name)}`,
        });
      else if (c.name === 'working') {
        // an agent announces 'starting' in its first heartbeat: a transition, not a fault, for a while
        const reg = a.doctor.registry;
        if (reg?.state === 'starting' && Date.parse(a.doctor.checked_at) - reg.started_at < STARTING_GRACE_MS) continue;
        const mismatch = a.doctor.registry?.state === 'app_key_mismatch';
        if (mismatch)
          add({
            code: 'app_key_mismatch',
            subject: a.name,
            message: `${a.name}'s agent refuses work: its APP_KEY differs from the cluster's`,
            fix: `${deploy(a.name)} restores the cluster's APP_KEY`,
          });
        else
          add({
            code: 'agent_stuck',
            subject: a.name,
            message: `the agent on ${a.name}: ${c.detail}`,
            fix: `${c.fix ?? 'restart it'} (on ${a.name}: \`/etc/init.d/${serviceName(host, 'agent')} restart\`)`,
          });
      }
    }
  }

  // 4. the cluster view from the master
  if (masterAnswers?.reachable && !cluster)
    add({
      code: 'cluster_view_failed',
      subject: i.master.name,
      message: `\`nms-agent cluster-status\` did not run on ${i.master.name}: ${masterAnswers.clusterError ?? 'no answer'}`,
      fix: `update the agent there: ${deploy(i.master.name)}`,
    });
  for (const p of cluster?.problems ?? []) {
    // the master's agent reports services by their check name; its fix does not know the inventory
    if (p.code === 'service_down') {
      const host = inv.services[SERVICE_CHECKS[p.subject] ?? 'mariadb'];
      add({
        ...p,
        message: `${p.subject} on ${host.name}: ${p.message}`,
        fix: `on ${host.name} run ${startCmd(serviceName(host, p.subject as 'redis'))}, or ${deploy(host.name)}`,
      });
    } else if (p.code === 'app_key_mismatch') add({ ...p, fix: `${deploy(p.subject)} restores the cluster's APP_KEY` });
    else add(p);
  }

  // 5. the API through nginx
  const api = masterAnswers?.api;
  const apiUrl = `https://127.0.0.1:${inv.cluster.web.httpsPort}/api/v0/system`;
  const apiOk = !!api && api.httpStatus === 200 && isOkJson(api.body);
  if (masterAnswers?.reachable && api && !apiOk) {
    const web = inv.services.web;
    if (api.httpStatus === 401 || api.httpStatus === 403)
      add({
        code: 'api_token',
        subject: 'api',
        message: `the API on ${web.name} refused the inventory's api_token (HTTP ${api.httpStatus})`,
        fix: `${deploy(web.name)} writes API_TOKEN from secrets.yaml and restarts the agent`,
      });
    else
      add({
        code: 'api_down',
        subject: 'api',
        message: `the API on ${web.name} is not answering through nginx (${apiUrl}): ${api.error ?? (api.httpStatus ? `HTTP ${api.httpStatus}` : 'no answer')}`,
        fix: `on ${web.name} run ${startCmd(serviceName(web, 'nginx'))} and check the agent there (its api role serves 127.0.0.1:8070), or ${deploy(web.name)}`,
      });
  }

  const nodes: NodeStatus[] = inv.hosts.map((h) => {
    const a = byName.get(h.name);
    const cn = clusterNode(h.name);
    const reg = a?.doctor?.registry;
    return {
      name: h.name,
      address: h.address,
      roles: h.roles,
      reachable: !!a?.reachable,
      ...(a?.sshError || a?.doctorError ? { error: a.sshError ?? a.doctorError } : {}),
      healthy: a?.doctor ? a.doctor.healthy : null,
      checks: a?.doctor?.checks ?? [],
      groups: a?.doctor?.groups.length ? a.doctor.groups : h.agent.distributed_poller_group,
      state: cn?.state ?? reg?.state ?? null,
      jobs_ok: cn?.jobs_ok ?? reg?.jobs_ok ?? null,
      jobs_failed: cn?.jobs_failed ?? reg?.jobs_failed ?? null,
      dispatcher: cn?.dispatcher ?? reg?.dispatcher ?? false,
      app_key_fingerprint: a?.doctor?.app_key_fingerprint ?? null,
      ms: a?.ms ?? 0,
    };
  });

  const unreachable = nodes.some((n) => !n.reachable);
  const exit = unreachable ? STATUS_EXIT.unreachable : problems.length ? STATUS_EXIT.unhealthy : STATUS_EXIT.healthy;
  return {
    schema: STATUS_SCHEMA,
    inventory: inv.name,
    healthy: exit === STATUS_EXIT.healthy,
    exit_code: exit,
    checked_at: i.checkedAt.toISOString(),
    duration_ms: i.durationMs,
    master: i.master.name,
    nodes,
    api: api
      ? { ok: apiOk, url: apiUrl, http_status: api.httpStatus, ...(api.error ? { error: api.error } : {}), ms: api.ms }
      : null,
    cluster,
    problems,
  };
}

function isOkJson(body: string): boolean {
  try {
    return (JSON.parse(body) as { status?: string }).status === 'ok';
  } catch {
    return false;
  }
}
