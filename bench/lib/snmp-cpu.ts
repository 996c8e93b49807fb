// The SNMP side of a poll alone (no MariaDB, no rrdcached): sessions, the multi-column walk,
// the ports collector and the RRD points it makes, against the simulator, 24 devices at a time.
// For before/after comparisons of agent/snmp and agent/collectors without the database's noise:
//   node scripts/build.mjs && node --import tsx bench/lib/snmp-cpu.ts [devices] [cycles]
// (NMS_BENCH_CPU_PROF=DIR writes a V8 profile of the timed cycles.)
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { SnmpSession } from '../../agent/snmp/session.js';
import { runCollector } from '../../agent/collectors/runner.js';
import { portsCollector, portStatsCollector } from '../../agent/collectors/ports.js';
import { systemCollector } from '../../agent/collectors/system.js';
import { portPoints } from '../../agent/poll/points.js';
import { deviceCredentials } from '../../simulator/model.js';
import { SimulatorProcess } from './fleet.js';
import type { SnmpTarget } from '../../agent/snmp/types.js';

const DEVICES = Number(process.argv[2] ?? 300);
const CYCLES = Number(process.argv[3] ?? 3);
const FIRST_PORT = Number(process.env.NMS_BENCH_FIRST_PORT ?? 17600);
const devices = Array.from({ length: DEVICES }, (_, i) => i).filter((i) => i % 10 !== 9);
const bits = new Map<number, 32 | 64>();
const ids = new Map(Array.from({ length: 48 }, (_, i) => [i + 1, 1000 + i]));

function target(i: number): SnmpTarget {
  const c = deviceCredentials(i) as { community?: string };
  return {
    host: '127.0.0.1',
    port: FIRST_PORT + i,
    version: 'v2c',
    community: c.community ?? 'public',
    timeoutMs: 3000,
    retries: 2,
  };
}

async function pollOne(i: number): Promise<{ varbinds: number; requests: number }> {
  const s = new SnmpSession(target(i));
  try {
    let varbinds = (await runCollector(s, systemCollector)).varbinds;
    const b = bits.get(i);
    const run = await runCollector(s, b ? portStatsCollector(b) : portsCollector);
    if (!b) bits.set(i, run.record[0]?.counterBits ?? 32);
    varbinds += run.varbinds;
    portPoints(`127.0.0.1_${FIRST_PORT + i}`, run.record, ids, () => Date.now());
    return { varbinds, requests: s.requests };
  } finally {
    s.close();
  }
}

async function cycle(): Promise<{ cpu: number; wall: number; varbinds: number; requests: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  let varbinds = 0;
  let requests = 0;
  await Promise.all(
    Array.from({ length: Number(process.env.CONC ?? 24) }, async () => {
      while (next < devices.length) {
        const r = await pollOne(devices[next++]);
        varbinds += r.varbinds;
        requests += r.requests;
      }
    }),
  );
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1e6, wall: (performance.now() - t0) / 1000, varbinds, requests };
}

const sim = new SimulatorProcess(DEVICES, FIRST_PORT);
await sim.start();
try {
  await cycle(); // discovery-like first walk
  await cycle(); // warm-up
  const prof = process.env.NMS_BENCH_CPU_PROF;
  const insp = prof ? new Session() : undefined;
  if (insp) {
    insp.connect();
    await insp.post('Profiler.enable');
    await insp.post('Profiler.setSamplingInterval', { interval: 500 });
    await insp.post('Profiler.start');
  }
  const rs = [];
  for (let c = 0; c < CYCLES; c++) rs.push(await cycle());
  if (insp)
    writeFileSync(join(prof!, 'snmp-cpu.cpuprofile'), JSON.stringify((await insp.post('Profiler.stop')).profile));
  const n = devices.length * CYCLES;
  const cpu = rs.reduce((a, r) => a + r.cpu, 0);
  // on a busy machine the quietest cycle is the better estimate: report it beside the mean
  const per = rs.map((r) => (r.cpu * 1000) / devices.length).sort((a, b) => a - b);
  console.log(
    `${n} polls: ${((cpu * 1000) / n).toFixed(3)} ms CPU / poll, best cycle ${per[0].toFixed(3)}, ` +
      `median ${per[Math.floor(per.length / 2)].toFixed(3)}; ` +
      `${(rs[0].varbinds / devices.length).toFixed(0)} varbinds, ` +
      `${(rs[0].requests / devices.length).toFixed(1)} requests / poll`,
  );
} finally {
  await sim.close();
}
