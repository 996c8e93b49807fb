// poll bench: the nms Poller against Prometheus snmp_exporter (Debian 0.21, if_mib module
// generated from bench/generator.yml) on the same simulated fleet on 127.0.0.1, one after the
// other, 24 devices at a time each. Measured from /proc for every process: the poller's CPU,
// the simulator's CPU (shown, excluded), rrdcached's and MariaDB's (the nms side also writes
// what it polled; snmp_exporter only answers an HTTP scrape), peak RSS (VmHWM).
// NMS_BENCH_POLL_DEVICES (default 1000; v2c devices only: every 10th simulated device is v3),
// NMS_BENCH_POLL_CYCLES timed cycles after one warm-up (default 2). NMS_BENCH_POLL_ONLY=nms|defs:
// the nms side only (defs: with the OS definitions' cost, written to its own section).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchRrdcached } from './lib/rrdcached-daemon.js';
import { PollWorker, SimulatorProcess } from './lib/fleet.js';
import { CpuMeter, peakRssMiB, sleep } from './lib/proc.js';
import { fmt, now, table, writeSection } from './lib/report.js';
import type { CycleResult } from './lib/poll-worker.js';
import { definitionsSection, loadCost, loadNow, type PollCpu } from './lib/definitions-cost.js';
import { ensureExporter, generateExporterConfig, scrapeExporter } from './lib/exporter.js';

const DEVICES = Number(process.env.NMS_BENCH_POLL_DEVICES ?? 1000);
const CYCLES = Number(process.env.NMS_BENCH_POLL_CYCLES ?? 2);
const FIRST_PORT = Number(process.env.NMS_BENCH_FIRST_PORT ?? 17000);
const EXPORTER_PORT = Number(process.env.NMS_BENCH_EXPORTER_PORT ?? 19116);
const CONCURRENCY = 24;
/** NMS_BENCH_POLL_ONLY=nms: the two nms rows only, printed and not written (for profiling and before/after). */
const ONLY_NMS = process.env.NMS_BENCH_POLL_ONLY === 'nms';
/**
 * NMS_BENCH_POLL_ONLY=defs: the two nms rows and the cost of loading the OS definitions, written
 * as the section poll-definitions (a short run: NMS_BENCH_POLL_DEVICES=100 is enough).
 */
const ONLY_DEFS = process.env.NMS_BENCH_POLL_ONLY === 'defs';
/** NMS_BENCH_DEFS_ROUNDS: pairs (system + ports, full) measured for the definitions' figure (default 3). */
const DEFS_ROUNDS = Number(process.env.NMS_BENCH_DEFS_ROUNDS ?? 3);
const DB_URL = process.env.NMS_TEST_DB ?? 'mysql://nmstest:nmstest@127.0.0.1:13306';
const MARIADB_PID_FILE = '/tmp/nms-test-services/mariadb.pid';
const V2C = Array.from({ length: DEVICES }, (_, i) => i).filter((i) => i % 10 !== 9);

export interface SideResult {
  name: string;
  polls: number;
  wall: number;
  cpu: number;
  simCpu: number;
  rrdCpu?: number;
  dbCpu?: number;
  varbinds: number;
  failed: number;
  rss: number;
  note?: string;
}

function mariadbPid(): number | undefined {
  try {
    const pid = Number(readFileSync(MARIADB_PID_FILE, 'utf8').trim());
    return existsSync(`/proc/${pid}`) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function nmsSide(
  sim: SimulatorProcess,
  portsOnly: boolean,
  definitions: 'all' | 'generic' = 'all',
): Promise<SideResult> {
  const rrd = new BenchRrdcached({ port: 42302 });
  await rrd.start();
  const worker = new PollWorker();
  try {
    await worker.start();
    const disc = await worker.setup({
      dbUrl: DB_URL,
      database: `nms_bench_poll_${process.pid}`,
      rrdcached: rrd.address,
      devices: V2C,
      firstPort: FIRST_PORT,
      maxConcurrent: CONCURRENCY,
      portsOnly,
      definitions,
      step: 300,
      smallRras: true,
    });
    console.error(
      `nms: discovered ${disc.up}/${V2C.length} in ${disc.wall.toFixed(1)} s` +
        (disc.firstError ? ` (first error: ${disc.firstError})` : ''),
    );
    await worker.cycle(); // warm-up: the first poll after discovery
    const db = mariadbPid();
    const meter = new CpuMeter([worker.pid, sim.pid, rrd.pid, ...(db ? [db] : [])]).start();
    const cycles: CycleResult[] = [];
    for (let c = 0; c < CYCLES; c++) cycles.push(await worker.cycle());
    const cpu = meter.stop();
    const sum = (f: (c: CycleResult) => number) => cycles.reduce((a, c) => a + f(c), 0);
    const firstError = cycles.find((c) => c.firstError)?.firstError;
    return {
      name: portsOnly
        ? 'nms Poller, system + ports only (the job if_mib does)'
        : 'nms Poller, full poll (system, ports, processors, storage, sensors)',
      polls: sum((c) => c.up + c.down),
      wall: sum((c) => c.wall),
      cpu: cpu.get(worker.pid)!,
      simCpu: cpu.get(sim.pid)!,
      rrdCpu: cpu.get(rrd.pid)!,
      dbCpu: db ? cpu.get(db) : undefined,
      varbinds: sum((c) => c.varbinds),
      failed: sum((c) => c.down),
      rss: peakRssMiB(worker.pid),
      note: firstError,
    };
  } finally {
    await worker.close();
    await rrd.close();
  }
}

const scrape = (agent: http.Agent, target: string, module: string) =>
  scrapeExporter(agent, EXPORTER_PORT, target, module);

async function scrapeAll(
  agent: http.Agent,
  module: string,
): Promise<{ polls: number; failed: number; varbinds: number; wall: number }> {
  const t = performance.now();
  let next = 0;
  const out = { polls: 0, failed: 0, varbinds: 0, wall: 0 };
  const worker = async () => {
    while (next < V2C.length) {
      const i = V2C[next++];
      const r = await scrape(agent, `127.0.0.1:${FIRST_PORT + i}`, module);
      out.polls++;
      if (!r.ok) out.failed++;
      out.varbinds += r.pdus;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  out.wall = (performance.now() - t) / 1000;
  return out;
}

async function exporterSide(sim: SimulatorProcess, module: 'if_mib' | 'if_counters'): Promise<SideResult> {
  const dir = mkdtempSync(join(tmpdir(), 'nms-bench-exporter-'));
  let child: ChildProcess | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const config = generateExporterConfig(dir);
    child = spawn(
      'prometheus-snmp-exporter',
      [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${EXPORTER_PORT}`, '--log.level=warn'],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    for (let i = 0; i < 100; i++) {
      if ((await scrape(agent, `127.0.0.1:${FIRST_PORT}`, module)).ok) break;
      if (child.exitCode !== null) throw new Error(`prometheus-snmp-exporter exited ${child.exitCode}`);
      await sleep(100);
    }
    await scrapeAll(agent, module); // warm-up
    const meter = new CpuMeter([child.pid!, sim.pid]).start();
    const runs: { polls: number; failed: number; varbinds: number; wall: number }[] = [];
    for (let c = 0; c < CYCLES; c++) runs.push(await scrapeAll(agent, module));
    const cpu = meter.stop();
    const sum = (f: (r: (typeof runs)[number]) => number) => runs.reduce((a, r) => a + f(r), 0);
    return {
      name:
        module === 'if_mib'
          ? 'snmp_exporter 0.21, if_mib (sysUpTime, interfaces, ifXTable)'
          : 'snmp_exporter 0.21, if_counters (the columns an nms poll walks)',
      polls: sum((r) => r.polls),
      wall: sum((r) => r.wall),
      cpu: cpu.get(child.pid!)!,
      simCpu: cpu.get(sim.pid)!,
      varbinds: sum((r) => r.varbinds),
      failed: sum((r) => r.failed),
      rss: peakRssMiB(child.pid!),
    };
  } finally {
    agent.destroy();
    if (child && child.exitCode === null) {
      const gone = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

const SIDE_COLUMNS = [
  'poller',
  'polls',
  'failed',
  'wall s',
  'CPU s',
  'CPU ms / poll',
  'varbinds / poll',
  'varbinds / CPU s',
  'peak RSS MiB',
  'simulator CPU ms / poll',
  'rrdcached CPU ms / poll',
  'MariaDB CPU ms / poll',
];

export function sideRows(rows: SideResult[]): (string | number)[][] {
  return rows.map((r) => [
    r.name,
    fmt(r.polls),
    fmt(r.failed),
    fmt(r.wall, 1),
    fmt(r.cpu, 2),
    fmt((r.cpu * 1000) / r.polls, 2),
    fmt(r.varbinds / r.polls),
    fmt(r.varbinds / r.cpu),
    fmt(r.rss),
    fmt((r.simCpu * 1000) / r.polls, 2),
    r.rrdCpu === undefined ? '–' : fmt((r.rrdCpu * 1000) / r.polls, 2),
    r.dbCpu === undefined ? '–' : fmt((r.dbCpu * 1000) / r.polls, 2),
  ]);
}

/** NMS_BENCH_POLL_ONLY=defs: the nms side with and without the OS definitions, round by round. */
async function definitionsRun(sim: SimulatorProcess): Promise<void> {
  const before = loadNow();
  const load = loadCost();
  const perPoll = (r: SideResult) => (r.cpu * 1000) / r.polls;
  const rounds: PollCpu[] = [];
  // the pair in turn one way and the other, so that a change in the machine's load between
  // the two halves of a round does not always favour the same side
  for (let i = 0; i < DEFS_ROUNDS; i++) {
    // three sides in a rotating order: generic only (full poll), every definition (full poll),
    // every definition (system + ports)
    const sides: [boolean, 'all' | 'generic'][] = [
      [false, 'generic'],
      [false, 'all'],
      [true, 'all'],
    ];
    const got = new Map<number, SideResult>();
    for (let k = 0; k < sides.length; k++) {
      const s = (k + i) % sides.length;
      got.set(s, await nmsSide(sim, ...sides[s]));
    }
    const [generic, full, same] = [got.get(0)!, got.get(1)!, got.get(2)!];
    rounds.push({
      generic: perPoll(generic),
      portsOnly: perPoll(same),
      full: perPoll(full),
      polls: full.polls,
      devices: V2C.length,
    });
  }
  const text = definitionsSection(rounds, load, before, loadNow());
  console.log(text);
  writeSection('poll-definitions', text);
}

/** NMS_BENCH_POLL_ONLY=nms: the two nms rows, printed only. */
async function nmsOnlyRun(sim: SimulatorProcess): Promise<void> {
  const rows: SideResult[] = [];
  rows.push(await nmsSide(sim, true));
  rows.push(await nmsSide(sim, false));
  console.log(
    table(
      [
        'poller',
        'polls',
        'failed',
        'wall s',
        'CPU s',
        'CPU ms / poll',
        'varbinds / poll',
        'varbinds / CPU s',
        'peak RSS MiB',
        'simulator CPU ms / poll',
        'rrdcached CPU ms / poll',
        'MariaDB CPU ms / poll',
      ],
      sideRows(rows),
    ),
  );
}

/** The poll section: the budget against snmp_exporter, then every side's row. */
function pollReport(rows: SideResult[]): void {
  const [exp, expSame, same, full] = rows;
  const perDev = (r: SideResult) => r.cpu / r.polls;
  const less = (theirs: SideResult, ours: SideResult) => {
    const x = perDev(theirs) / perDev(ours);
    return x >= 1 ? `${fmt(x, 2)}× less` : `${fmt(1 / x, 2)}× MORE`;
  };
  const text = `## poll: nms Poller vs snmp_exporter

Run ${now()}: ${fmt(DEVICES)} simulated devices × 48 ports on 127.0.0.1 (one simulator process),
of which the ${fmt(V2C.length)} v2c devices are polled (the v3-only tenth is left out on both
sides); 24 devices at a time on each side; one warm-up cycle, then ${CYCLES} timed cycles.
nms: the Poller in its own process with MariaDB (shared test instance) and a private rrdcached, discovery
done before; snmp_exporter: scraped over HTTP by this bench (the scraping client's CPU, which
Prometheus would spend, is not counted). CPU is utime+stime from /proc/PID/stat over the timed
cycles; the simulator's, rrdcached's and MariaDB's are shown per poll and not counted in "CPU ms /
poll". MariaDB is shared with other engineers' tests, so its column is an upper bound. RRD
files have one small RRA instead of LibreNMS's 13 (48 files of 2.5 MB per device do not fit this
disk): the agent sends the same UPDATEs, rrdcached's later write-back is cheaper than real.

${table(
  ['', ''],
  [
    ['budget', 'nms ≥ 2× less CPU per device than snmp_exporter'],
    ['snmp_exporter CPU per device', `${fmt(perDev(exp) * 1000, 2)} ms`],
    ['nms, system + ports (the job if_mib does)', `${fmt(perDev(same) * 1000, 2)} ms → ${less(exp, same)}`],
    ['nms, full poll', `${fmt(perDev(full) * 1000, 2)} ms → ${less(exp, full)}`],
    [
      'snmp_exporter if_counters (same columns as an nms poll)',
      `${fmt(perDev(expSame) * 1000, 2)} ms → nms system + ports: ${less(expSame, same)}`,
    ],
    ['budget met (if_mib vs nms system + ports)', perDev(exp) / perDev(same) >= 2 ? 'yes' : 'NO'],
  ],
)}

${table(SIDE_COLUMNS, sideRows(rows))}
${
  rows.some((r) => r.note)
    ? `\nFirst failure seen: ${rows
        .filter((r) => r.note)
        .map((r) => `${r.name}: ${r.note}`)
        .join('; ')}\n`
    : ''
}`;
  console.log(text);
  writeSection('poll', text);
}

async function main(): Promise<void> {
  const sim = new SimulatorProcess(DEVICES, FIRST_PORT);
  await sim.start();
  const rows: SideResult[] = [];
  try {
    if (ONLY_DEFS) return await definitionsRun(sim);
    if (ONLY_NMS) return await nmsOnlyRun(sim);
    ensureExporter();
    rows.push(await exporterSide(sim, 'if_mib'));
    rows.push(await exporterSide(sim, 'if_counters'));
    rows.push(await nmsSide(sim, true));
    rows.push(await nmsSide(sim, false));
  } finally {
    await sim.close();
  }
  pollReport(rows);
}

if (process.argv[1]?.endsWith('poll.ts')) await main();
