// `nms-agent cluster-status` against the real MariaDB, Redis and memcached of
// scripts/test-services.sh, with two real agents (the daemon in --dry-run mode: real dispatcher,
// BullMQ workers and registry, no SNMP) in a fresh database and key prefix. Faults are made by
// real means: an agent is stopped, a device is left unpolled, memcached is pointed at a closed port.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { addDevice, logEvent, migrate, openDb, Severity, type Db } from '../../agent/db/index.js';
import { AgentService } from '../../agent/daemon/agent.js';
import { dryRunHandler } from '../../agent/daemon/dry-run.js';
import { clusterStatus } from '../../agent/commands/cluster.js';
import type { ClusterView } from '../../lib/contracts/cluster-view.js';
import { generateAppKey } from '../../lib/crypto.js';
import { setLogSink } from '../../lib/log.js';
import { SERVICES, agentEnv } from '../helpers/services.js';

const { host: redisHost, port: redisPort } = SERVICES.redis;
const { host: mcHost, port: mcPort } = SERVICES.memcached;
const database = `nms_cstat_${process.pid}`;
const prefix = `nmstest-cstat-${process.pid}`;
process.env.NMS_KEY_PREFIX = prefix;
const APP_KEY = generateAppKey();
const dir = mkdtempSync(join(tmpdir(), 'nms-cstat-'));
const logs: string[] = [];

function nodeConfig(name: string, groups: number[], overrides: Record<string, unknown> = {}): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, '.env'), agentEnv({ database, appKey: APP_KEY, nodeId: randomUUID() }));
  const settings = {
    distributed_poller_name: name,
    distributed_poller_group: groups,
    roles: ['poller', 'discovery'],
    cluster_address: '127.0.0.1',
    distributed_poller_memcached_host: mcHost,
    distributed_poller_memcached_port: Number(mcPort),
    metrics_port: 0,
    service_poller_frequency: 10,
    service_discovery_frequency: 3600,
    service_master_timeout: 5,
    service_watchdog_enabled: false,
    service_loglevel: 'WARNING',
    ...overrides,
  };
  writeFileSync(join(d, 'config.yaml'), JSON.stringify(settings, null, 2));
  return join(d, '.env');
}

async function waitFor(
  what: string,
  envPath: string,
  ok: (v: ClusterView) => boolean,
  ms = 40_000,
): Promise<ClusterView> {
  const end = Date.now() + ms;
  let last: ClusterView | undefined;
  while (Date.now() < end) {
    last = await clusterStatus({ envPath, timeoutMs: 2000 });
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.fail(`${what}: not reached within ${ms} ms; last view: ${JSON.stringify(last, null, 2)}`);
}

const codes = (v: ClusterView) => v.problems.map((p) => `${p.code}:${p.subject}`).sort();

let db: Db;
const agents: AgentService[] = [];
let envA: string;
let envB: string;
const ids: number[] = [];

before(async () => {
  setLogSink((l) => logs.push(l));
  db = await openDb(
    {
      ...SERVICES.db,
      database,
    },
    { createDatabase: true, connectionLimit: 4 },
  );
  await migrate(db, { appKey: APP_KEY });
  for (let i = 0; i < 6; i++)
    ids.push(
      await addDevice(db, APP_KEY, {
        hostname: '192.0.2.1',
        port: 16100 + i,
        poller_group: i % 2,
        snmp: { version: 'v2c', community: 'public' },
      }),
    );
  envA = nodeConfig('nodeA', [0]);
  envB = nodeConfig('nodeB', [0, 1]);
});

after(async () => {
  for (const a of agents) await a.close().catch(() => {});
  await db.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => {});
  await db.end();
  const r = new Redis({ host: redisHost, port: Number(redisPort), lazyConnect: true });
  await r.connect();
  const keys = await r.keys(`${prefix}:*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('cluster-status against real services and agents', { timeout: 180_000 }, () => {
  it('reports no dispatcher and unserved groups before any agent runs', async () => {
    const v = await clusterStatus({ envPath: envA, timeoutMs: 2000 });
    assert.equal(v.schema, 'nms-agent-cluster/1');
    assert.equal(v.healthy, false);
    assert.deepEqual(
      { mariadb: v.sources.mariadb.ok, redis: v.sources.redis.ok, memcached: v.sources.memcached.ok },
      { mariadb: true, redis: true, memcached: true },
    );
    assert.deepEqual(codes(v), ['group_unserved:group 0', 'group_unserved:group 1', 'no_dispatcher:dispatcher']);
    assert.deepEqual(
      v.groups.map((g) => [g.group, g.devices, g.served]),
      [
        [0, 3, false],
        [1, 3, false],
      ],
    );
    assert.equal(v.devices.total, 6);
  });

  it('is healthy once two agents serve both groups and have polled', async () => {
    for (const envPath of [envA, envB]) {
      const a = new AgentService({ envPath, makeHandler: dryRunHandler(0), drainMs: 2000 });
      agents.push(a);
      await a.start();
    }
    const v = await waitFor(
      'both nodes working and polling',
      envA,
      (x) => x.healthy && x.nodes.length === 2 && x.nodes.every((n) => (n.jobs_ok ?? 0) > 0),
    );
    assert.deepEqual(v.problems, []);
    assert.ok(v.dispatcher.holder, 'a dispatcher is elected');
    assert.ok(['nodeA', 'nodeB'].includes(v.dispatcher.poller_name ?? ''), `dispatcher ${v.dispatcher.poller_name}`);
    assert.deepEqual(
      v.groups.map((g) => [g.group, g.pollers.sort()]),
      [
        [0, ['nodeA', 'nodeB']],
        [1, ['nodeB']],
      ],
    );
    for (const g of v.groups) assert.ok(g.queue, `queue depth of group ${g.group} read`);
    assert.equal(v.devices.overdue, 0);
    for (const n of v.nodes) assert.equal(n.state, 'working');
  });

  it('lists recent eventlog errors without calling the cluster unhealthy', async () => {
    await logEvent(db, ids[0], 'poller', 'snmp timeout on 192.0.2.1:16100', Severity.error);
    const v = await clusterStatus({ envPath: envA, timeoutMs: 2000 });
    assert.equal(v.errors[0]?.message, 'snmp timeout on 192.0.2.1:16100');
    assert.equal(v.errors[0]?.hostname, '192.0.2.1');
    assert.equal(v.healthy, true, JSON.stringify(v.problems));
    assert.equal(v.device, undefined, 'no device asked for, none given');
  });

  it('looks up one device by hostname:port, by id, and says null for an unknown one', async () => {
    const byPort = await clusterStatus({ envPath: envA, timeoutMs: 2000, device: '192.0.2.1:16101' });
    assert.deepEqual([byPort.device?.device_id, byPort.device?.poller_group, byPort.device?.port], [ids[1], 1, 16101]);
    const byId = await clusterStatus({ envPath: envA, timeoutMs: 2000, device: String(ids[2]) });
    assert.equal(byId.device?.port, 16102);
    const none = await clusterStatus({ envPath: envA, timeoutMs: 2000, device: 'nope.example:161' });
    assert.equal(none.device, null);
  });

  it('names the stopped agent, the group it left unserved and the devices that go overdue', async () => {
    await agents[1].close();
    // a group-1 device whose last poll is long past: nobody serves its group any more
    await db.query(
      'UPDATE devices SET status = 1, last_polled = UTC_TIMESTAMP() - INTERVAL 600 SECOND WHERE device_id = ?',
      [ids[1]],
    );
    const v = await waitFor('nodeB gone', envA, (x) => codes(x).includes('group_unserved:group 1'));
    assert.deepEqual(codes(v), ['devices_overdue:devices', 'group_unserved:group 1', 'node_not_registered:nodeB']);
    const nodeB = v.nodes.find((n) => n.poller_name === 'nodeB')!;
    assert.equal(nodeB.registered, false);
    assert.ok(
      v.overdue.some((d) => d.device_id === ids[1] && d.late_s >= 500),
      JSON.stringify(v.overdue),
    );
    for (const p of v.problems) assert.ok(p.fix.length > 10, `${p.code} has a next step`);
    assert.match(
      v.problems.find((p) => p.code === 'group_unserved')!.fix,
      /nms add-poller NAME --address ADDR --group 1/,
    );
  });

  it('says which source it could not read when memcached does not answer', async () => {
    const envBad = nodeConfig('viewer', [0], { distributed_poller_memcached_port: 1 });
    const v = await clusterStatus({ envPath: envBad, timeoutMs: 1500 });
    assert.equal(v.sources.memcached.ok, false);
    assert.ok(v.sources.mariadb.ok && v.sources.redis.ok);
    const p = v.problems.find((x) => x.code === 'service_down');
    assert.equal(p?.subject, 'memcached');
    assert.match(p!.fix, /memcached start/);
    // without the registry nobody can be called unregistered or a group unserved
    assert.ok(
      !codes(v).some((c) => c.startsWith('node_not_registered') || c.startsWith('group_unserved')),
      codes(v).join(' '),
    );
  });

  it('runs as `nms-agent cluster-status --json` with exit 1 when unhealthy', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'agent/main.ts', '--env', envA, 'cluster-status', '--json', '--timeout', '2000'],
      {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, NMS_KEY_PREFIX: prefix },
      },
    );
    assert.equal(r.status, 1, r.stderr);
    const v = JSON.parse(r.stdout) as ClusterView;
    assert.equal(v.schema, 'nms-agent-cluster/1');
    assert.ok(codes(v).includes('node_not_registered:nodeB'));
  });
});
