// Turns what every node answered into the status report: per-node rows, the problems (found by
// the rules in rules.ts) with the next step for each, the exit code. Pure (no I/O) so each
// fault's wording is unit-tested.
import type { Problem } from '../../lib/contracts/problem.js';
import type { HostSpec, Inventory } from '../inventory/types.js';
import { RULES, apiOk, apiUrl, type StatusContext } from './rules.js';
import { STATUS_EXIT, STATUS_SCHEMA, type NodeAnswers, type NodeStatus, type StatusReport } from './types.js';
import type { RedisTopology } from './redis-types.js';

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
  /** Redis Sentinel's view (cluster.redis.sentinel only; redis-topology.ts). */
  redis?: RedisTopology;
}

/** The first problem of each kind per subject (an agent's problems count as one kind). */
function once(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${AGENT_FAMILY.has(p.code) ? 'agent' : p.code}|${p.subject}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function nodeStatus(ctx: StatusContext, h: HostSpec): NodeStatus {
  const a = ctx.byName.get(h.name);
  const cn = ctx.cluster?.nodes.find((n) => n.poller_name === h.name);
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
}

export function analyseStatus(i: AnalyseInput): StatusReport {
  const inv = i.inventory;
  const byName = new Map(i.answers.map((a) => [a.name, a]));
  const masterAnswers = byName.get(i.master.name);
  const ctx: StatusContext = {
    inventory: inv,
    master: i.master,
    answers: i.answers,
    byName,
    masterAnswers,
    cluster: masterAnswers?.cluster ?? null,
    deploy: (limit) => `\`nms deploy -i ${i.inventoryArg} --limit ${limit}\``,
    inventoryArg: i.inventoryArg,
    redis: i.redis,
  };
  const problems = once(RULES.flatMap((rule) => rule(ctx)));
  const nodes = inv.hosts.map((h) => nodeStatus(ctx, h));
  const api = masterAnswers?.api;
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
      ? {
          ok: apiOk(api),
          url: apiUrl(inv),
          http_status: api.httpStatus,
          ...(api.error ? { error: api.error } : {}),
          ms: api.ms,
        }
      : null,
    cluster: ctx.cluster,
    problems,
    ...(i.redis ? { redis: i.redis } : {}),
  };
}
