// RRD spools across pollers against real rrdcached and real Redis: a device whose polls move
// between two pollers while rrdcached is down has updates of the same files in both spools.
// With the order book (Redis) both spools replay on their own timers as soon as rrdcached answers,
// in per-file time order whichever poller starts first, and a live write from a third poller
// queues behind them: no update refused, no NaN row. Without it (the old behaviour) the same
// outage loses points, and every refusal is logged with rrdcached's reason. A private rrdcached
// (its own directory and socket) is stopped and started, so the shared one is left alone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { setLogSink } from '../../lib/log.js';
import { RrdcachedClient } from '../../lib/rrdcached.js';
import { RrdSpool } from '../../agent/rrd/spool.js';
import { RrdWriter, type RrdPoint } from '../../agent/rrd/writer.js';
import { RedisSpoolOrder } from '../../agent/rrd/order.js';
import { rrdFiles } from '../../agent/rrd/layout.js';
import { CoordKeys } from '../../agent/coord/keys.js';
import { SERVICES } from '../helpers/services.js';

const { host: REDIS_HOST, port: REDIS_PORT } = SERVICES.redis;
const STEP = 10;
const dir = mkdtempSync(join(tmpdir(), 'nms-spool-order-'));
const sock = join(dir, 'rrdcached.sock');
let daemon: ChildProcess | undefined;
let redis: Redis;
const logs: string[] = [];
const closers: (() => Promise<void> | void)[] = [];

async function startRrdcached(): Promise<void> {
  daemon = spawn(
    'rrdcached',
    ['-g', '-b', join(dir, 'rrd'), '-B', '-R', '-l', `unix:${sock}`, '-p', join(dir, 'pid'), '-w', '3600', '-z', '1'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(existsSync(sock), 'private rrdcached did not start');
}
async function stopRrdcached(): Promise<void> {
  const p = daemon;
  daemon = undefined;
  if (!p) return;
  p.kill('SIGTERM');
  if (p.exitCode === null) await once(p, 'exit');
  rmSync(sock, { force: true });
}

before(async () => {
  spawn('mkdir', ['-p', join(dir, 'rrd')]);
  await new Promise((r) => setTimeout(r, 100));
  redis = new Redis({ host: REDIS_HOST, port: Number(REDIS_PORT), maxRetriesPerRequest: 1 });
  setLogSink((l) => logs.push(l));
});
after(async () => {
  setLogSink((l) => process.stderr.write(l + '\n'));
  for (const c of closers) await c();
  await stopRrdcached();
  await redis?.quit();
  rmSync(dir, { recursive: true, force: true });
});

/** One poller's writer: its own client and spool; the order book on `prefix` when given. */
function poller(name: string, prefix: string | undefined): RrdWriter {
  const client = new RrdcachedClient({ address: `unix:${sock}`, connectTimeoutMs: 300 });
  const order = prefix ? new RedisSpoolOrder({ redis, keys: new CoordKeys(prefix), nodeId: name }) : undefined;
  const w = new RrdWriter({
    client,
    step: STEP,
    spool: new RrdSpool({ dir: join(dir, `spool-${prefix ?? 'none'}-${name}`) }),
    order,
    retryAfterMs: 100_000,
    drainEveryMs: 200,
  });
  closers.push(
    () => w.close(),
    () => client.close(),
  );
  return w;
}

/** A port file of `host`: octets growing 1000 per second, so every row's rate is 1000. */
const point = (host: string, t: number): RrdPoint => {
  const def = rrdFiles.port(host, 1);
  return { def, time: t, values: def.ds.map((_, i) => (i < 2 ? t * 1000 : 0)) };
};

async function rows(host: string, from: number, to: number): Promise<(number | null)[]> {
  const c = new RrdcachedClient({ address: `unix:${sock}` });
  try {
    const f = await c.fetch(rrdFiles.port(host, 1).path, 'AVERAGE', from, to);
    return f.rows.filter((r) => r.time > from && r.time <= to).map((r) => r.values[0]);
  } finally {
    await c.close();
  }
}

/**
 * The outage: polls at t0..t5 (STEP apart, in the past so no waiting); rrdcached down for
 * t2..t4, during which the device moves A → B → A; C polls it live at t5 once rrdcached is back,
 * before the spools replayed; then B's spool starts replaying before A's.
 */
async function outage(prefix: string | undefined, host: string): Promise<{ t0: number; t5: number }> {
  const [a, b, c] = ['a', 'b', 'c'].map((n) => poller(n, prefix));
  const t0 = Math.floor(Date.now() / 1000 / STEP) * STEP - 20 * STEP;
  const t = (k: number) => t0 + k * STEP + 0.5;
  await startRrdcached();
  for (const k of [0, 1]) assert.deepEqual((await a.write([point(host, t(k))])).errors, []);
  await stopRrdcached();
  assert.ok((await a.write([point(host, t(2))])).spooled > 0);
  assert.ok((await b.write([point(host, t(3))])).spooled > 0);
  assert.ok((await a.write([point(host, t(4))])).spooled > 0);
  await startRrdcached();
  await c.write([point(host, t(5))]);
  b.start();
  c.start();
  await new Promise((r) => setTimeout(r, 600));
  a.start();
  for (let i = 0; i < 100 && [a, b, c].some((w) => w.spoolPending()); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(![a, b, c].some((w) => w.spoolPending()), 'every spool replayed within 10 s of rrdcached answering');
  return { t0, t5: t0 + 5 * STEP };
}

test(
  'with the order book: spools replay on their own as soon as rrdcached answers, in per-file order; no refusal, ' +
    'no NaN row',
  { timeout: 60_000 },
  async () => {
    const prefix = `spoolorder-${process.pid}-${Date.now()}`;
    const host = `ordered-${process.pid}`;
    logs.length = 0;
    const { t0, t5 } = await outage(prefix, host);
    const rejected = logs.filter((l) => l.includes('rrd_update_rejected'));
    if (process.env.NMS_TEST_VERBOSE) process.stderr.write(logs.join('\n') + '\n');
    assert.deepEqual(rejected, [], 'no update refused');
    assert.ok(
      logs.some((l) => l.includes('spool_replayed')),
      'the spools were replayed by their timers',
    );
    const r = await rows(host, t0 + STEP, t5);
    assert.equal(r.length, 4, JSON.stringify(r));
    assert.deepEqual(
      r.filter((v) => v === null || Math.abs(v - 1000) > 1e-6),
      [],
      `rows t1..t5: ${JSON.stringify(r)}`,
    );
    assert.deepEqual(await redis.keys(`${prefix}:rrdspool:dev:*`), [], 'the order book is empty again');
  },
);

test(
  "without it (each spool in its own order): points are refused, each logged with rrdcached's reason, and rows are NaN",
  { timeout: 60_000 },
  async () => {
    await stopRrdcached();
    const host = `unordered-${process.pid}`;
    logs.length = 0;
    const { t0, t5 } = await outage(undefined, host);
    const rejected = logs
      .filter((l) => l.includes('rrd_update_rejected'))
      .map((l) => JSON.parse(l) as { command: string; reason: string });
    assert.ok(rejected.length >= 1, 'refusals logged');
    for (const e of rejected) {
      assert.match(e.command, new RegExp(`^UPDATE ${host}/port-id1\\.rrd \\d+`));
      assert.match(e.reason, /illegal attempt to update using time/);
    }
    const r = await rows(host, t0 + STEP, t5);
    assert.ok(
      r.some((v) => v === null),
      `some rows lost: ${JSON.stringify(r)}`,
    );
  },
);

test(
  'a spooled batch rrdcached had already applied (its connection broke before the answer) replays without a refusal',
  { timeout: 30_000 },
  async () => {
    await stopRrdcached();
    await startRrdcached();
    const host = `applied-${process.pid}`;
    const client = new RrdcachedClient({ address: `unix:${sock}` });
    const spool = new RrdSpool({ dir: join(dir, 'spool-applied') });
    const w = new RrdWriter({ client, step: STEP, spool });
    closers.push(
      () => w.close(),
      () => client.close(),
    );
    const t0 = Math.floor(Date.now() / 1000 / STEP) * STEP - 5 * STEP;
    assert.deepEqual((await w.write([point(host, t0)])).errors, []);
    const p = point(host, t0 + STEP);
    const commands = w.commandsFor([p]);
    assert.deepEqual((await client.batch(commands)).errors, [], 'rrdcached took the batch');
    // the writer never heard the answer: the same batch is in its spool
    assert.ok(spool.append(commands, { key: host, time: p.time }));
    logs.length = 0;
    assert.equal(await w.replayNow(), commands.length);
    assert.ok(!w.spoolPending(), 'the spool is empty');
    assert.deepEqual(
      logs.filter((l) => l.includes('rrd_update_rejected')),
      [],
      'an update the file already has is not a refusal',
    );
    const replayed = logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.event === 'spool_replayed');
    assert.equal(replayed?.already_applied, 1, JSON.stringify(logs));
    assert.equal(replayed?.rejected, 0);
  },
);
