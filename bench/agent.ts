// agent bench: the real daemon end to end. `nms-agent run` processes (dist/nms-agent.mjs with the
// unit's Node flags and environment), their elected dispatcher, BullMQ on a private Redis, a
// private memcached and rrdcached, MariaDB (the shared test instance, a database of its own) and
// the simulator's device mix on 127.0.0.1. The Poller discovers the devices in bulk first; once the
// agents have polled every device once (and one untimed cycle more when that first round took
// longer than a cycle), the bench watches `devices.last_polled` over NMS_BENCH_AGENT_CYCLES
// (3) cycles of NMS_BENCH_AGENT_FREQUENCY (300) seconds and reports polls on time / late /
// missed / doubled, the cycle spread, CPU per device of each process and peak RSS of each agent
// (in the first round and in the timed cycles).
// Beside it, the Poller alone (bench/lib/poll-worker.ts: no queue, no lock, no dispatcher) polls
// 1,000 devices of the same mix before the agent runs and after: three cycles started all at once
// and three paced at the agents' polls a second, alternating; the agent's overhead per job is the
// difference from the median of the paced ones (the same work at the same pace).
// NMS_BENCH_AGENT_RUNS: "devices:agents" or "devices:agents:workers" (default "1000:1 10000:1 30000:3", 24 workers;
// "" for none).
// Each run's fleet is discovered in bulk by the Poller (bench/lib/bulk-discover.ts) before the
// agents start (a larger run re-uses the previous run's database: bench/lib/agent-db.ts); the
// agents then only poll, and the timed cycles begin once every device has been polled once.
// NMS_BENCH_AGENT_COMPARE=N: the agent-vs-exporter section (bench/agent-compare.ts) on the
// simulator's first N devices, before the runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  agentErrors,
  BenchAgent,
  BenchMemcached,
  BenchRedis,
  DEVICES_PER_SIMULATOR,
  firstRoundPeaks,
  SimulatorSet,
  type AgentSpec,
} from './lib/agent-fleet.js';
import { PollWorker, SimulatorProcess } from './lib/fleet.js';
import { AgentFleetDb } from './lib/agent-db.js';
import { runCompare } from './agent-compare.js';
import { msList, report, type PollerRuns, type RunResult } from './lib/agent-report.js';
import { countPolls, pollTimes, PollWatch, waitAllPolled } from './lib/poll-watch.js';
import { CpuMeter, cpuSeconds, peakRssMiB, sleep } from './lib/proc.js';
import { BenchRrdcached } from './lib/rrdcached-daemon.js';
import { missedDetail } from './lib/missed.js';
import { innodbCounters, innodbSizes, innodbWindow, setBufferPool, sizeBufferPool } from './lib/innodb.js';
import { fmt, now, writeSection } from './lib/report.js';
import { readFileSync } from 'node:fs';

const RUNS = (process.env.NMS_BENCH_AGENT_RUNS ?? '1000:1 10000:1 30000:3')
  .split(/\s+/)
  .filter(Boolean)
  .map((r) => r.split(':').map(Number) as [number, number, number?]);
const FREQ = Number(process.env.NMS_BENCH_AGENT_FREQUENCY ?? 300);
const CYCLES = Number(process.env.NMS_BENCH_AGENT_CYCLES ?? 3);
// the Poller-alone runs use the port layout (bench/lib/poll-worker.ts): 1,000 ports from here, below
// the ephemeral range (32768 up) where client sockets would take them
const FIRST_PORT = Number(process.env.NMS_BENCH_AGENT_FIRST_PORT ?? 23000);
// service_poller_workers of the agents, unless a run says (devices:agents:workers)
const WORKERS = 24;
// NMS_BENCH_AGENT_PORT_OFFSET: added to every port of the runs (Redis 16399, memcached 11399,
// rrdcached 42313, the simulator's 1161), for a second bench beside one already running
const OFF = Number(process.env.NMS_BENCH_AGENT_PORT_OFFSET ?? 0);
const DB = { port: 13306, user: 'nmstest', password: 'nmstest' };
// NMS_BENCH_AGENT_SIM_SPLIT: devices per simulator process (default DEVICES_PER_SIMULATOR), to try the split small
const SIM_SPLIT = Number(process.env.NMS_BENCH_AGENT_SIM_SPLIT ?? DEVICES_PER_SIMULATOR);
const SMALL_RRA = 'RRA:AVERAGE:0.5:1:12';
const MARIADB_PID_FILE = '/tmp/nms-test-services/mariadb-run/mariadb.pid';

/** One agent's files and services: all the agents of a run share the database, Redis and the rest. */
function agentSpecs(
  count: number,
  workers: number,
  dir: string,
  database: string,
  tag: string,
  appKey: string,
  svc: { redis: BenchRedis; mc: BenchMemcached; rrd: BenchRrdcached },
): AgentSpec[] {
  return Array.from({ length: count }, (_, a) => ({
    name: `bench${a + 1}`,
    dir: join(dir, `agent${a + 1}`),
    db: { ...DB, database },
    redisPort: svc.redis.port,
    memcachedPort: svc.mc.port,
    rrdcached: svc.rrd.address,
    appKey,
    frequency: FREQ,
    workers,
    keyPrefix: `benchagent${tag}`,
    rras: SMALL_RRA,
  }));
}

/** The fleet of the previous run, grown for the next one when it is larger (bench/lib/agent-db.ts). */
let fleet: AgentFleetDb | undefined;

async function fleetFor(n: number): Promise<AgentFleetDb> {
  if (fleet && fleet.devices > n) {
    await fleet.close();
    fleet = undefined;
  }
  fleet ??= await AgentFleetDb.open(`nms_bench_agent_${process.pid}_${n}`, {
    db: DB,
    rrdcachedPort: 42313 + OFF,
    concurrency: WORKERS,
    rras: SMALL_RRA,
  });
  // NMS_BENCH_AGENT_BUFFER_POOL: the test instance's InnoDB buffer pool for the runs (bench/lib/innodb.ts)
  if (poolWas === undefined) poolWas = (await sizeBufferPool(fleet.db)) ?? 0;
  return fleet;
}

/** The buffer pool size to put back after the runs (0: not changed). */
let poolWas: number | undefined;

async function runOne(n: number, agentsN: number, workers: number): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'nms-bench-agent-'));
  const tag = `${process.pid}_${n}`;
  const sim = new SimulatorSet(n, '127.77.0.0', 1161 + OFF, SIM_SPLIT);
  const redis = new BenchRedis(16399 + OFF);
  const mc = new BenchMemcached(11399 + OFF);
  const agents: BenchAgent[] = [];
  try {
    await Promise.all([sim.start(), redis.start(), mc.start()]);
    const f = await fleetFor(n);
    const { db, rrd, appKey } = f;
    const { ids, discovery: disc } = await f.grow(n, sim.base, sim.port);
    console.error(
      `agent ${n}/${agentsN}: ${disc.up}/${disc.devices} new devices discovered in ${disc.seconds.toFixed(0)} s`,
    );
    const since = Math.floor(Date.now() / 1000);
    for (const spec of agentSpecs(agentsN, workers, dir, f.database, tag, appKey, { redis, mc, rrd })) {
      const agent = new BenchAgent(spec);
      await agent.start();
      agents.push(agent);
    }
    const watch = new PollWatch(db).start();
    const warmupS = await waitAllPolled(db, n, since, FREQ * 3 + 600, 5000);
    console.error(`agent ${n}/${agentsN}: every device polled once ${warmupS.toFixed(0)} s after the start`);
    const rssFirst = firstRoundPeaks(agents);
    const settle = warmupS > FREQ ? await settleCycle(watch, ids, `${n}/${agentsN}`) : undefined;
    const mariadbPid = Number(readFileSync(MARIADB_PID_FILE, 'utf8').trim());
    const pids = [...agents.map((a) => a.pid), mariadbPid, rrd.pid, redis.pid, mc.pid, ...sim.pids];
    const rrdWindow = await rrd.window();
    const innodb0 = await innodbCounters(db);
    const meter = new CpuMeter(pids).start();
    const redisCalls0 = redis.commandCalls();
    const t0 = Math.floor(Date.now() / 1000);
    // the agents' CPU at each cycle's end too, so that the report shows whether the cycles agree
    const agentMarks = [agentsCpu(agents)];
    for (let k = 1; k <= CYCLES; k++) {
      await sleep(Math.max(0, (t0 + k * FREQ) * 1000 - Date.now()));
      agentMarks.push(agentsCpu(agents));
    }
    const t1 = Math.floor(Date.now() / 1000);
    const cpu = meter.stop();
    const innodb1 = await innodbCounters(db);
    const redisCalls = redis.commandCalls() - redisCalls0;
    cpu.set(rrd.pid, await rrdWindow());
    await watch.stop();
    const c = (pid: number) => cpu.get(pid) ?? 0;
    const counts = countPolls(watch.polls, ids, t0, t1, FREQ);
    return {
      devices: n,
      agents: agentsN,
      workers,
      discoveryS: disc.seconds,
      warmupS,
      settle,
      counts,
      missed: await missedDetail(db, counts.missedDevices, t0, t1, { watch, agents }),
      times: pollTimes(watch, ids, t0, t1, FREQ),
      cpu: {
        agents: agents.map((a) => c(a.pid)),
        mariadb: c(mariadbPid),
        rrdcached: c(rrd.pid),
        redis: c(redis.pid),
        memcached: c(mc.pid),
        simulator: sim.pids.reduce((a, p) => a + c(p), 0),
      },
      rss: agents.map((a) => peakRssMiB(a.pid)),
      rssFirst,
      agentCycles: agentMarks.slice(1).map((m, k) => m - agentMarks[k]),
      elected: agents.filter((a) => a.events.some((e) => e.event === 'dispatcher_elected')).length,
      redisCalls,
      machine: { ...meter.machine!, seconds: t1 - t0 },
      innodb: innodbWindow(innodb0, innodb1, await innodbSizes(db, f.database), counts.polls, t1 - t0),
      errors: agentErrors(agents).slice(0, 5),
    };
  } finally {
    for (const a of agents) await a.stop().catch(() => {});
    await Promise.all([sim.stop(), redis.stop(), mc.stop()].map((p) => p.catch(() => {})));
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A first round longer than a cycle leaves a backlog: the devices it polled first are due again
 * before it ends. One more cycle, untimed (its polls counted on their own), lets the cycles settle
 * before the timed ones ("as many cycles as it takes to be steady").
 */
async function settleCycle(watch: PollWatch, ids: number[], run: string): Promise<RunResult['settle']> {
  console.error(`agent ${run}: the first round took longer than a cycle: one untimed cycle first`);
  const s0 = Math.floor(Date.now() / 1000);
  await sleep(FREQ * 1000);
  const s1 = Math.floor(Date.now() / 1000);
  await watch.sample(true);
  return { seconds: s1 - s0, counts: countPolls(watch.polls, ids, s0, s1, FREQ) };
}

/**
 * The Poller alone on 1,000 devices, CPU ms a device: cycles of every device started at once
 * (`burst`) and cycles paced at `rate` polls a second (`paced`: the agents' rate, a poll started
 * every 1/rate s as the dispatcher spreads a cycle), three of each, alternating.
 */
async function pollerOnly(rate: number): Promise<PollerRuns> {
  const n = 1000;
  const sim = new SimulatorProcess(n, FIRST_PORT);
  const rrd = new BenchRrdcached({ port: 42313 + OFF });
  const worker = new PollWorker();
  try {
    await sim.start();
    await rrd.start();
    await worker.start();
    await worker.setup({
      dbUrl: `mysql://${DB.user}:${DB.password}@127.0.0.1:${DB.port}`,
      database: `nms_bench_agent_poller_${process.pid}`,
      rrdcached: rrd.address,
      devices: Array.from({ length: n }, (_, i) => i),
      firstPort: FIRST_PORT,
      maxConcurrent: WORKERS,
      portsOnly: false,
      step: 300,
      smallRras: true,
    });
    await worker.cycle();
    const out: PollerRuns = { burst: [], paced: [] };
    for (let i = 0; i < 3; i++) {
      out.burst.push(((await worker.cycle()).cpu * 1000) / n);
      out.paced.push(((await worker.cycle(rate)).cpu * 1000) / n);
    }
    return out;
  } finally {
    await worker.close().catch(() => {});
    await sim.close().catch(() => {});
    await rrd.close().catch(() => {});
  }
}

/** CPU seconds the agents have used so far, summed. */
const agentsCpu = (agents: BenchAgent[]) => agents.reduce((a, x) => a + cpuSeconds(x.pid), 0);

async function main(): Promise<void> {
  const compareN = Number(process.env.NMS_BENCH_AGENT_COMPARE ?? 0);
  if (compareN > 0) {
    const text = await runCompare(compareN);
    console.log(text);
    writeSection('agent-vs-exporter', text);
  }
  if (RUNS.length === 0) return;
  const started = now();
  const loadBefore = loadavg();
  // the Poller alone paced at the agents' rate: each agent's share of the first run's devices a frequency
  const rate = RUNS[0][0] / RUNS[0][1] / FREQ;
  // NMS_BENCH_AGENT_NO_POLLER=1: leave the Poller-alone runs out (a trial or profiling run)
  const none = { burst: [NaN], paced: [NaN] };
  const poller = process.env.NMS_BENCH_AGENT_NO_POLLER ? none : await pollerOnly(rate);
  const show = (p: PollerRuns) => `${msList(p.burst)} at once; ${msList(p.paced)} at ${rate.toFixed(1)} a second`;
  console.error(`agent: Poller alone ${show(poller)} (ms / device)`);
  // NMS_BENCH_AGENT_POLLER_ONLY=1: the Poller-alone cycles only (trying the reference)
  if (process.env.NMS_BENCH_AGENT_POLLER_ONLY) return;
  const results: RunResult[] = [];
  // the section is written after every run, so that a later run failing keeps the earlier ones
  let after: PollerRuns | undefined;
  const write = (stopped?: string) => {
    const plan = { cycles: CYCLES, freq: FREQ, rate };
    const body = report(results, { before: poller, after }, started, loadBefore, plan, stopped);
    console.log(body);
    writeSection('agent', body);
  };
  try {
    for (const [n, a, w] of RUNS) {
      try {
        const r = await runOne(n, a, w || WORKERS);
        console.error(
          `agent ${n}/${a}: ${JSON.stringify({ counts: r.counts, cpu: r.cpu, rss: r.rss, rssFirst: r.rssFirst })}`,
        );
        results.push(r);
      } catch (err) {
        if (results.length) write(`${fmt(n)} devices on ${a} agent(s): ${(err as Error).message.split('\n')[0]}`);
        throw err;
      }
      write();
    }
  } finally {
    if (poolWas && fleet) await setBufferPool(fleet.db, poolWas);
    await fleet?.close();
  }
  // the Poller alone again after the agents, so that a machine slower or faster meanwhile shows
  if (!process.env.NMS_BENCH_AGENT_NO_POLLER) {
    after = await pollerOnly(rate);
    console.error(`agent: Poller alone after the runs ${show(after)} (ms / device)`);
    write();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
