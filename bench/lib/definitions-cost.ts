// The poll bench's figure for the OS definitions (issue 12): how much the CPU of a full poll of
// the simulator's 48-port devices rises with every definition loaded against the generic
// fallback alone, what the definition modules (processors, mempools, storage, sensors) add to a
// poll of system + ports, and what loading every definition costs
// (bench/lib/definitions-load.ts in a fresh process). The machine's load is recorded beside
// them: it is shared, and the figures move with it.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fmt, median, now, ROOT, table } from './report.js';

export interface LoadCost {
  files: number;
  yamlMs: number;
  bundleMs: number;
  heapMiB: number;
}

/** Loading every definition in a fresh process. */
export function loadCost(): LoadCost {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', join(ROOT, 'bench/lib/definitions-load.ts')],
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as LoadCost;
}

/** The machine's 1-minute load average, as text for the report. */
export const loadNow = () => loadavg()[0].toFixed(2);

export interface PollCpu {
  /** CPU ms per poll, full poll with only the generic fallback definition loaded (nms before definitions). */
  generic: number;
  /** CPU ms per poll, system + ports only (every definition loaded). */
  portsOnly: number;
  /** CPU ms per poll, full poll with every definition loaded. */
  full: number;
  polls: number;
  devices: number;
}

/** The section `poll-definitions` of docs/benchmarks.md: every round, and the median rises. */
export function definitionsSection(rounds: PollCpu[], load: LoadCost, loadBefore: string, loadAfter: string): string {
  const rise = (c: PollCpu) => (c.full / c.generic - 1) * 100;
  const modules = (c: PollCpu) => (c.full / c.portsOnly - 1) * 100;
  const med = median(rounds.map(rise));
  const first = rounds[0];
  return `### poll: what the OS definitions cost

Run ${now()}: ${fmt(first.devices)} simulated devices × 48 ports (the simulator's mix of OS families),
${rounds.length} rounds of ${fmt(first.polls)} polls on each of three sides (the nms rows of the poll bench,
\`NMS_BENCH_POLL_ONLY=defs\`, each side in a fresh poller process after its own discovery, the
order rotating between rounds). The figure for the budget: the same full poll of the same devices
with every definition loaded against the generic fallback alone (what nms did before the OS
definitions: every device polled through the generic MIBs). Beside it, what the definition
modules (processors, mempools, storage, sensors) add to a poll of system + ports, with every
definition loaded: not a budget, the work of knowing the device. Loading: every definition file
read, parsed, checked and compiled in a fresh process, and the agent bundle's way (the list
checked at build time, regexes compiled): the agent loads them the bundle's way; the YAML way,
which compiles the schema on first use, is what a run from the sources and the build pay.
Machine load (1-minute average) ${loadBefore} before, ${loadAfter} after, on 2 cores: the CPU figures
move with it, round to round.

${table(
  [
    'round',
    'CPU ms / poll, generic only',
    'CPU ms / poll, every definition',
    'rise',
    'CPU ms / poll, system + ports',
    'modules add',
  ],
  rounds.map((c, i) => [
    String(i + 1),
    fmt(c.generic, 2),
    fmt(c.full, 2),
    `${fmt(rise(c), 1)} %`,
    fmt(c.portsOnly, 2),
    `${fmt(modules(c), 1)} %`,
  ]),
)}

${table(
  ['', '', 'budget', 'met'],
  [
    ['rise with every definition loaded, median of the rounds', `${fmt(med, 1)} %`, '≤ 10 %', med <= 10 ? 'yes' : 'NO'],
    ['what the definition modules add to system + ports, median', `${fmt(median(rounds.map(modules)), 1)} %`, '–', ''],
    [
      `loading ${load.files} definitions from YAML`,
      `${fmt(load.yamlMs, 1)} ms`,
      '≤ 200 ms',
      load.yamlMs <= 200 ? 'yes' : 'NO',
    ],
    [
      'loading them in the agent bundle',
      `${fmt(load.bundleMs, 1)} ms`,
      '≤ 200 ms',
      load.bundleMs <= 200 ? 'yes' : 'NO',
    ],
    ['heap they hold', `${fmt(load.heapMiB, 1)} MiB`, '≤ 20 MiB', load.heapMiB <= 20 ? 'yes' : 'NO'],
  ],
)}
`;
}
