// The agent bench's section (bench/agent.ts runs it): one row a run, then per run its cycles, the
// whole machine's CPU and the polls' wall time.
import { cpus, loadavg } from 'node:os';
import type { MachineCpu } from './proc.js';
import { innodbLine, type InnodbWindow } from './innodb.js';
import type { PollCounts, PollTimes } from './poll-watch.js';
import { writeTimers } from './rrdcached-daemon.js';
import { fmt, median, table } from './report.js';

export interface RunResult {
  devices: number;
  agents: number;
  /** service_poller_workers of each agent. */
  workers: number;
  /** Bulk discovery by the Poller, then the agents' first poll round (seconds each). */
  discoveryS: number;
  warmupS: number;
  /** The untimed cycle after a first round longer than a cycle, and its polls. */
  settle?: { seconds: number; counts: PollCounts };
  counts: PollCounts;
  /** The devices with a missed poll and their state (bench/lib/missed.ts), when any missed. */
  missed?: string;
  times: PollTimes;
  cpu: { agents: number[]; mariadb: number; rrdcached: number; redis: number; memcached: number; simulator: number };
  /** Peak RSS of each agent over the timed cycles (MiB). */
  rss: number[];
  /** Peak RSS of each agent from its start to the end of the first round (MiB). */
  rssFirst: number[];
  /** The agents' CPU seconds (summed) in each timed cycle. */
  agentCycles: number[];
  elected: number;
  /** Redis commands run over the timed cycles (everything: queue, locks, claims, heartbeats). */
  redisCalls: number;
  /** The whole machine's CPU seconds over the timed cycles, and the cycles' seconds. */
  machine: MachineCpu & { seconds: number };
  /** MariaDB's buffer pool against the bench database, and its disk reads over the timed cycles. */
  innodb: InnodbWindow;
  errors: string[];
}

/** The Poller alone's CPU ms a device: cycles started all at once, and paced at the agents' rate. */
export interface PollerRuns {
  burst: number[];
  paced: number[];
}

/** CPU ms figures, two decimals, comma-separated. */
export const msList = (x: number[]) => x.map((v) => fmt(v, 2)).join(', ');

export const perDev = (cpuS: number, polls: number) => (polls ? (cpuS * 1000) / polls : 0);

/** One run's agent CPU a device cycle by cycle, and the whole span's against the Poller alone. */
function cycleLine(r: RunResult, pollerMs: number, burstMs: number): string {
  const per = r.agentCycles.map((cpuS, k) => fmt(perDev(cpuS, r.counts.cycles[k]?.polls ?? 0), 2));
  const all = perDev(
    r.cpu.agents.reduce((a, b) => a + b, 0),
    r.counts.polls,
  );
  return (
    `- ${label(r)}: agent CPU ms a device cycle by cycle ${per.join(', ')} ` +
    `(agents summed, polls of the cycle); all cycles ${fmt(all, 2)} = ${fmt(all / pollerMs, 2)}x the Poller alone ` +
    `at the same pace (${fmt(all / burstMs, 2)}x its cycles started all at once). ` +
    machineLine(r)
  );
}

/** The whole machine's CPU over the timed cycles against the processes the bench measures. */
function machineLine(r: RunResult): string {
  const c = r.cpu;
  const measured = [...c.agents, c.mariadb, c.redis, c.memcached, c.simulator].reduce((a, b) => a + b, 0);
  const cores = (x: number) => fmt(x / r.machine.seconds, 2);
  return (
    `The whole machine over those cycles: ${cores(r.machine.busy)} of ${cpus().length} cores busy (softirq ` +
    `${cores(r.machine.softirq)}); the measured processes but rrdcached ${cores(measured)}.`
  );
}

const HEAD = [
  'devices / agents',
  'bulk discovery s',
  'first poll round s',
  'polls timed',
  'on time / late / missed / doubled',
  'cycle spread s',
  'agent CPU ms / device',
  'queue + lock overhead ms / job',
  'MariaDB ms / device',
  'rrdcached ms / device',
  'Redis ms / device',
  'Redis commands / poll',
  'memcached ms / device',
  'peak RSS MiB (first round / timed cycles)',
];

export function report(
  results: RunResult[],
  pollerRuns: { before: PollerRuns; after?: PollerRuns },
  started: string,
  loadBefore: number[],
  plan: { cycles: number; freq: number; rate: number },
  stopped?: string,
): string {
  const { cycles: CYCLES, freq: FREQ } = plan;
  const { before, after } = pollerRuns;
  const pollerMs = median([...before.paced, ...(after?.paced ?? [])]);
  const burstMs = median([...before.burst, ...(after?.burst ?? [])]);
  const rows = results.map((r) => {
    const p = r.counts.polls;
    const agentCpu = r.cpu.agents.reduce((a, b) => a + b, 0);
    const spread = Math.max(...r.counts.cycles.map((c) => c.spread));
    return [
      label(r),
      fmt(r.discoveryS),
      fmt(r.warmupS),
      fmt(p),
      `${r.counts.onTime} / ${r.counts.late} / ${r.counts.missed} / ${r.counts.doubled}`,
      fmt(spread),
      r.cpu.agents.map((x) => fmt(perDev(x, p / r.agents), 2)).join(', '),
      fmt(perDev(agentCpu, p) - pollerMs, 2),
      fmt(perDev(r.cpu.mariadb, p), 2),
      fmt(perDev(r.cpu.rrdcached, p), 2),
      fmt(perDev(r.cpu.redis, p), 2),
      fmt(p ? r.redisCalls / p : 0, 1),
      fmt(perDev(r.cpu.memcached, p), 3),
      r.rss.map((x, i) => `${fmt(r.rssFirst[i])} / ${fmt(x)}`).join(', '),
    ];
  });
  const errs = results.flatMap((r) => r.errors.map((e) => `- ${r.devices}: ${e}`));
  return [
    '## agent: nms-agent end to end',
    '',
    `Run ${started}: real \`nms-agent run\` processes (dist/nms-agent.mjs, the unit's Node flags and`,
    `environment), BullMQ on a private Redis, private memcached and rrdcached, MariaDB the shared test`,
    `instance (its CPU includes whatever else ran on it: an upper bound). The fleet discovered in bulk by`,
    "the Poller (24 at a time) before the agents start (a larger run keeps the previous one's database and",
    'discovers only the devices it adds); the agents poll every device once (the first round, not',
    'timed; when it takes longer than a cycle, one more untimed cycle follows, counted in its own line),',
    `then ${CYCLES} timed cycles of ${FREQ} s; polls read from \`devices.last_polled\``,
    '(bench/lib/poll-watch.ts says how an interval is judged). RRD files with one small RRA (NMS_RRD_RRAS;',
    "LibreNMS's 13 would need 2.5 MB a port file); rrdcached flushed before the timed window and once after",
    `it (its column: the window's updates and one write-back of each file for its ${CYCLES} polls; deployed,`,
    `with -w ${writeTimers(true).timeout} and the journal, a file waits ${writeTimers(true).timeout / FREQ} polls ` +
      'or more). Poller alone on 1,000 devices (no queue, no lock, no dispatcher; CPU ms a device), before',
    `the agent runs and after them, alternating three cycles paced at the agents' rate (${fmt(plan.rate, 1)} polls`,
    `started a second): ${msList(before.paced)}; after: ${after ? msList(after.paced) : 'not run'}; median ` +
      `${fmt(pollerMs, 2)} (the reference of the overhead column); and three cycles started all at once: ` +
      `${msList(before.burst)}; after: ${after ? msList(after.burst) : 'not run'}; median ${fmt(burstMs, 2)}.`,
    `Load average before: ${loadBefore.map((x) => x.toFixed(2)).join(' ')}; after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}.`,
    '',
    table(HEAD, rows),
    '',
    ...results.map((r) => cycleLine(r, pollerMs, burstMs)),
    ...results.map((r) => timesLine(r, FREQ)),
    ...results.flatMap((r) => (r.settle ? [settleLine(r, r.settle)] : [])),
    ...results.filter((r) => r.missed).map((r) => `- ${label(r)}: ${r.missed}`),
    ...(errs.length ? ['', 'Agent errors seen (first five a run):', ...errs] : []),
    ...(stopped ? ['', `The bench stopped before the next run: ${stopped}`] : []),
  ].join('\n');
}

/** The untimed cycle between a first round longer than a cycle and the timed cycles. */
function settleLine(r: RunResult, settle: NonNullable<RunResult['settle']>): string {
  const c = settle.counts;
  return (
    `- ${label(r)}: the first round took ${fmt(r.warmupS)} s, longer than a cycle, so one untimed cycle ` +
    `(${fmt(settle.seconds)} s) ran before the timed ones: ${fmt(c.polls)} polls in it, on time / late / ` +
    `missed / doubled ${c.onTime} / ${c.late} / ${c.missed} / ${c.doubled}.`
  );
}

/** A run's name in the section: devices / agents, and the workers when not the default 24. */
function label(r: RunResult): string {
  return `${fmt(r.devices)} / ${r.agents}${r.workers === 24 ? '' : ` (${r.workers} workers each)`}`;
}

/** How long the timed polls took and waited: whether the agents' workers were all busy. */
function timesLine(r: RunResult, freq: number): string {
  const t = r.times;
  const slots = r.agents * r.workers;
  return (
    `- ${label(r)}: a poll's wall time (devices.last_polled_timetaken) ${fmt(t.mean, 2)} s on average, ` +
    `95th percentile ${fmt(t.p95, 2)}, longest ${fmt(t.max, 2)}; polls in flight on average ` +
    `${fmt(t.inFlight, 1)} of ${slots} worker slots; a poll started after it was due by ${fmt(t.delay.median)} s ` +
    `(median), ${fmt(t.delay.p95)} (95th percentile), ${fmt(t.delay.max)} (longest); late polls cycle by cycle ` +
    `${r.counts.cycles.map((c) => fmt(c.late)).join(', ')}; polls started ${fmt(t.rate.mean, 1)} a second on ` +
    `average, ${fmt(t.rate.peakMinute, 1)} in the busiest minute (${fmt(r.devices / freq, 1)} needed). ` +
    innodbLine(r.innodb)
  );
}
