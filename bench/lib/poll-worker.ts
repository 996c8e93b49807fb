// The nms side of the poll and scale benches, in its own process so that its CPU and peak RSS
// are its own: a Poller writing to MariaDB and rrdcached, as the agent builds it. The parent
// (bench/poll.ts, bench/scale.ts) drives it over IPC:
//   parent → {setup}   add the devices, discover them (not timed)    → {ready, discovery}
//   parent → {cycle}   poll every device once, 24 at a time (all at once, or `rate` a second) → {cycle result}
//   parent → {close}   drop the database, exit
// Varbinds are counted by wrapping SnmpSession's three request methods (a counter add per
// response: noise next to what is measured).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { generateAppKey } from '../../lib/crypto.js';
import { setLogLevel } from '../../lib/log.js';
import { RrdcachedClient } from '../../lib/rrdcached.js';
import { addDevice, migrate, openDb, type Db } from '../../agent/db/index.js';
import { Poller, type RunResult } from '../../agent/poll/poller.js';
import { definitions, useDefinitions } from '../../agent/definitions/loader.js';
import { RrdWriter } from '../../agent/rrd/writer.js';
import { RRAS } from '../../agent/rrd/layout.js';
import { SnmpSession } from '../../agent/snmp/session.js';
import { deviceCredentials } from '../../simulator/model.js';

export interface WorkerSetup {
  type: 'setup';
  dbUrl: string;
  database: string;
  rrdcached: string;
  /** Simulated device numbers to poll and the simulator's first port. */
  devices: number[];
  firstPort: number;
  maxConcurrent: number;
  /**
   * Poll only what snmp_exporter's if_mib walks (system + ports): the definition modules' rows
   * (processors, mempools, storage, sensors) forgotten after discovery.
   */
  portsOnly: boolean;
  /**
   * 'generic': only the generic fallback definition loaded (nms as it was before the OS
   * definitions: the generic MIBs on every device), set before anything reads them. Default: every definition.
   */
  definitions?: 'all' | 'generic';
  step: number;
  /**
   * One small RRA instead of LibreNMS's 13 (2.5 MB per port file): 1,000 devices would need
   * 120 GB of disk. Updates cost the client the same either way; the files are created during
   * discovery and the warm-up cycle, before anything is timed.
   */
  smallRras: boolean;
}

export interface CycleResult {
  type: 'cycle';
  wall: number;
  cpu: number;
  up: number;
  down: number;
  requests: number;
  varbinds: number;
  rrdSent: number;
  rrdErrors: number;
  /** process.memoryUsage() at the end of the cycle, MiB. */
  rssEnd: number;
  heapUsed: number;
  external: number;
  firstError?: string;
}

let varbinds = 0;
const proto = SnmpSession.prototype as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
for (const m of ['get', 'getNext']) {
  const orig = proto[m];
  proto[m] = async function (this: unknown, ...a: unknown[]) {
    const r = (await orig.apply(this, a)) as unknown[];
    varbinds += r.length;
    return r;
  };
}
{
  // the walk asks through getBulkRaw (getBulk is a converting wrapper around it)
  const orig = proto.getBulkRaw;
  proto.getBulkRaw = async function (this: unknown, ...a: unknown[]) {
    const r = (await orig.apply(this, a)) as { columns: unknown[][] };
    for (const c of r.columns) varbinds += c.length;
    return r;
  };
}

let db: Db | undefined;
let client: RrdcachedClient | undefined;
let poller: Poller | undefined;
let ids: number[] = [];
let setup: WorkerSetup;

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/**
 * Every device once, at most maxConcurrent at a time (the Poller's own bound): all started at
 * once, or with `rate` one poll started every 1/rate s, as a dispatcher spreads a cycle.
 */
async function runAll(kind: 'poll' | 'discovery', rate = 0): Promise<CycleResult> {
  const v0 = varbinds;
  const c0 = cpuNow();
  const t0 = performance.now();
  const run = (id: number) =>
    kind === 'poll'
      ? poller!.pollDevice(id, { deadlineMs: 120_000 })
      : poller!.discoverDevice(id, { deadlineMs: 120_000 });
  const started: Promise<RunResult>[] = [];
  for (let i = 0; i < ids.length; i++) {
    const wait = rate > 0 ? t0 + (i * 1000) / rate - performance.now() : 0;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    started.push(run(ids[i]));
  }
  const results = await Promise.all(started);
  const mem = process.memoryUsage();
  const mib = (b: number) => b / 2 ** 20;
  const out: CycleResult = {
    type: 'cycle',
    wall: (performance.now() - t0) / 1000,
    cpu: cpuNow() - c0,
    up: 0,
    down: 0,
    requests: 0,
    varbinds: varbinds - v0,
    rrdSent: 0,
    rrdErrors: 0,
    rssEnd: mib(mem.rss),
    heapUsed: mib(mem.heapUsed),
    external: mib(mem.external + mem.arrayBuffers),
  };
  for (const r of results) {
    if (r.status === 'up') out.up++;
    else {
      out.down++;
      out.firstError ??= `${r.hostname}: ${r.error}`;
    }
    out.requests += r.snmpRequests;
    out.rrdSent += r.rrd?.sent ?? 0;
    out.rrdErrors += r.rrd?.errors ?? 0;
  }
  return out;
}

async function onSetup(s: WorkerSetup): Promise<void> {
  setup = s;
  if (s.definitions === 'generic') {
    useDefinitions(definitions().list.filter((d) => d.os === 'generic'));
  }
  if (s.smallRras) RRAS.splice(0, RRAS.length, 'RRA:AVERAGE:0.5:1:12');
  const url = new URL(s.dbUrl);
  const appKey = generateAppKey();
  db = await openDb(
    { host: url.hostname, port: Number(url.port), user: url.username, password: url.password, database: s.database },
    { createDatabase: true, connectionLimit: 10 },
  );
  await migrate(db, { appKey });
  client = new RrdcachedClient({ address: s.rrdcached });
  poller = new Poller({
    db,
    appKey,
    rrd: new RrdWriter({ client, step: s.step }),
    maxConcurrent: s.maxConcurrent,
    snmpTimeoutMs: 3000,
    snmpRetries: 2,
  });
  ids = [];
  for (const i of s.devices)
    ids.push(
      await addDevice(db, appKey, {
        hostname: '127.0.0.1',
        port: s.firstPort + i,
        poller_group: i % 2,
        snmp: deviceCredentials(i),
      }),
    );
  const discovery = await runAll('discovery');
  if (s.portsOnly) for (const t of ['processors', 'mempools', 'storage', 'sensors']) await db.query(`DELETE FROM ${t}`);
  process.send!({ type: 'ready', discovery });
}

// NMS_BENCH_CPU_PROF=DIR: a V8 CPU profile of each poll cycle after the first (the warm-up)
// NMS_BENCH_HEAP_PROF=DIR: a sampling profile of what each such cycle allocates, the garbage too
// (cycle-N.heapprofile, for Chrome's DevTools or a script)
const profDir = process.env.NMS_BENCH_CPU_PROF;
const heapDir = process.env.NMS_BENCH_HEAP_PROF;
let cycleNo = 0;
async function profiled<T>(fn: () => Promise<T>): Promise<T> {
  if ((!profDir && !heapDir) || cycleNo++ === 0) return fn();
  const s = new Session();
  s.connect();
  if (profDir) {
    await s.post('Profiler.enable');
    await s.post('Profiler.setSamplingInterval', { interval: 500 });
    await s.post('Profiler.start');
  }
  if (heapDir)
    await s.post('HeapProfiler.startSampling', {
      samplingInterval: 16384,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  try {
    return await fn();
  } finally {
    if (profDir) {
      const { profile } = await s.post('Profiler.stop');
      writeFileSync(join(profDir, `cycle-${cycleNo}.cpuprofile`), JSON.stringify(profile));
    }
    if (heapDir) {
      const { profile } = await s.post('HeapProfiler.stopSampling');
      writeFileSync(join(heapDir, `cycle-${cycleNo}.heapprofile`), JSON.stringify(profile));
    }
    s.disconnect();
  }
}

process.on('message', (m: { type: string; rate?: number } & Partial<WorkerSetup>) => {
  const run = async () => {
    if (m.type === 'setup') await onSetup(m as WorkerSetup);
    else if (m.type === 'cycle') process.send!(await profiled(() => runAll('poll', Number(m.rate) || 0)));
    else if (m.type === 'close') {
      await db?.query(`DROP DATABASE IF EXISTS \`${setup.database}\``);
      await db?.end();
      await client?.close();
      process.exit(0);
    }
  };
  run().catch((err) => {
    process.send!({ type: 'error', message: (err as Error).stack ?? String(err) });
  });
});
setLogLevel('ERROR');
process.send!({ type: 'started' });
