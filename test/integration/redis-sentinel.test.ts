// The agent's Redis connection through Sentinel, with real programs on loopback: a master, a
// replica and three sentinels (quorum 2) on free ports. `kill -9` of the master → the sentinels
// promote the replica and the agent's connection (redisOptions with REDIS_SENTINEL, as the
// agent and BullMQ use it) writes again, to the new master, with the data written before.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Queue, type ConnectionOptions } from 'bullmq';
import { redisOptions } from '../../agent/daemon/connections.js';
import type { NodeEnv } from '../../lib/node-config.js';

const PW = 'sentinel-test-pw';
const work = mkdtempSync(join(tmpdir(), 'nms-sentinel-'));
const procs = new Map<string, ChildProcess>();
const ports: Record<string, number> = {};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function startRedis(name: string, extra: string[]): void {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const args = [
    '--port',
    String(ports[name]),
    '--bind',
    '127.0.0.1',
    '--requirepass',
    PW,
    '--masterauth',
    PW,
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    ...extra,
  ];
  procs.set(name, spawn('redis-server', args, { stdio: 'ignore' }));
}

function startSentinel(name: string): void {
  const conf = join(work, `${name}.conf`);
  writeFileSync(
    conf,
    [
      `port ${ports[name]}`,
      'bind 127.0.0.1',
      `dir ${work}`,
      `sentinel monitor nms 127.0.0.1 ${ports.m} 2`,
      `sentinel auth-pass nms ${PW}`,
      'sentinel down-after-milliseconds nms 1000',
      'sentinel failover-timeout nms 5000',
      'sentinel parallel-syncs nms 1',
      '',
    ].join('\n'),
  );
  procs.set(name, spawn('redis-sentinel', [conf], { stdio: 'ignore' }));
}

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) assert.fail(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}

function direct(port: number): Redis {
  const r = new Redis({
    host: '127.0.0.1',
    port,
    password: PW,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  r.on('error', () => {});
  return r;
}

async function info(port: number, section: string): Promise<string> {
  const r = direct(port);
  try {
    await r.connect();
    return await r.info(section);
  } finally {
    r.disconnect();
  }
}

let env: NodeEnv;

before(async () => {
  for (const n of ['m', 'r', 's1', 's2', 's3']) ports[n] = await freePort();
  startRedis('m', []);
  startRedis('r', ['--replicaof', '127.0.0.1', String(ports.m)]);
  await until('replica linked', async () => /master_link_status:up/.test(await info(ports.r, 'replication')));
  for (const s of ['s1', 's2', 's3']) startSentinel(s);
  // every sentinel knows the replica and the other two sentinels
  for (const s of ['s1', 's2', 's3'])
    await until(`${s} ready`, async () => {
      const r = direct(ports[s]);
      try {
        await r.connect();
        const master = (await r.call('SENTINEL', 'MASTER', 'nms')) as string[];
        const field = (k: string) => Number(master[master.indexOf(k) + 1]);
        return field('num-slaves') === 1 && field('num-other-sentinels') === 2;
      } finally {
        r.disconnect();
      }
    });
  env = {
    DB_HOST: '',
    DB_PORT: 0,
    DB_DATABASE: '',
    DB_USERNAME: '',
    DB_PASSWORD: '',
    REDIS_HOST: 'unused',
    REDIS_PORT: 1,
    REDIS_PASSWORD: PW,
    REDIS_DB: 0,
    APP_KEY: '',
    NODE_ID: 'n',
    NMS_USER: 'nms',
    API_TOKEN: '',
    REDIS_SENTINEL: ['s1', 's2', 's3'].map((s) => `127.0.0.1:${ports[s]}`).join(','),
    REDIS_SENTINEL_SERVICE: 'nms',
    ALERT_SECRETS: '',
  };
});

after(async () => {
  for (const p of procs.values()) p.kill('SIGKILL');
  await sleep(200);
  rmSync(work, { recursive: true, force: true });
});

test(
  'kill -9 of the master: the replica is promoted and the agent connection follows, data kept',
  { timeout: 60_000 },
  async () => {
    const client = new Redis(redisOptions(env));
    client.on('error', () => {});
    const queue = new Queue('sentinel-test', { connection: redisOptions(env) as ConnectionOptions });
    queue.on('error', () => {});
    try {
      await client.set('nms:test:before', 'kept');
      await queue.add('job', { n: 1 });
      assert.equal(((await client.call('ROLE')) as string[])[0], 'master');
      const t0 = Date.now();
      procs.get('m')!.kill('SIGKILL');
      // writes through the same connection object until one lands on the promoted replica
      await until(
        'a write after the failover',
        async () => {
          await client.set('nms:test:after', String(Date.now()));
          const role = (await client.call('ROLE')) as string[];
          return role[0] === 'master' && /role:master/.test(await info(ports.r, 'replication'));
        },
        30_000,
      );
      const ms = Date.now() - t0;
      process.stderr.write(`sentinel failover: writes again ${ms} ms after kill -9 of the master\n`);
      assert.ok(ms < 30_000);
      assert.equal(await client.get('nms:test:before'), 'kept');
      // BullMQ through the same options
      await queue.add('job', { n: 2 });
      const counts = await queue.getJobCounts('waiting');
      assert.equal(counts.waiting, 2);
    } finally {
      await queue.close().catch(() => {});
      client.disconnect();
    }
  },
);
