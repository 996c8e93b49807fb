// ping bench: one poller's ping round of N devices (issue 14: 10,000 every 60 s): pingGroup as
// the agent runs it (one fping call, device_perf rows, last_ping, icmp-perf.rrd through a
// private rrdcached) against real MariaDB (NMS_TEST_DB). The devices are 127.x.y.z addresses,
// which the machine's own loopback answers: no packet leaves it, so the wall time is fping's
// pacing (3 pings a device, 1 ms between packets) plus our writes, not a network's latency.
// NMS_BENCH_PING_SIZES (default "1000 10000"), NMS_BENCH_PING_ROUNDS (default 2).
import { generateAppKey } from '../lib/crypto.js';
import { RrdcachedClient } from '../lib/rrdcached.js';
import { migrate, openDb, type Db } from '../agent/db/index.js';
import { pingGroup } from '../agent/availability/ping.js';
import { RrdWriter } from '../agent/rrd/writer.js';
import { BenchRrdcached } from './lib/rrdcached-daemon.js';
import { CpuMeter, reapedChildrenCpuSeconds, selfCpuSeconds } from './lib/proc.js';
import { fmt, now, table, writeSection } from './lib/report.js';

const SIZES = (process.env.NMS_BENCH_PING_SIZES ?? '1000 10000').split(/\s+/).filter(Boolean).map(Number);
const ROUNDS = Number(process.env.NMS_BENCH_PING_ROUNDS ?? 2);
const url = new URL(process.env.NMS_TEST_DB ?? 'mysql://nmstest:nmstest@127.0.0.1:13306');

/** Device i's loopback address: 127.1.0.1 upwards, skipping .0 and .255. */
const address = (i: number) => `127.${1 + Math.floor(i / 64516)}.${Math.floor((i % 64516) / 254)}.${1 + (i % 254)}`;

async function addDevices(db: Db, n: number): Promise<void> {
  for (let i = 0; i < n; i += 1000) {
    const part = Array.from({ length: Math.min(1000, n - i) }, (_, k) => address(i + k));
    const values = part.map(() => "(?, 161, 'v2c', 0, 1)").join(', ');
    await db.query(`INSERT INTO devices (hostname, port, snmpver, poller_group, status) VALUES ${values}`, part);
  }
}

interface Row {
  n: number;
  round: number;
  wall: number;
  agentCpu: number;
  fpingCpu: number;
  dbCpu: number;
  rrdCpu: number;
  answered: number;
}

async function measure(n: number, rrdPid: number, dbPid: number | undefined, client: RrdcachedClient): Promise<Row[]> {
  const database = `nms_bench_ping_${process.pid}_${n}`;
  const target = { host: url.hostname, port: Number(url.port), user: url.username, password: url.password, database };
  const db = await openDb(target, { createDatabase: true });
  const rows: Row[] = [];
  try {
    await migrate(db, { appKey: generateAppKey() });
    await addDevices(db, n);
    const rrd = new RrdWriter({ client, step: 60 });
    for (let round = 1; round <= ROUNDS; round++) {
      const meter = new CpuMeter([rrdPid, ...(dbPid ? [dbPid] : [])]).start();
      const [cpu0, kids0, t0] = [selfCpuSeconds(), reapedChildrenCpuSeconds(), performance.now()];
      const r = await pingGroup({ db, rrd }, 0);
      const wall = (performance.now() - t0) / 1000;
      const other = meter.stop();
      rows.push({
        n,
        round,
        wall,
        answered: r.answered,
        agentCpu: selfCpuSeconds() - cpu0,
        fpingCpu: reapedChildrenCpuSeconds() - kids0,
        rrdCpu: other.get(rrdPid) ?? 0,
        dbCpu: dbPid ? (other.get(dbPid) ?? 0) : NaN,
      });
      console.error(JSON.stringify(rows.at(-1)));
    }
  } finally {
    await db.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined);
    await db.end();
  }
  return rows;
}

function mariadbPid(): number | undefined {
  const pid = Number(process.env.NMS_BENCH_MARIADB_PID ?? NaN);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function main(): Promise<void> {
  const daemon = new BenchRrdcached({ port: Number(process.env.NMS_BENCH_PING_RRD_PORT ?? 42302) });
  await daemon.start();
  const client = new RrdcachedClient({ address: daemon.address });
  const all: Row[] = [];
  try {
    for (const n of SIZES) all.push(...(await measure(n, daemon.pid, mariadbPid(), client)));
  } finally {
    await client.close();
    await daemon.close();
  }
  const ms = (s: number, n: number) => fmt((s * 1e6) / n, 1);
  const dbNote = mariadbPid() ? ', MariaDB = its server' : ' (MariaDB not measured: set NMS_BENCH_MARIADB_PID)';
  const HEAD = ['devices', 'round', 'wall s', 'answered'];
  HEAD.push(...['agent', 'fping', 'rrdcached', 'MariaDB'].map((who) => `${who} µs/device`));
  const text = `## ping: one poller's ping round

Run ${now()}: \`pingGroup\` (agent/availability/ping.ts) of N devices in one poller group, as the
agent's ping job runs it: one \`fping -c 3 -p 500 -t 500 -i 1\` call, a device_perf row and
last_ping per device (MariaDB), icmp-perf.rrd per device (a private rrdcached). The devices are
127.x addresses answered by the machine's own loopback, so the wall time is fping's pacing (3 ×
N packets at 1 ms) plus the writes. CPU per device: agent = this process (parse, SQL, RRD
client), fping = the fping child, rrdcached = the daemon${dbNote}.
Budget (issue 14): 10,000 devices every 60 s by one poller.

${table(
  HEAD,
  all.map((r) => [
    fmt(r.n),
    r.round,
    fmt(r.wall, 1),
    fmt(r.answered),
    ms(r.agentCpu, r.n),
    ms(r.fpingCpu, r.n),
    ms(r.rrdCpu, r.n),
    Number.isNaN(r.dbCpu) ? 'n/a' : ms(r.dbCpu, r.n),
  ]),
)}
`;
  console.log(text);
  writeSection('ping', text);
}

await main();
