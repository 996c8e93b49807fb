// The poll bench's figure for the OS definitions (issue 12): what the definition modules
// (processors, mempools, storage, sensors) add to the CPU of a poll of the simulator's 48-port
// devices (a full poll against system + ports only), and what loading every definition costs
// (bench/lib/definitions-load.ts in a fresh process). The machine's load is recorded beside
// them: it is shared, and the figures move with it.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fmt, now, ROOT, table } from './report.js';

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
  /** CPU ms per poll, system + ports only. */
  portsOnly: number;
  /** CPU ms per poll with the definition modules. */
  full: number;
  polls: number;
  devices: number;
}

/** The section `poll-definitions` of docs/benchmarks.md: every round, and the median rise. */
export function definitionsSection(rounds: PollCpu[], load: LoadCost, loadBefore: string, loadAfter: string): string {
  const rise = (c: PollCpu) => (c.full / c.portsOnly - 1) * 100;
  const rises = rounds.map(rise).sort((a, b) => a - b);
  const median = rises[Math.floor(rises.length / 2)];
  const first = rounds[0];
  return `### poll: what the OS definitions cost

Run ${now()}: ${fmt(first.devices)} simulated devices × 48 ports, ${rounds.length} rounds of ${fmt(first.polls)} polls
on each side (the nms rows of the poll bench, \`NMS_BENCH_POLL_ONLY=defs\`, each side in a fresh
poller process after its own discovery, the order alternating between rounds): a full poll
(system, ports and the definition modules processors, mempools, storage, sensors) against
system + ports only, the same devices discovered with every definition loaded. Loading: every
definition file read, parsed, checked and compiled in a fresh process, and the agent bundle's way
(the list checked at build time, regexes compiled): the agent loads them the bundle's way; the
YAML way, which compiles the schema on first use, is what a run from the sources and the build
pay. Machine load (1-minute average) ${loadBefore} before, ${loadAfter} after, on 2 cores shared with
other engineers: the CPU figures move with it, round to round.

${table(
  ['round', 'CPU ms / poll, system + ports', 'CPU ms / poll, with the definition modules', 'rise'],
  rounds.map((c, i) => [String(i + 1), fmt(c.portsOnly, 2), fmt(c.full, 2), `${fmt(rise(c), 1)} %`]),
)}

${table(
  ['', '', 'budget', 'met'],
  [
    ['rise, median of the rounds', `${fmt(median, 1)} %`, '≤ 10 %', median <= 10 ? 'yes' : 'NO'],
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
