// agent-vs-exporter: a real `nms-agent run` against Prometheus snmp_exporter on the same work.
// Same devices (the v2c ones with 64-bit counters of the simulator's first N, each on a loopback
// address of its own), same columns (snmp_exporter's if_counters module, checked against what an nms poll walks; the
// agent with its definition modules switched off per device, devices_attribs poll_<module> = 0,
// so that its poll is system + ports), same concurrency (24 polls in flight: service_poller_workers,
// and 24 scrapes at a time). Rows: the agent on system + ports and on the full poll, snmp_exporter
// on if_counters and if_mib; three rounds in alternating order, median of each figure.
// Run from bench/agent.ts with NMS_BENCH_AGENT_COMPARE=N (e.g. 1000).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAppKey } from '../lib/crypto.js';
import { deviceAddress } from '../lib/device-addresses.js';
import { addDevice, migrate, openDb, type Db } from '../agent/db/index.js';
import { DEVICE_MODULES } from '../agent/modules/index.js';
import { deviceCredentials, has64BitCounters, isV3Only } from '../simulator/model.js';
import { BenchAgent, BenchMemcached, BenchRedis, OwnAddressSimulator } from './lib/agent-fleet.js';
import { discoverUndiscovered } from './lib/bulk-discover.js';
import {
  ensureExporter,
  ExporterProcess,
  generateExporterConfig,
  ifCountersDifference,
  type ScrapeRound,
} from './lib/exporter.js';
import { countPolls, PollWatch, waitAllPolled } from './lib/poll-watch.js';
import { CpuMeter, peakRssMiB, sleep } from './lib/proc.js';
import { BenchRrdcached, writeTimers } from './lib/rrdcached-daemon.js';
import { fmt, median, now, table } from './lib/report.js';

/** Poll frequency of the agent in this section (short, for a steady window in little time). */
const FREQ = Number(process.env.NMS_BENCH_COMPARE_FREQUENCY ?? 30);
/**
 * Polls a file gets between two write-backs as deployed: rrdcached's -w (1800 s with the journal,
 * templates/rrdcached) over LibreNMS's 300 s polling step. The window flushes rrdcached after
 * every WRITE_EVERY cycles, so each file is written once per WRITE_EVERY polls as in production
 * (where -z adds up to as many again: the least write-backs are not assumed).
 */
const WRITE_EVERY = writeTimers(true).timeout / 300;
/** Timed cycles of FREQ per agent run; the exporter scrapes every device as many times. */
const CYCLES = Number(process.env.NMS_BENCH_COMPARE_CYCLES ?? WRITE_EVERY);
const ROUNDS = Number(process.env.NMS_BENCH_COMPARE_ROUNDS ?? 3);
/**
 * Trials: an agent run's timed window in seconds instead of CYCLES × FREQ (with a FREQ longer than
 * it, the agent's CPU while nothing is due: what it spends between polls).
 */
const WINDOW_S = Number(process.env.NMS_BENCH_COMPARE_WINDOW_S ?? 0);
/** Trials: only these rows (comma-separated kinds, e.g. `nms-same,if_counters`); the section needs them all. */
const ONLY = (process.env.NMS_BENCH_COMPARE_ONLY ?? '').split(',').filter(Boolean);
const WORKERS = 24;
const EXPORTER_PORT = Number(process.env.NMS_BENCH_EXPORTER_PORT ?? 19117);
/** The simulator's one UDP port on its 127.77.x.y addresses: not the agent runs' 1161. */
const SIM_PORT = Number(process.env.NMS_BENCH_COMPARE_SIM_PORT ?? 1163);
const DB = { port: 13306, user: 'nmstest', password: 'nmstest' };
const SMALL_RRA = 'RRA:AVERAGE:0.5:1:12';
const MARIADB_PID_FILE = '/tmp/nms-test-services/mariadb-run/mariadb.pid';

type RowKind = 'nms-same' | 'nms-full' | 'if_counters' | 'if_counters_paced' | 'if_mib';
const ROW_NAMES: Record<RowKind, string> = {
  'nms-same': 'nms-agent, system + ports (definition modules off: the if_counters work)',
  'nms-full': 'nms-agent, full poll (every module of the device)',
  if_counters: 'snmp_exporter 0.21, if_counters (the columns an nms poll walks)',
  if_counters_paced: `snmp_exporter 0.21, if_counters, each device scraped once every ${FREQ} s (as the agent polls)`,
  if_mib: 'snmp_exporter 0.21, if_mib (sysUpTime, interfaces, ifXTable)',
};

/** One run of one row: CPU seconds of each process over its timed window, and what it did. */
interface Run {
  kind: RowKind;
  polls: number;
  /** nms: missed + doubled polls in the window; exporter: failed scrapes. */
  bad: number;
  wall: number;
  cpu: { main: number; mariadb: number; rrdcached: number; redis: number; memcached: number; simulator: number };
  rss: number;
}

interface Services {
  sim: OwnAddressSimulator;
  rrd: BenchRrdcached;
  redis: BenchRedis;
  mc: BenchMemcached;
  db: Db;
  database: string;
  appKey: string;
  ids: number[];
  targets: string[];
  dir: string;
}

/** Switches the definition modules off (system + ports) or back on (the full poll) for every device. */
async function setModules(s: Services, same: boolean): Promise<void> {
  await s.db.query("DELETE FROM devices_attribs WHERE attrib_type LIKE 'poll\\_%'");
  if (!same) return;
  const rows = s.ids.flatMap((id) => DEVICE_MODULES.map((m) => [id, `poll_${m.name}`, '0']));
  for (let i = 0; i < rows.length; i += 5000)
    await s.db.query('INSERT INTO devices_attribs (device_id, attrib_type, attrib_value) VALUES ?', [
      rows.slice(i, i + 5000),
    ]);
}

/** The agent polls every device once (not timed), then CYCLES cycles of FREQ are timed. */
async function nmsRun(s: Services, kind: 'nms-same' | 'nms-full'): Promise<Run> {
  await setModules(s, kind === 'nms-same');
  const agent = new BenchAgent({
    name: 'compare1',
    dir: join(s.dir, `agent-${kind}`),
    db: { ...DB, database: s.database },
    redisPort: s.redis.port,
    memcachedPort: s.mc.port,
    rrdcached: s.rrd.address,
    appKey: s.appKey,
    frequency: FREQ,
    workers: WORKERS,
    keyPrefix: `benchcmp${process.pid}`,
    rras: SMALL_RRA,
  });
  const since = Math.floor(Date.now() / 1000);
  await agent.start();
  try {
    await waitAllPolled(s.db, s.ids.length, since, 600, 1000);
    const watch = new PollWatch(s.db, 1000).start();
    const mariadb = Number(readFileSync(MARIADB_PID_FILE, 'utf8').trim());
    const pids = [agent.pid, mariadb, s.rrd.pid, s.redis.pid, s.mc.pid, s.sim.pid];
    const rrdWindow = await s.rrd.window();
    const meter = new CpuMeter(pids).start();
    const t0ms = Date.now();
    const t0 = Math.floor(t0ms / 1000);
    // a write-back after every WRITE_EVERY cycles: each file written as often as rrdcached's
    // timer writes it when the agent polls every 300 s
    if (WINDOW_S > 0) await sleep(WINDOW_S * 1000);
    else
      for (let c = 1; c <= CYCLES; c++) {
        await sleep(Math.max(0, t0ms + c * FREQ * 1000 - Date.now()));
        if (c < CYCLES && c % WRITE_EVERY === 0) await s.rrd.drain();
      }
    const t1 = Math.floor(Date.now() / 1000);
    const cpu = meter.stop();
    // rrdcached's part: what it received in the window and the write-back of it
    cpu.set(s.rrd.pid, await rrdWindow());
    await watch.stop();
    const counts = countPolls(watch.polls, s.ids, t0, t1, FREQ);
    const c = (pid: number) => cpu.get(pid) ?? 0;
    return {
      kind,
      polls: counts.polls,
      bad: counts.missed + counts.doubled,
      wall: t1 - t0,
      cpu: {
        main: c(agent.pid),
        mariadb: c(mariadb),
        rrdcached: c(s.rrd.pid),
        redis: c(s.redis.pid),
        memcached: c(s.mc.pid),
        simulator: c(s.sim.pid),
      },
      rss: peakRssMiB(agent.pid),
    };
  } finally {
    await agent.stop();
  }
}

/** A fresh exporter process: one warm-up scrape of every device, then CYCLES timed ones. */
async function exporterRun(s: Services, config: string, kind: Exclude<RowKind, 'nms-same' | 'nms-full'>): Promise<Run> {
  const exp = new ExporterProcess(config, EXPORTER_PORT, WORKERS);
  const module = kind === 'if_mib' ? 'if_mib' : 'if_counters';
  try {
    await exp.start(s.targets[0], module);
    await exp.scrapeAll(s.targets, module);
    const meter = new CpuMeter([exp.pid, s.sim.pid]).start();
    const t = performance.now();
    let polls = 0;
    let failed = 0;
    const add = (r: ScrapeRound) => {
      polls += r.polls;
      failed += r.failed;
    };
    if (kind === 'if_counters_paced') add(await exp.scrapePaced(s.targets, module, FREQ, CYCLES));
    else for (let c = 0; c < CYCLES; c++) add(await exp.scrapeAll(s.targets, module));
    const cpu = meter.stop();
    const zero = { mariadb: 0, rrdcached: 0, redis: 0, memcached: 0 };
    return {
      kind,
      polls,
      bad: failed,
      wall: (performance.now() - t) / 1000,
      cpu: { main: cpu.get(exp.pid) ?? 0, simulator: cpu.get(s.sim.pid) ?? 0, ...zero },
      rss: peakRssMiB(exp.pid),
    };
  } finally {
    await exp.stop();
  }
}

async function setUp(n: number): Promise<Services> {
  const database = `nms_bench_compare_${process.pid}`;
  const db = await openDb({ host: '127.0.0.1', ...DB, database }, { createDatabase: true, connectionLimit: 4 });
  const s: Services = {
    sim: new OwnAddressSimulator(n, '127.77.0.0', SIM_PORT),
    rrd: new BenchRrdcached({ port: 42314 }),
    redis: new BenchRedis(16398),
    mc: new BenchMemcached(11398),
    db,
    database,
    appKey: generateAppKey(),
    ids: [],
    targets: [],
    dir: mkdtempSync(join(tmpdir(), 'nms-bench-compare-')),
  };
  try {
    await Promise.all([s.sim.start(), s.rrd.start(), s.redis.start(), s.mc.start()]);
    await migrate(db, { appKey: s.appKey });
    // v2c (snmp_exporter's module carries one community) with 64-bit counters (what if_counters walks;
    // an nms poll of a 32-bit-only device walks the 32-bit columns instead)
    const v2c = Array.from({ length: n }, (_, i) => i).filter((i) => !isV3Only(i) && has64BitCounters(i));
    for (const i of v2c) {
      const hostname = deviceAddress(i, s.sim.base);
      const snmp = deviceCredentials(i);
      s.ids.push(await addDevice(db, s.appKey, { hostname, port: s.sim.port, poller_group: 0, snmp }));
      s.targets.push(`${hostname}:${s.sim.port}`);
    }
    return s;
  } catch (err) {
    await tearDown(s);
    throw err;
  }
}

async function tearDown(s: Services): Promise<void> {
  await Promise.all([s.sim.stop(), s.rrd.close(), s.redis.stop(), s.mc.stop()].map((p) => p.catch(() => {})));
  await s.db.query(`DROP DATABASE IF EXISTS \`${s.database}\``).catch(() => {});
  await s.db.end();
  rmSync(s.dir, { recursive: true, force: true });
}

/** Round r's order: the two sides alternate, and which side goes first alternates by round. */
function order(r: number): RowKind[] {
  return r % 2 === 0
    ? ['nms-same', 'if_counters', 'if_counters_paced', 'nms-full', 'if_mib']
    : ['if_counters_paced', 'if_counters', 'nms-same', 'if_mib', 'nms-full'];
}

/** The section's text (the caller writes it as `agent-vs-exporter`). */
export async function runCompare(n: number): Promise<string> {
  ensureExporter();
  const started = now();
  const s = await setUp(n);
  try {
    const config = generateExporterConfig(s.dir);
    const diff = ifCountersDifference(config);
    const disc = await discoverUndiscovered(s.db, {
      appKey: s.appKey,
      rrdcached: s.rrd.address,
      concurrency: WORKERS,
      rras: SMALL_RRA,
    });
    console.error(`compare: ${disc.up}/${disc.devices} discovered in ${disc.seconds.toFixed(0)} s`);
    if (disc.up < disc.devices) throw new Error(`discovery failed: ${disc.firstError}`);
    const runs: Run[] = [];
    for (let r = 0; r < ROUNDS; r++)
      for (const kind of order(r).filter((k) => !ONLY.length || ONLY.includes(k))) {
        const run =
          kind === 'nms-same' || kind === 'nms-full' ? await nmsRun(s, kind) : await exporterRun(s, config, kind);
        console.error(`compare round ${r + 1}: ${JSON.stringify(run)}`);
        runs.push(run);
      }
    return compareReport(runs, { n, devices: s.ids.length, started, diff });
  } finally {
    await tearDown(s);
  }
}

const ms = (cpuS: number, polls: number) => (polls ? (cpuS * 1000) / polls : NaN);
type Cpu = Run['cpu'];
const nmsTotal = (c: Cpu) => c.main + c.mariadb + c.rrdcached;
const agentOnly = (c: Cpu) => c.main;

const HEAD = [
  'row',
  'CPU ms / poll, rounds 1–3',
  'median CPU ms / poll',
  'MariaDB ms / poll',
  'rrdcached ms / poll',
  'with MariaDB + rrdcached ms / poll',
  'Redis + memcached ms / poll',
  'simulator ms / poll (not counted)',
  'polls a run',
  'missed + doubled / failed (all runs)',
  'peak RSS MiB',
];

/** The per-row table: medians of the three runs of each row. */
function rowsTable(runs: Run[]): string {
  const of = (k: RowKind) => runs.filter((r) => r.kind === k);
  const kinds: RowKind[] = ['nms-same', 'nms-full', 'if_counters', 'if_counters_paced', 'if_mib'];
  const rows = kinds.map((k) => {
    const med = (f: (c: Cpu) => number) => fmt(median(of(k).map((r) => ms(f(r.cpu), r.polls))), 2);
    const nms = k.startsWith('nms');
    return [
      ROW_NAMES[k],
      of(k)
        .map((r) => fmt(ms(r.cpu.main, r.polls), 2))
        .join(', '),
      med((c) => c.main),
      nms ? med((c) => c.mariadb) : '–',
      nms ? med((c) => c.rrdcached) : '–',
      nms ? med(nmsTotal) : med((c) => c.main),
      nms ? med((c) => c.redis + c.memcached) : '–',
      med((c) => c.simulator),
      fmt(median(of(k).map((r) => r.polls))),
      fmt(of(k).reduce((a, r) => a + r.bad, 0)),
      fmt(median(of(k).map((r) => r.rss))),
    ];
  });
  return table(HEAD, rows);
}

/** The ratios against snmp_exporter's if_counters, each the median of the per-round ratios. */
function ratiosTable(runs: Run[]): string {
  const of = (k: RowKind) => runs.filter((r) => r.kind === k);
  const ratio = (ours: RowKind, f: (c: Cpu) => number, against: RowKind = 'if_counters') => {
    const theirs = of(against);
    // a trial without the exporter's rows (NMS_BENCH_COMPARE_ONLY) has no ratio
    const theirsMs = (i: number) => ms(theirs[i]?.cpu.main ?? NaN, theirs[i]?.polls ?? 0);
    return median(of(ours).map((r, i) => ms(f(r.cpu), r.polls) / theirsMs(i)));
  };
  const verdict = (x: number, budget: number) =>
    `${fmt(x, 2)} (budget ≤ ${fmt(budget, 1)}: ${x <= budget ? 'met' : 'NOT met'})`;
  return table(
    ['ratio (median of the rounds)', ''],
    [
      [
        `nms-agent / snmp_exporter CPU, each device once every ${FREQ} s on both (system + ports vs if_counters)`,
        verdict(ratio('nms-same', agentOnly, 'if_counters_paced'), 0.5),
      ],
      [
        '(nms-agent + MariaDB + rrdcached) / snmp_exporter, the same schedule',
        verdict(ratio('nms-same', nmsTotal, 'if_counters_paced'), 1),
      ],
      [
        'nms-agent CPU / snmp_exporter CPU scraping back to back (its cheapest; the agent on its schedule)',
        verdict(ratio('nms-same', agentOnly), 0.5),
      ],
      [
        '(nms-agent + MariaDB + rrdcached) / snmp_exporter scraping back to back',
        verdict(ratio('nms-same', nmsTotal), 1),
      ],
      [
        'nms-agent full poll / snmp_exporter if_counters: the same schedule; back to back',
        `${fmt(ratio('nms-full', agentOnly, 'if_counters_paced'), 2)}; ${fmt(ratio('nms-full', agentOnly), 2)}`,
      ],
    ],
  );
}

const SAME_COLUMNS =
  'if_counters checked: it walks exactly the columns an nms poll of these (64-bit) devices walks and gets ' +
  'sysUpTime (nms gets the other system scalars in the same GET).';

function compareReport(runs: Run[], o: { n: number; devices: number; started: string; diff: string }): string {
  return [
    '## agent-vs-exporter: nms-agent vs snmp_exporter on the same work',
    '',
    `Run ${o.started}: ${fmt(o.devices)} devices (the v2c ones with 64-bit counters of the simulator's first`,
    `${fmt(o.n)}, 48 ports each, every device on a loopback address of its own), the same set on both sides,`,
    '24 polls in flight on both (service_poller_workers; 24 scrapes at a time). nms: a real `nms-agent run`',
    "(the unit's Node flags and environment) with a private Redis, memcached and rrdcached and MariaDB the",
    'shared test instance (its CPU includes whatever else ran on it: an upper bound); the fleet discovered',
    `in bulk before, then the agent started, its first poll round left out, and ${CYCLES} cycles of a short`,
    `polling frequency (${FREQ} s, for a steady window in little time; the agent's idle work weighs less`,
    'per poll than at 300 s) timed; rrdcached flushed (FLUSHALL, until its queue is empty) before the',
    `window and after every ${WRITE_EVERY} cycles: its column is the updates of the window and their write-back, each`,
    `file written once every ${WRITE_EVERY} polls, as the deployed rrdcached (-w ${writeTimers(true).timeout} with`,
    'its journal) does at 300 s polls. System + ports: every definition module switched off per device',
    '(devices_attribs poll_<module> = 0), so the poll walks what if_counters walks.',
    o.diff ? `if_counters DIFFERS: ${o.diff}.` : SAME_COLUMNS,
    `snmp_exporter: a process of this bench on 127.0.0.1:${EXPORTER_PORT}, one warm-up scrape of every device`,
    `then ${CYCLES} timed, back to back (the scraping client's CPU is not counted); and paced: every device`,
    `scraped once every ${FREQ} s for ${CYCLES} cycles, the scrapes spread evenly over the cycle (as Prometheus`,
    'spreads them, and as the agent polls): the same polls a second on both sides, at most 24 at a time.',
    "Budgets checked on both schedules; back to back is the exporter's cheapest way of working. " +
      `${ROUNDS} rounds, the sides in alternating order; medians. Ratios: the median of the per-round ratios.`,
    '',
    ratiosTable(runs),
    '',
    rowsTable(runs),
  ].join('\n');
}
