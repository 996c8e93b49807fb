// The worker pool against real Redis/BullMQ: the per-device lock as second guard, the hold after
// a run, the job deadline (handler that obeys the signal and one that ignores it), and close()
// with a drain deadline that aborts running handlers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { CoordKeys, type JobType } from '../../agent/coord/keys.js';
import { WorkerPool, type JobHandler, type JobRecord } from '../../agent/coord/worker-pool.js';
import { jobIdOf } from '../../agent/coord/dispatcher.js';
import { redisNow } from '../../agent/coord/device-claim.js';
import { createLogger } from '../../lib/log.js';
import { SERVICES } from '../helpers/services.js';

const { host: REDIS_HOST, port: REDIS_PORT } = SERVICES.redis;
const connection = { host: REDIS_HOST, port: Number(REDIS_PORT), maxRetriesPerRequest: null };

function setup(handler: JobHandler, freq = 4) {
  const keys = new CoordKeys(`coordtest-w-${randomUUID().slice(0, 8)}`);
  const redis = new Redis({ ...connection, maxRetriesPerRequest: 2 });
  const pool = new WorkerPool({
    connection,
    redis,
    keys,
    nodeId: 'node-t',
    pollerName: 'tester',
    groups: [0],
    types: ['poller'],
    service: () => ({ workers: 4, frequency: freq, deadlineMs: freq * 1000 * 0.25 }), // 1 s at freq 4
    handler,
    log: createLogger('test'),
    abortGraceMs: 300,
  });
  const queue = new Queue(keys.queueName('poller', 0), {
    connection,
    prefix: keys.bullPrefix,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
  });
  const records: JobRecord[] = [];
  pool.on('job', (r: JobRecord) => records.push(r));
  pool.on('error', () => {});
  const add = async (deviceId: number, readAt = 0) => {
    // The previous job of this device is removed just after its 'job' event: wait, or the add is de-duplicated.
    for (let i = 0; i < 100 && (await queue.getJob(jobIdOf(deviceId))); i++)
      await new Promise((r) => setTimeout(r, 20));
    return queue.add('poller', { deviceId, readAt }, { jobId: jobIdOf(deviceId) });
  };
  const next = async () => (await once(pool, 'job'))[0] as JobRecord;
  const cleanup = async () => {
    await pool.close(1000);
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    const left = await redis.keys(`${keys.prefix}:*`);
    if (left.length) await redis.del(...left);
    redis.disconnect();
  };
  return { keys, redis, pool, queue, records, add, next, cleanup };
}

test(
  'a device locked by another worker is skipped; a job read before the last run ended is stale',
  { timeout: 30_000 },
  async (t) => {
    const ran: number[] = [];
    const s = setup(async (_type: JobType, id) => void ran.push(id));
    t.after(s.cleanup);
    await s.redis.set(s.keys.deviceLock('poller', 1), 'someone-else', 'PX', 10_000);
    s.pool.start();
    let rec = s.next();
    await s.add(1);
    let r = await rec;
    assert.equal(r.outcome, 'skipped');
    assert.equal(r.error, 'busy');
    assert.deepEqual(ran, [], 'the handler did not run for a locked device');

    // A due-read taken now, then a run of device 2 that ends after it ...
    const staleRead = await redisNow(s.redis);
    rec = s.next();
    await s.add(2, await redisNow(s.redis));
    assert.equal((await rec).outcome, 'ok');
    assert.deepEqual(ran, [2]);
    assert.equal(await s.redis.exists(s.keys.deviceLock('poller', 2)), 0, 'lock released after the run');
    assert.ok(Number(await s.redis.get(s.keys.deviceDone('poller', 2))) >= staleRead);
    // ... so a job queued from that earlier read is stale and skipped, however late it arrives,
    rec = s.next();
    await s.add(2, staleRead);
    r = await rec;
    assert.equal(r.outcome, 'skipped');
    assert.equal(r.error, 'stale');
    // while one from a read taken after the run ends runs.
    rec = s.next();
    await s.add(2, await redisNow(s.redis));
    assert.equal((await rec).outcome, 'ok');
    assert.deepEqual(ran, [2, 2]);
  },
);

test(
  'deadline: the signal aborts; a handler that ignores it is given up after the grace and keeps its lock',
  { timeout: 30_000 },
  async (t) => {
    const s = setup(async (_type, id, signal) => {
      if (id === 1) await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      else await new Promise((r) => setTimeout(r, 3000)); // ignores the signal
    });
    t.after(s.cleanup);
    s.pool.start();
    let rec = s.next();
    await s.add(1);
    const r1 = await rec;
    assert.equal(r1.outcome, 'timeout');
    assert.ok(r1.durationMs >= 900 && r1.durationMs < 2500, `aborted after ${r1.durationMs} ms`);
    assert.equal(
      await s.redis.exists(s.keys.deviceLock('poller', 1)),
      0,
      'a failed run that returned releases its lock',
    );
    assert.equal(
      await s.redis.exists(s.keys.deviceDone('poller', 1)),
      0,
      'and leaves no done marker, so it is queued again',
    );

    rec = s.next();
    await s.add(3);
    const r3 = await rec;
    assert.equal(r3.outcome, 'timeout');
    assert.match(r3.error ?? '', /did not stop/);
    assert.ok(r3.durationMs >= 1200 && r3.durationMs < 2900, `given up after ${r3.durationMs} ms`);
    // The runaway handler's lock is left to expire, not released.
    const holder = await s.redis.get(s.keys.deviceLock('poller', 3));
    assert.ok(holder?.startsWith('node-t-'), `lock holder ${holder}`);
  },
);

test(
  'close() drains with a deadline: running handlers are aborted and close returns',
  { timeout: 30_000 },
  async (t) => {
    let aborted: unknown;
    const s = setup(async (_type, _id, signal) => {
      await new Promise((_, reject) =>
        signal.addEventListener('abort', () => {
          aborted = signal.reason;
          reject(signal.reason);
        }),
      );
    }, 60); // deadline 15 s: only close() can end it
    t.after(s.cleanup);
    s.pool.start();
    await s.add(5);
    for (let i = 0; i < 50 && s.pool.active === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(s.pool.active, 1);
    const t0 = Date.now();
    await s.pool.close(500);
    const took = Date.now() - t0;
    assert.ok(took < 3000, `close took ${took} ms`);
    assert.match(String((aborted as Error)?.message), /shutting down/);
    assert.equal(s.records.at(-1)?.outcome, 'error');
  },
);
