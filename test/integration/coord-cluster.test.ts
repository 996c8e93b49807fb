// Acceptance of the agent's coordination with real Redis, MariaDB and memcached
// (scripts/test-services.sh): three `nms-agent run --dry-run` child processes, two poller groups,
// 300 devices, a 5 s poller frequency. Checks, from the rows the agents write:
// every device polled once per cycle by an agent that serves its group; after `kill -9` of an
// agent the others take its devices within a cycle, none twice; after killing the dispatcher
// another dispatches within service_master_timeout + a few s; after a Redis restart polling
// resumes within a cycle and no agent exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RowDataPacket } from 'mysql2/promise';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { onLogLine } from '../helpers/log-lines.js';
import { generateAppKey } from '../../lib/crypto.js';
import { migrate, openDb, type Db } from '../../agent/db/index.js';
import { CoordKeys } from '../../agent/coord/keys.js';
import { Registry } from '../../agent/registry/registry.js';
import { waitFor } from '../helpers/wait.js';
import { SERVICES, agentEnv } from '../helpers/services.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const FREQ = 5;
const MASTER_TIMEOUT = 4;
const DEVICES = 300;
const DB_NAME = `nms_coord_${process.pid}`;
const PREFIX = `coordtest${process.pid}`;
const APP_KEY = generateAppKey();
const { host: REDIS_HOST, port: REDIS_PORT } = SERVICES.redis;
const { host: MC_HOST, port: MC_PORT } = SERVICES.memcached;
const DB = { host: '127.0.0.1', port: 13306, user: 'nmstest', password: 'nmstest', database: DB_NAME };

interface Agent {
  name: string;
  nodeId: string;
  groups: number[];
  dir: string;
  proc?: ChildProcess;
  logs: { event: string; t: number; [k: string]: unknown }[];
  exits: { code: number | null; signal: string | null; expected: boolean }[];
  metricsPort?: number;
}

function writeConfig(a: Agent): void {
  writeFileSync(join(a.dir, '.env'), agentEnv({ database: DB_NAME, appKey: APP_KEY, nodeId: a.nodeId }));
  writeFileSync(
    join(a.dir, 'config.yaml'),
    [
      `distributed_poller_name: ${a.name}`,
      `distributed_poller_group: [${a.groups.join(', ')}]`,
      'cluster_address: 127.0.0.1',
      `distributed_poller_memcached_host: ${MC_HOST}`,
      `distributed_poller_memcached_port: ${MC_PORT}`,
      `service_poller_frequency: ${FREQ}`,
      'service_poller_down_retry: 3',
      `service_master_timeout: ${MASTER_TIMEOUT}`,
      'service_poller_workers: 8',
      'service_loglevel: INFO',
      'metrics_port: 0',
      '',
    ].join('\n'),
  );
}

function startAgent(a: Agent): void {
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'agent/main.ts',
      '--env',
      join(a.dir, '.env'),
      'run',
      '--dry-run',
      '--dry-run-work-ms',
      '300',
      '--drain',
      '5',
    ],
    {
      cwd: ROOT,
      env: { ...process.env, NMS_KEY_PREFIX: PREFIX },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  a.proc = proc;
  onLogLine(proc.stderr!, (rec, line) => {
    if (!rec) return void a.logs.push({ event: 'raw', t: Date.now(), line });
    a.logs.push({ ...rec, t: Date.parse(String(rec.t)) } as (typeof a.logs)[number]);
    if (rec.event === 'started') a.metricsPort = rec.metrics_port as number;
  });
  proc.on('exit', (code, signal) =>
    a.exits.push({ code, signal, expected: (proc as ChildProcess & { expectedExit?: boolean }).expectedExit === true }),
  );
}

function kill(a: Agent, signal: NodeJS.Signals): void {
  (a.proc as ChildProcess & { expectedExit?: boolean }).expectedExit = true;
  a.proc!.kill(signal);
}

interface PollRow {
  device_id: number;
  poller_group: number;
  poller_name: string;
  t: number;
}

async function polls(db: Db, from: number, to: number): Promise<PollRow[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT p.device_id, d.poller_group, p.poller_name, UNIX_TIMESTAMP(p.started_at) * 1000 AS t
     FROM dry_run_polls p JOIN devices d USING (device_id)
     WHERE p.poller_type = 'poller' AND p.started_at >= FROM_UNIXTIME(?) AND p.started_at < FROM_UNIXTIME(?)
     ORDER BY p.device_id, p.started_at`,
    [from / 1000, to / 1000],
  );
  return rows.map((r) => ({
    device_id: Number(r.device_id),
    poller_group: Number(r.poller_group),
    poller_name: String(r.poller_name),
    t: Number(r.t),
  }));
}

interface Analysis {
  total: number;
  /** Smallest and largest gap between consecutive polls of one device, and the device windows' edges. */
  minGap: number;
  maxGap: number;
  doubles: string[];
  wrongGroup: string[];
  missing: number[];
  /** Fewest and most polls of one device in the window. */
  perDevice: [number, number];
}

/** Gaps per device inside [from, to), counting the window edges as bounds of the first/last gap. */
function analyse(rows: PollRow[], from: number, to: number, agents: Agent[]): Analysis {
  const byDevice = new Map<number, PollRow[]>();
  for (const r of rows) byDevice.set(r.device_id, [...(byDevice.get(r.device_id) ?? []), r]);
  const groupsOf = new Map(agents.map((a) => [a.name, a.groups]));
  const out: Analysis = {
    total: rows.length,
    minGap: Infinity,
    maxGap: 0,
    doubles: [],
    wrongGroup: [],
    missing: [],
    perDevice: [Infinity, 0],
  };
  for (let id = 1; id <= DEVICES; id++) {
    const list = byDevice.get(id) ?? [];
    out.perDevice = [Math.min(out.perDevice[0], list.length), Math.max(out.perDevice[1], list.length)];
    if (list.length === 0) {
      out.missing.push(id);
      out.maxGap = Math.max(out.maxGap, to - from);
      continue;
    }
    out.maxGap = Math.max(out.maxGap, list[0].t - from, to - list[list.length - 1].t);
    for (let i = 1; i < list.length; i++) {
      const gap = list[i].t - list[i - 1].t;
      out.minGap = Math.min(out.minGap, gap);
      out.maxGap = Math.max(out.maxGap, gap);
      if (gap < (FREQ - 2) * 1000)
        out.doubles.push(`device ${id}: ${list[i - 1].poller_name} then ${list[i].poller_name} ${gap} ms apart`);
    }
    for (const r of list)
      if (!groupsOf.get(r.poller_name)?.includes(r.poller_group))
        out.wrongGroup.push(`device ${id} (group ${r.poller_group}) by ${r.poller_name}`);
  }
  return out;
}

function dispatcherHolder(redis: Redis): Promise<string | null> {
  return redis.get(new CoordKeys(PREFIX).dispatcherLock);
}

test(
  'three agents, two groups, 300 devices: once per cycle, failover, Redis restart',
  { timeout: 270_000 },
  async (t) => {
    const admin = await openDb({ ...DB }, { createDatabase: true });
    await migrate(admin, { appKey: APP_KEY });
    const values = Array.from({ length: DEVICES }, (_, i) => [`10.9.${Math.floor(i / 250)}.${i % 250}`, 161, i % 2]);
    await admin.query('INSERT INTO devices (hostname, port, poller_group) VALUES ?', [values]);
    const redis = new Redis({
      host: REDIS_HOST,
      port: Number(REDIS_PORT),
      maxRetriesPerRequest: null,
      retryStrategy: () => 200,
    });
    redis.on('error', () => {});
    const agents: Agent[] = [
      {
        name: 'pollerA',
        nodeId: 'node-a',
        groups: [0],
        dir: mkdtempSync(join(tmpdir(), 'nms-coord-a-')),
        logs: [],
        exits: [],
      },
      {
        name: 'pollerB',
        nodeId: 'node-b',
        groups: [1],
        dir: mkdtempSync(join(tmpdir(), 'nms-coord-b-')),
        logs: [],
        exits: [],
      },
      {
        name: 'pollerC',
        nodeId: 'node-c',
        groups: [0, 1],
        dir: mkdtempSync(join(tmpdir(), 'nms-coord-c-')),
        logs: [],
        exits: [],
      },
    ];
    const byName = (n: string | null) => agents.find((a) => n?.startsWith(`${a.name}-`));
    const report: Record<string, unknown> = {};
    t.after(async () => {
      for (const a of agents)
        if (a.proc && a.proc.exitCode === null && a.proc.signalCode === null) a.proc.kill('SIGKILL');
      redis.disconnect();
      await admin.query(`DROP DATABASE IF EXISTS \`${DB_NAME}\``).catch(() => {});
      await admin.end();
      for (const a of agents) rmSync(a.dir, { recursive: true, force: true });
      process.stderr.write(`coord-cluster measurements: ${JSON.stringify(report)}\n`);
    });
    for (const a of agents) {
      writeConfig(a);
      startAgent(a);
    }

    // ---- every device discovered, then polled, by the three agents together ----
    await waitFor(
      'all devices polled once',
      async () => {
        const [rows] = await admin.query<RowDataPacket[]>(
          "SELECT COUNT(DISTINCT device_id) AS n FROM dry_run_polls WHERE poller_type = 'poller'",
        );
        return Number(rows[0].n) === DEVICES;
      },
      60_000,
    );
    const [disc] = await admin.query<RowDataPacket[]>(
      "SELECT COUNT(*) AS n, COUNT(DISTINCT device_id) AS d FROM dry_run_polls WHERE poller_type = 'discovery'",
    );
    assert.equal(Number(disc[0].d), DEVICES, 'every device discovered');
    assert.equal(Number(disc[0].n), DEVICES, 'no device discovered twice');

    // ---- steady state: 10 cycles ----
    await sleep(FREQ * 1000);
    let from = Date.now();
    await sleep(10 * FREQ * 1000);
    let to = Date.now();
    let a = analyse(await polls(admin, from, to), from, to, agents);
    report.steady = {
      window_ms: to - from,
      polls: a.total,
      per_device: a.perDevice,
      min_gap_ms: a.minGap,
      max_gap_ms: a.maxGap,
    };
    // A device runs every frequency - 2 .. frequency s (TIMESTAMP seconds, 1 s ticks): no more, no fewer.
    assert.ok(
      a.perDevice[0] >= Math.floor((to - from) / (FREQ * 1000)) - 1 &&
        a.perDevice[1] <= Math.ceil((to - from) / ((FREQ - 2) * 1000)),
      `polls per device ${a.perDevice}`,
    );
    assert.deepEqual(a.missing, [], 'every device polled in steady state');
    assert.deepEqual(a.doubles, [], 'no device polled twice within a cycle');
    assert.deepEqual(a.wrongGroup, [], 'each poll by an agent serving the device group');
    // a skipped cycle is a gap of two periods (less the 1 s of the TIMESTAMP's truncation); a poll
    // merely late on a loaded machine is not one (timing belongs in benchmarks)
    assert.ok(a.maxGap < (2 * FREQ - 1) * 1000, `no cycle skipped (largest gap ${a.maxGap} ms)`);
    // Each agent did a share of the work.
    const names = new Set((await polls(admin, from, to)).map((r) => r.poller_name));
    assert.deepEqual([...names].sort(), ['pollerA', 'pollerB', 'pollerC']);

    // memcached: the per-device record names a node serving the group; every node registered.
    const registry = new Registry({ host: MC_HOST, port: Number(MC_PORT), keys: new CoordKeys(PREFIX) });
    try {
      const rec = await registry.device('poller', 2); // device_id 2 is index 1: group 1
      assert.ok(rec && ['node-b', 'node-c'].includes(rec.node_id), `device record ${JSON.stringify(rec)}`);
      const nodes = (await registry.nodes()).map((n) => n.node_id).sort();
      assert.deepEqual(nodes, ['node-a', 'node-b', 'node-c']);
    } finally {
      registry.close();
    }
    // poller_cluster: three nodes, one master.
    const [pc] = await admin.query<RowDataPacket[]>(
      'SELECT node_id, master, poller_groups FROM poller_cluster ORDER BY node_id',
    );
    assert.deepEqual(
      pc.map((r) => [r.node_id, r.poller_groups]),
      [
        ['node-a', '0'],
        ['node-b', '1'],
        ['node-c', '0,1'],
      ],
    );
    const [pcs] = await admin.query<RowDataPacket[]>(
      "SELECT SUM(devices) AS devices, COUNT(*) AS n FROM poller_cluster_stats WHERE poller_type = 'poller'",
    );
    assert.equal(Number(pcs[0].n), 3);
    assert.ok(Number(pcs[0].devices) > 0, 'poller_cluster_stats counts devices');
    // /metrics of one agent
    const metrics = await (await fetch(`http://127.0.0.1:${agents[2].metricsPort}/metrics`)).text();
    assert.match(metrics, /nms_agent_jobs_total\{type="poller",group="\d",outcome="ok"\} [1-9]/);
    assert.match(metrics, /nms_agent_queue_depth\{queue="poller-0",state="waiting"\} \d+/);
    assert.match(metrics, /nms_agent_job_duration_seconds_count\{type="poller",group="\d"\} [1-9]/);

    // ---- kill -9 of a poller that is not the dispatcher ----
    const master1 = byName(await dispatcherHolder(redis));
    assert.ok(master1, 'a dispatcher is elected');
    const victim = agents.find((x) => x !== master1 && x.name !== 'pollerC') ?? agents.find((x) => x !== master1)!;
    from = Date.now();
    kill(victim, 'SIGKILL');
    // The jobs it was running when it died: still active in BullMQ, with its worker name.
    const orphaned: number[] = [];
    for (const g of victim.groups) {
      const q = new Queue(`poller-${g}`, {
        connection: { host: REDIS_HOST, port: Number(REDIS_PORT) },
        prefix: `${PREFIX}:bull`,
      });
      for (const j of await q.getActive())
        if (j.processedBy?.startsWith(`${victim.name}/`)) orphaned.push(Number(j.data.deviceId));
      await q.close();
    }
    await sleep(4 * FREQ * 1000);
    to = Date.now();
    a = analyse(await polls(admin, from, to), from, to, agents);
    report.after_kill = { victim: victim.name, polls: a.total, min_gap_ms: a.minGap, max_gap_ms: a.maxGap };
    assert.deepEqual(a.missing, []);
    assert.deepEqual(a.doubles, [], 'no device polled twice after the kill');
    assert.deepEqual(a.wrongGroup, []);
    assert.ok(a.maxGap <= 2 * FREQ * 1000, `the victim's devices taken within a cycle (largest gap ${a.maxGap} ms)`);
    // The jobs it was running were recovered through BullMQ's stalled check and run elsewhere.
    const stalled = agents
      .filter((x) => x !== victim)
      .flatMap((x) => x.logs.filter((l) => l.event === 'job_stalled' && l.t >= from));
    report.after_kill = {
      ...(report.after_kill as object),
      orphaned_jobs: orphaned.length,
      stalled_jobs_recovered: stalled.length,
    };
    assert.ok(stalled.length >= orphaned.length, `${orphaned.length} orphaned jobs, ${stalled.length} recovered`);
    const afterKill = await polls(admin, from, to);
    for (const id of orphaned)
      assert.ok(
        afterKill.some((r) => r.device_id === id && r.poller_name !== victim.name),
        `orphaned device ${id} polled by another agent`,
      );
    const late = await polls(admin, to - FREQ * 1000, to);
    assert.ok(!late.some((r) => r.poller_name === victim.name), 'the killed agent polls nothing');

    // The victim comes back (same NODE_ID) and rejoins.
    startAgent(victim);
    await waitFor(
      'the restarted agent polls',
      async () => (await polls(admin, Date.now() - 3000, Date.now() + 1000)).some((r) => r.poller_name === victim.name),
      30_000,
    );

    // ---- kill -9 of the dispatcher ----
    const master2 = byName(await dispatcherHolder(redis))!;
    const killedAt = Date.now();
    from = killedAt;
    kill(master2, 'SIGKILL');
    const master3 = await waitFor(
      'another dispatcher',
      async () => {
        const h = byName(await dispatcherHolder(redis));
        return h && h !== master2 ? h : undefined;
      },
      (MASTER_TIMEOUT + 10) * 1000,
    );
    const electedAt = Date.now();
    report.dispatcher_failover_ms = electedAt - killedAt;
    assert.ok(
      electedAt - killedAt <= (MASTER_TIMEOUT + 3) * 1000,
      `dispatcher taken over in ${electedAt - killedAt} ms`,
    );
    // the lock shows the new holder as soon as it is taken; its log line may arrive a moment later
    await waitFor(
      'the new dispatcher logs its election',
      async () => master3.logs.some((l) => l.event === 'dispatcher_elected' && l.t >= killedAt - 1000) || undefined,
      10_000,
    );
    await sleep(3 * FREQ * 1000);
    to = Date.now();
    a = analyse(await polls(admin, from, to), from, to, agents);
    report.after_dispatcher_kill = { polls: a.total, min_gap_ms: a.minGap, max_gap_ms: a.maxGap };
    assert.deepEqual(a.missing, []);
    assert.deepEqual(a.doubles, []);
    assert.deepEqual(a.wrongGroup, []);
    assert.ok(a.maxGap <= (2 * FREQ + MASTER_TIMEOUT) * 1000, `polling continued (largest gap ${a.maxGap} ms)`);
    startAgent(master2);

    // ---- Redis restarted during polling ----
    await waitFor(
      'the restarted dispatcher agent polls',
      async () =>
        (await polls(admin, Date.now() - 3000, Date.now() + 1000)).some((r) => r.poller_name === master2.name),
      30_000,
    );
    const alive = agents.map((x) => x.exits.length);
    const beforeStop = Date.now();
    execFileSync('bash', ['scripts/test-services.sh', 'stop', 'redis'], { cwd: ROOT, stdio: 'ignore' });
    await sleep(3000);
    execFileSync('bash', ['scripts/test-services.sh', 'start-one', 'redis'], { cwd: ROOT, stdio: 'ignore' });
    const redisBack = Date.now();
    const firstAt = await waitFor(
      'a poll after Redis came back',
      async () => ((await polls(admin, redisBack, Date.now() + 1000)).length > 0 ? Date.now() : undefined),
      6 * FREQ * 1000,
    );
    report.redis_first_poll_ms = firstAt - redisBack;
    assert.ok(firstAt - redisBack <= FREQ * 1000, `polling resumed within a cycle (${firstAt - redisBack} ms)`);
    const resumedAt = await waitFor(
      'every device polled after Redis came back',
      async () => {
        const rows = await polls(admin, redisBack, Date.now() + 1000);
        return new Set(rows.map((r) => r.device_id)).size === DEVICES ? Date.now() : undefined;
      },
      6 * FREQ * 1000,
    );
    report.redis_resume_ms = resumedAt - redisBack;
    assert.ok(
      resumedAt - redisBack <= 2 * FREQ * 1000,
      `every device polled again within two cycles (${resumedAt - redisBack} ms)`,
    );
    assert.deepEqual(
      agents.map((x) => x.exits.length),
      alive,
      'no agent exited during the Redis restart',
    );
    await sleep(2 * FREQ * 1000);
    // From just before the stop: jobs running while Redis lost its data keep (retake) their device locks.
    from = beforeStop - FREQ * 1000;
    to = Date.now();
    a = analyse(await polls(admin, from, to), from, to, agents);
    report.after_redis = { polls: a.total, min_gap_ms: a.minGap, max_gap_ms: a.maxGap };
    assert.deepEqual(a.doubles, [], 'no double polls across the Redis restart');
    assert.deepEqual(a.wrongGroup, []);

    // ---- SIGTERM: each agent drains and exits 0 ----
    for (const x of agents) kill(x, 'SIGTERM');
    await waitFor(
      'agents exit',
      async () => agents.every((x) => x.proc!.exitCode !== null || x.proc!.signalCode !== null),
      20_000,
    );
    for (const x of agents) assert.equal(x.proc!.exitCode, 0, `${x.name} exit code`);
    for (const x of agents)
      assert.ok(!x.exits.some((e) => !e.expected), `${x.name} never exited on its own: ${JSON.stringify(x.exits)}`);
    const errors = agents.flatMap((x) =>
      x.logs
        .filter((l) => l.event === 'raw' || l.event === 'unhandled_rejection')
        .map((l) => `${x.name}: ${JSON.stringify(l)}`),
    );
    assert.deepEqual(errors, [], 'no unstructured output or unhandled rejections');
  },
);
