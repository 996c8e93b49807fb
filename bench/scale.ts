// scale bench: 100, 1,000 (and 10,000) simulated devices through one nms poller end to end
// (SNMP from the simulator, UPDATEs into rrdcached, state into MariaDB), each size with a fresh
// simulator, rrdcached and poller process. Discovery and one warm-up cycle first, then timed
// cycles: every device polled once, service_poller_workers (24) at a time. Reported: cycle wall
// time, poller CPU per device, peak RSS of the poller process (VmHWM over its whole life,
// discovery included, and reset through clear_refs before the timed cycles). The dispatcher and
// BullMQ queue are not in this loop (bench/poll.ts's worker).
// The poller process starts Node as templates/nms/nms-agent.service.hbs does (flags, environment:
// bench/lib/fleet.ts); its resident memory is sampled every 200 ms and printed per phase.
// NMS_BENCH_SCALE_SIZES (default "100 1000 10000"), NMS_BENCH_SCALE_CYCLES (default 1),
// NMS_BENCH_SCALE_FIRST_PORT (17000), NMS_BENCH_SCALE_RRD_PORT (42303): other ports when another
// bench holds these; NMS_BENCH_AGENT_START=plain for a bare `node` (what the flags buy).
import { BenchRrdcached } from './lib/rrdcached-daemon.js';
import { PollWorker, SimulatorProcess } from './lib/fleet.js';
import { CpuMeter, MemSampler, peakRssMiB, resetPeakRss, type MemStatus } from './lib/proc.js';
import { fmt, now, table, writeSection } from './lib/report.js';
import type { CycleResult } from './lib/poll-worker.js';

const SIZES = (process.env.NMS_BENCH_SCALE_SIZES ?? '100 1000 10000')
  .split(/[\s,]+/)
  .filter(Boolean)
  .map(Number);
const CYCLES = Number(process.env.NMS_BENCH_SCALE_CYCLES ?? 1);
const FIRST_PORT = Number(process.env.NMS_BENCH_SCALE_FIRST_PORT ?? 17000);
const RRD_PORT = Number(process.env.NMS_BENCH_SCALE_RRD_PORT ?? 42303);
const WORKERS = 24;
const DB_URL = process.env.NMS_TEST_DB ?? 'mysql://nmstest:nmstest@127.0.0.1:13306';

interface SizeResult {
  devices: number;
  discoveryWall: number;
  discoveryCpu: number;
  wall: number;
  cpu: number;
  polls: number;
  failed: number;
  varbinds: number;
  simCpu: number;
  rrdCpu: number;
  rss: number;
  /** VmHWM during the timed cycles only (reset before them), or -1 when it could not be reset. */
  cycleRss: number;
  heapUsed: number;
  /** Resident memory peaks (total, anonymous, file-backed) per phase, sampled every 200 ms. */
  mem: Record<string, MemStatus>;
  firstError?: string;
}

async function runSize(n: number): Promise<SizeResult> {
  const sim = new SimulatorProcess(n, FIRST_PORT);
  const rrd = new BenchRrdcached({ port: RRD_PORT });
  const worker = new PollWorker();
  try {
    await sim.start();
    await rrd.start();
    await worker.start();
    const sampler = new MemSampler(worker.pid).start();
    sampler.phase('discovery');
    const devices = Array.from({ length: n }, (_, i) => i);
    const disc = await worker.setup({
      dbUrl: DB_URL,
      database: `nms_bench_scale_${process.pid}_${n}`,
      rrdcached: rrd.address,
      devices,
      firstPort: FIRST_PORT,
      maxConcurrent: WORKERS,
      portsOnly: false,
      step: 300,
      smallRras: true,
    });
    console.error(`scale ${n}: discovered ${disc.up}/${n} in ${disc.wall.toFixed(1)} s`);
    sampler.phase('warm-up');
    const warm = await worker.cycle();
    console.error(`scale ${n}: warm-up cycle ${warm.wall.toFixed(1)} s, ${warm.down} down`);
    const lifetimeRss = peakRssMiB(worker.pid);
    const reset = resetPeakRss(worker.pid);
    const meter = new CpuMeter([worker.pid, sim.pid, rrd.pid]).start();
    sampler.phase('cycle');
    const cycles: CycleResult[] = [];
    for (let c = 0; c < CYCLES; c++) cycles.push(await worker.cycle());
    const cpu = meter.stop();
    const mem = Object.fromEntries(sampler.stop());
    const peaks = Object.entries(mem)
      .map(([k, m]) => `${k} ${fmt(m.rss)}/${fmt(m.anon)}/${fmt(m.file)}`)
      .join(', ');
    const last = cycles.at(-1)!;
    console.error(
      `scale ${n}: resident MiB peaks (total/anon/file): ${peaks}; ` +
        `end of cycle: heap used ${fmt(last.heapUsed)}, external ${fmt(last.external)}, rss ${fmt(last.rssEnd)}`,
    );
    const sum = (f: (c: CycleResult) => number) => cycles.reduce((a, c) => a + f(c), 0);
    return {
      devices: n,
      discoveryWall: disc.wall,
      discoveryCpu: disc.cpu,
      wall: sum((c) => c.wall) / CYCLES,
      cpu: cpu.get(worker.pid)!,
      polls: sum((c) => c.up + c.down),
      failed: sum((c) => c.down),
      varbinds: sum((c) => c.varbinds),
      simCpu: cpu.get(sim.pid)!,
      rrdCpu: cpu.get(rrd.pid)!,
      rss: Math.max(lifetimeRss, peakRssMiB(worker.pid)),
      cycleRss: reset ? peakRssMiB(worker.pid) : -1,
      heapUsed: cycles.at(-1)!.heapUsed,
      mem,
      firstError: cycles.find((c) => c.firstError)?.firstError ?? warm.firstError,
    };
  } finally {
    await worker.close();
    await rrd.close();
    await sim.close();
  }
}

async function main(): Promise<void> {
  const rows: SizeResult[] = [];
  for (const n of SIZES) {
    rows.push(await runSize(n));
    console.error(JSON.stringify(rows.at(-1)));
  }
  const perDev = (r: SizeResult) => (r.cpu * 1000) / r.polls;
  const base = rows.find((r) => r.devices === 1000);
  const big = rows.find((r) => r.devices === 10000);
  const verdict: string[][] = [
    ['budget', '10,000 devices in a 300 s cycle, ≤ 256 MiB RSS, CPU per device at 10,000 within 20 % of 1,000'],
  ];
  if (big) {
    verdict.push(['10,000: cycle wall', `${fmt(big.wall, 1)} s (${big.wall <= 300 ? 'inside' : 'OVER'} 300 s)`]);
    verdict.push([
      '10,000: peak RSS',
      `${fmt(big.rss)} MiB over the process's life, ${big.cycleRss < 0 ? 'n/a' : fmt(big.cycleRss)} MiB ` +
        `during the timed cycle (${Math.max(big.rss, big.cycleRss) <= 256 ? 'within' : 'OVER'} 256 MiB)`,
    ]);
    if (base)
      verdict.push([
        'CPU per device 10,000 / 1,000',
        `${fmt(perDev(big) / perDev(base), 2)} ` +
          `(${Math.abs(perDev(big) / perDev(base) - 1) <= 0.2 ? 'flat within 20 %' : 'NOT within 20 %'})`,
      ]);
  } else verdict.push(['10,000', 'not run this time']);
  const text = `## scale: one poller, 100 to 10,000 devices end to end

Run ${now()}: the simulator's mix (48 ports each; 90 % v2c, 10 % SNMPv3 authPriv SHA/AES;
1 in 7 with 32-bit counters only), each size with a fresh simulator, private rrdcached and
poller process (MariaDB: the shared test instance, one database per size). Discovery and one
warm-up cycle, then ${CYCLES} timed cycle(s) of every device polled once, ${WORKERS} at a time (as
service_poller_workers), as fast as it goes: the cycle wall time is what a 300 s cycle has to hold.
RRD files with one small RRA (see poll). CPU from /proc/PID/stat.

${table(['', ''], verdict)}

${table(
  [
    'devices',
    'discovery wall s',
    'cycle wall s',
    'polls',
    'failed',
    'poller CPU s',
    'CPU ms / device',
    'varbinds / device',
    'peak RSS MiB (life)',
    'peak RSS MiB (timed cycle)',
    'JS heap used MiB',
    'simulator CPU ms / device',
    'rrdcached CPU ms / device',
  ],
  rows.map((r) => [
    fmt(r.devices),
    fmt(r.discoveryWall, 1),
    fmt(r.wall, 1),
    fmt(r.polls),
    fmt(r.failed),
    fmt(r.cpu, 2),
    fmt(perDev(r), 2),
    fmt(r.varbinds / r.polls),
    fmt(r.rss),
    r.cycleRss < 0 ? 'n/a' : fmt(r.cycleRss),
    fmt(r.heapUsed),
    fmt((r.simCpu * 1000) / r.polls, 2),
    fmt((r.rrdCpu * 1000) / r.polls, 2),
  ]),
)}
${
  rows.some((r) => r.firstError)
    ? `\nFirst failure seen: ${rows
        .filter((r) => r.firstError)
        .map((r) => `${fmt(r.devices)} devices: ${r.firstError}`)
        .join('; ')}\n`
    : ''
}`;
  console.log(text);
  writeSection('scale', text);
}

await main();
