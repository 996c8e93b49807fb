// The due rule against real MariaDB rows (agent/db schema), and the owner-token locks against
// real Redis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { generateAppKey } from '../../lib/crypto.js';
import { migrate, openDb } from '../../agent/db/index.js';
import { findDueDevices } from '../../agent/coord/due.js';
import { acquireLock, releaseLock, renewLock, renewOrRetakeLock } from '../../agent/coord/lock.js';
import { SERVICES } from '../helpers/services.js';

const DB_NAME = `nms_coord_due_${process.pid}`;
const { host: REDIS_HOST, port: REDIS_PORT } = SERVICES.redis;

test(
  'due rule: discovery first, frequency - 1 after the start, down retry, disabled, slowest first',
  { timeout: 60_000 },
  async (t) => {
    const db = await openDb(
      { host: '127.0.0.1', port: 13306, user: 'nmstest', password: 'nmstest', database: DB_NAME },
      { createDatabase: true },
    );
    t.after(async () => {
      await db.query(`DROP DATABASE IF EXISTS \`${DB_NAME}\``);
      await db.end();
    });
    await migrate(db, { appKey: generateAppKey() });
    // [hostname, group, status, disabled, last_discovered s ago, last_polled s ago, attempted s ago, timetaken]
    const rows: [string, number, number, number, number | null, number | null, number | null, number | null][] = [
      ['new', 0, 0, 0, null, null, null, null], // 1: never discovered -> discovery
      ['new-down-recent', 0, 0, 0, null, null, 10, null], // 2: failed discovery 10 s ago -> nothing
      ['new-down-old', 1, 0, 0, null, null, 100, null], // 3: failed discovery 100 s ago -> discovery
      ['up-never-polled', 0, 1, 0, 50, null, 50, null], // 4: -> poll
      ['up-recent', 0, 1, 0, 50, 100, 100, 3], // 5: -> nothing
      ['up-due', 1, 1, 0, 50, 299, 299, 7], // 6: start + 299 <= now -> poll
      ['up-not-yet', 0, 1, 0, 50, 297, 297, 9], // 7: -> nothing
      ['down-recent', 0, 0, 0, 50, 1000, 30, 2], // 8: down, retried 30 s ago -> nothing
      ['down-old', 1, 0, 0, 50, 1000, 61, 2], // 9: down, retried 61 s ago -> poll (not discovery)
      ['disabled', 0, 1, 1, null, null, null, null], // 10: -> nothing
      ['rediscover', 0, 1, 0, 21600, 10, 10, 1], // 11: -> discovery only
      ['slow-due', 0, 1, 0, 50, 400, 400, 50], // 12: -> poll, before 6 (slower)
    ];
    const ago = (s: number | null) => (s === null ? 'NULL' : `UTC_TIMESTAMP() - INTERVAL ${s} SECOND`);
    for (const [host, group, status, disabled, disc, polled, attempted, taken] of rows) {
      await db.query(
        `INSERT INTO devices (hostname, poller_group, status, disabled, last_discovered, last_polled,
         last_poll_attempted, last_polled_timetaken)
       VALUES (?, ?, ?, ?, ${ago(disc)}, ${ago(polled)}, ${ago(attempted)}, ?)`,
        [host, group, status, disabled, taken],
      );
    }
    await db.query("SET time_zone = '+00:00'");
    const due = await findDueDevices(db, { pollerFrequency: 300, discoveryFrequency: 21600, downRetry: 60 });
    const summary = due.map((d) => `${d.deviceId}:${d.discover ? 'D' : ''}${d.poll ? 'P' : ''}`);
    // never-discovered first, then slowest first (timetaken 50, 7, 2, 1, NULL)
    assert.deepEqual(summary, ['1:D', '3:D', '12:P', '6:P', '9:P', '11:D', '4:P']);
    assert.equal(due.find((d) => d.deviceId === 3)?.group, 1);

    const g1 = await findDueDevices(db, {
      pollerFrequency: 300,
      discoveryFrequency: 21600,
      downRetry: 60,
      groups: [1],
    });
    assert.deepEqual(
      g1.map((d) => d.deviceId),
      [3, 6, 9],
    );
    // A shorter down retry makes device 8 due as well.
    const short = await findDueDevices(db, { pollerFrequency: 300, discoveryFrequency: 21600, downRetry: 20 });
    assert.ok(short.some((d) => d.deviceId === 8 && d.poll));
  },
);

test('owner-token locks: only the owner renews or releases', { timeout: 20_000 }, async (t) => {
  const redis = new Redis({ host: REDIS_HOST, port: Number(REDIS_PORT), maxRetriesPerRequest: 1 });
  t.after(() => redis.disconnect());
  const key = `coordtest-lock-${randomUUID()}`;
  assert.equal(await acquireLock(redis, key, 'a-1', 5000), true);
  assert.equal(await acquireLock(redis, key, 'b-1', 5000), false, 'a held lock is not taken');
  assert.equal(await acquireLock(redis, key, 'a-1', 5000), true, 'the owner re-acquiring extends');
  assert.equal(await renewLock(redis, key, 'b-1', 60_000), false);
  assert.ok((await redis.pttl(key)) <= 5000);
  assert.equal(await renewLock(redis, key, 'a-1', 60_000), true);
  assert.ok((await redis.pttl(key)) > 5000);
  assert.equal(await releaseLock(redis, key, 'b-1'), false);
  assert.equal(await redis.get(key), 'a-1');
  assert.equal(await releaseLock(redis, key, 'a-1'), true);
  assert.equal(await redis.exists(key), 0);
  assert.equal(await renewLock(redis, key, 'a-1', 1000), false, 'a released lock cannot be renewed');
  // expiry frees it for the next owner
  assert.equal(await acquireLock(redis, key, 'c-1', 100), true);
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(await acquireLock(redis, key, 'd-1', 1000), true);
  // Work still running keeps or retakes its lock, never someone else's.
  assert.equal(await renewOrRetakeLock(redis, key, 'd-1', 1000), 'renewed');
  assert.equal(await renewOrRetakeLock(redis, key, 'e-1', 1000), 'lost');
  assert.equal(await redis.get(key), 'd-1');
  await redis.del(key); // as after a Redis restart without persistence
  assert.equal(await renewOrRetakeLock(redis, key, 'd-1', 1000), 'retaken');
  assert.equal(await redis.get(key), 'd-1');
  assert.ok((await redis.pttl(key)) > 0);
  await redis.del(key);
});
