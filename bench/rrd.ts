// rrd bench: data-source values per second into rrdcached over TCP, from the agent's own path
// (RrdWriter → RrdcachedClient BATCH) against rrdtool talking to the same daemon: its pipe mode
// (`rrdtool -` fed `update --daemon` lines, as LibreNMS runs it) and one `rrdtool update
// --daemon` process per file. Each side gets its own fresh set of port files (15 DERIVE sources).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setLogLevel } from '../lib/log.js';
import { RrdcachedClient } from '../lib/rrdcached.js';
import { createSpec, rrdFiles, type RrdFileDef } from '../agent/rrd/layout.js';
import { RrdWriter, type RrdPoint } from '../agent/rrd/writer.js';
import { BenchRrdcached, writeTimers } from './lib/rrdcached-daemon.js';
import { CpuMeter, reapedChildrenCpuSeconds, selfCpuSeconds } from './lib/proc.js';
import { fmt, now, table, writeSection } from './lib/report.js';

// A LibreNMS port file is 2.5 MB (21,024 rows × 15 sources): 1,000 of them are created once
// and shared; each writer gets its own later time range so updates stay in order per file.
const FILES = Number(process.env.NMS_BENCH_RRD_FILES ?? 1000);
const ROUNDS = Number(process.env.NMS_BENCH_RRD_ROUNDS ?? 100);
const SPAWN_FILES = Number(process.env.NMS_BENCH_RRD_SPAWN_FILES ?? 300);
// rrdtool's client fails with ENOBUFS when one UPDATE line passes its 4 KiB buffer
const SPAWN_TIMES = Math.min(ROUNDS, 10);
const STEP = 300;
const DS = 15;
const START = Math.floor(Date.now() / 1000 / STEP) * STEP - 30 * 86400;
/** First update time of writer k. */
const t0 = (k: number) => START + (1 + k * ROUNDS) * STEP;

interface Row {
  name: string;
  updates: number;
  wall: number;
  clientCpu: number;
  daemonCpu: number;
}

const DEFS: RrdFileDef[] = Array.from({ length: FILES }, (_, i) => rrdFiles.port(`bench-${Math.floor(i / 48)}`, i));

function values(round: number, i: number): number[] {
  return Array.from({ length: DS }, (_, k) => (round + 2) * 1000003 * (k + 1) + i);
}

async function createAll(client: RrdcachedClient, defs: RrdFileDef[]): Promise<void> {
  const cmds = defs.map((d) => {
    const s = createSpec(d, STEP, START);
    return ['CREATE', d.path, '-s', s.step, '-b', s.start, '-O', ...s.ds, ...s.rra].join(' ');
  });
  const r = await client.batch(cmds);
  if (r.errors.length) throw new Error(`CREATE failed: ${r.errors[0].message}`);
}

async function benchNms(daemon: BenchRrdcached): Promise<Row> {
  const client = new RrdcachedClient({ address: daemon.address });
  await client.start();
  const defs = DEFS;
  const T0 = t0(0);
  const writer = new RrdWriter({ client, step: STEP });
  // the writer CREATEs (-O) files it has not seen yet: done once, before the clock starts
  await writer.write(defs.map((def, i) => ({ def, time: T0 - STEP, values: values(-1, i) })));
  const meter = new CpuMeter([daemon.pid]).start();
  const cpu0 = selfCpuSeconds();
  const t = process.hrtime.bigint();
  let sent = 0;
  for (let r = 0; r < ROUNDS; r++) {
    // one write per "device poll" of 48 ports, several polls in flight, as the agent's workers do
    const points: RrdPoint[][] = [];
    for (let i = 0; i < defs.length; i += 48)
      points.push(defs.slice(i, i + 48).map((def, j) => ({ def, time: T0 + r * STEP, values: values(r, i + j) })));
    const results = await Promise.all(points.map((p) => writer.write(p)));
    for (const res of results) {
      if (res.errors.length || res.dropped) throw new Error(`write failed: ${res.errors[0] ?? 'dropped'}`);
      sent += res.sent;
    }
  }
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  const clientCpu = selfCpuSeconds() - cpu0;
  const daemonCpu = meter.stop().get(daemon.pid)!;
  await client.close();
  return {
    name: 'nms RrdWriter → BATCH (one write per 48-port device, all in flight)',
    updates: sent,
    wall,
    clientCpu,
    daemonCpu,
  };
}

async function benchNmsOneBatch(daemon: BenchRrdcached): Promise<Row> {
  const client = new RrdcachedClient({ address: daemon.address });
  await client.start();
  const defs = DEFS;
  const T0 = t0(1);
  for (const d of defs) client.setDsCount(d.path, DS);
  const meter = new CpuMeter([daemon.pid]).start();
  const cpu0 = selfCpuSeconds();
  const t = process.hrtime.bigint();
  let sent = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const res = await client.updateBatch(
      defs.map((d, i) => ({ path: d.path, time: T0 + r * STEP, values: values(r, i) })),
    );
    if (res.errors.length) throw new Error(`update failed: ${res.errors[0].message}`);
    sent += res.sent;
  }
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  const clientCpu = selfCpuSeconds() - cpu0;
  const daemonCpu = meter.stop().get(daemon.pid)!;
  await client.close();
  return {
    name: `nms RrdcachedClient.updateBatch (${fmt(FILES)} updates per call)`,
    updates: sent,
    wall,
    clientCpu,
    daemonCpu,
  };
}

/** `rrdtool -` reads commands on stdin and answers `OK ...` or `ERROR: ...` for each. */
async function benchRrdtoolPipe(daemon: BenchRrdcached, setup: RrdcachedClient): Promise<Row> {
  void setup;
  const defs = DEFS;
  const T0 = t0(2);
  const child = spawn('rrdtool', ['-'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout! });
  const total = FILES * ROUNDS;
  let ok = 0;
  let firstError = '';
  const done = new Promise<void>((resolve) => {
    rl.on('line', (l) => {
      if (l.startsWith('OK')) ok++;
      else if (l.startsWith('ERROR') && !firstError) firstError = l;
      if (ok + (firstError ? 1 : 0) >= total || (firstError && ok + 1 >= total)) resolve();
    });
    child.once('exit', () => resolve());
  });
  const meter = new CpuMeter([daemon.pid, child.pid!]).start();
  const t = process.hrtime.bigint();
  for (let r = 0; r < ROUNDS; r++) {
    const lines = defs.map(
      (d, i) => `update --daemon ${daemon.address} ${d.path} ${T0 + r * STEP}:${values(r, i).join(':')}`,
    );
    if (!child.stdin!.write(lines.join('\n') + '\n')) await new Promise((res) => child.stdin!.once('drain', res));
  }
  await done;
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  const cpu = meter.stop();
  child.stdin!.end();
  if (firstError) throw new Error(`rrdtool pipe: ${firstError}`);
  return {
    name: "rrdtool - (pipe mode, `update --daemon` lines; LibreNMS's way)",
    updates: ok,
    wall,
    clientCpu: cpu.get(child.pid!)!,
    daemonCpu: cpu.get(daemon.pid)!,
  };
}

/** One `rrdtool update --daemon` process per file, each with all the rounds' timestamps. */
async function benchRrdtoolSpawn(daemon: BenchRrdcached, setup: RrdcachedClient): Promise<Row> {
  void setup;
  const defs = DEFS.slice(0, SPAWN_FILES);
  const T0 = t0(3);
  const meter = new CpuMeter([daemon.pid]).start();
  const t = process.hrtime.bigint();
  const child0 = reapedChildrenCpuSeconds();
  // two at a time: the machine has two cores
  let next = 0;
  const worker = async () => {
    while (next < defs.length) {
      const i = next++;
      const args = [
        'update',
        '--daemon',
        daemon.address,
        defs[i].path,
        ...Array.from({ length: SPAWN_TIMES }, (_, r) => `${T0 + r * STEP}:${values(r, i).join(':')}`),
      ];
      await run('rrdtool', args);
    }
  };
  await Promise.all([worker(), worker()]);
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  return {
    name: `rrdtool update --daemon, one process per file (${SPAWN_FILES} files × ${SPAWN_TIMES} times)`,
    updates: SPAWN_FILES * SPAWN_TIMES,
    wall,
    clientCpu: reapedChildrenCpuSeconds() - child0,
    daemonCpu: meter.stop().get(daemon.pid)!,
  };
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${cmd} exited ${code}: ${err.trim()}`));
      else resolve();
    });
  });
}

async function main(): Promise<void> {
  setLogLevel('ERROR');
  const daemon = new BenchRrdcached({ port: Number(process.env.NMS_BENCH_RRD_PORT ?? 42301) });
  await daemon.start();
  const setup = new RrdcachedClient({ address: daemon.address, commandTimeoutMs: 600000 });
  const rows: Row[] = [];
  try {
    await setup.start();
    await createAll(setup, DEFS);
    rows.push(await benchNms(daemon));
    rows.push(await benchNmsOneBatch(daemon));
    rows.push(await benchRrdtoolPipe(daemon, setup));
    rows.push(await benchRrdtoolSpawn(daemon, setup));
    // every writer's last value arrived: rrdcached's LAST answers from its cache
    const want = [
      [0, t0(3) + (SPAWN_TIMES - 1) * STEP],
      [FILES - 1, t0(2) + (ROUNDS - 1) * STEP],
    ];
    for (const [i, t] of want) {
      const r = await setup.command(`LAST ${DEFS[i].path}`);
      if (!r.message.startsWith(String(t)))
        throw new Error(
          `LAST ${DEFS[i].path}: ${r.message}, expected ${t} (writers start at ${[0, 1, 2, 3].map(t0).join(', ')})`,
        );
    }
  } finally {
    await setup.close();
    await daemon.close();
  }
  report(rows);
}

function report(rows: Row[]): void {
  const vps = (r: Row) => (r.updates * DS) / r.wall;
  const body = table(
    ['writer', 'updates', 'values', 'wall s', 'values/s', 'client CPU s', 'rrdcached CPU s', 'client CPU µs/value'],
    rows.map((r) => [
      r.name,
      fmt(r.updates),
      fmt(r.updates * DS),
      fmt(r.wall, 2),
      fmt(vps(r)),
      r.clientCpu ? fmt(r.clientCpu, 2) : 'n/a',
      fmt(r.daemonCpu, 2),
      r.clientCpu ? fmt((r.clientCpu * 1e6) / (r.updates * DS), 2) : 'n/a',
    ]),
  );
  const nms = rows[0];
  const pipe = rows.find((r) => r.name.startsWith('rrdtool -'))!;
  const text = `## rrd: values per second into rrdcached over TCP

Run ${now()}: a private rrdcached 1.7.2 on 127.0.0.1 (-t 4 write threads, journal on, -w ${writeTimers(true).timeout}
as deployed), ${fmt(FILES)} port files of ${DS} DERIVE sources (LibreNMS's layout and RRAs) per
writer, ${ROUNDS} rounds of one update per file (absolute times, one step apart). Timed: from the
first update sent to the last reply (rrdcached has taken every value into its cache; its write
threads put them on disk later). Files are created before the clock starts.

${table(
  ['', ''],
  [
    ['budget', '≥ 100,000 values/s'],
    ['nms (RrdWriter)', `${fmt(vps(nms))} values/s`],
    ['ratio nms / rrdtool pipe', `${fmt(vps(nms) / vps(pipe), 1)}×`],
    ['budget met', vps(nms) >= 100000 ? 'yes' : 'NO'],
  ],
)}

${body}
`;
  console.log(text);
  writeSection('rrd', text);
}

await main();
