// The agent bench's record of polls (bench/lib/poll-watch.ts) against real MariaDB: a poll's row
// is written when it ends but holds when it started, so a poll longer than a sample's short
// look-back must still be seen (by the long samples), once; a fast one is seen by the next sample.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { migrate, openDb } from '../../agent/db/index.js';
import { generateAppKey } from '../../lib/crypto.js';
import { countPolls, PollWatch } from '../../bench/lib/poll-watch.js';

const NAME = `nms_poll_watch_${process.pid}`;
const DB = { host: '127.0.0.1', port: 13306, user: 'nmstest', password: 'nmstest', database: NAME };

test('the watch sees a poll that took longer than its short look-back, and counts no missed poll', async (t) => {
  const db = await openDb(DB, { createDatabase: true });
  t.after(async () => {
    await db.query(`DROP DATABASE IF EXISTS \`${NAME}\``).catch(() => {});
    await db.end();
  });
  await migrate(db, { appKey: generateAppKey() });
  const now = Math.floor(Date.now() / 1000);
  // two devices polled one frequency (300 s) ago, as the rows of the first round
  await db.query(`INSERT INTO devices (device_id, hostname, status, last_polled, last_polled_timetaken)
    VALUES (1, 'fast', 1, FROM_UNIXTIME(${now - 300}), 0.1), (2, 'slow', 1, FROM_UNIXTIME(${now - 300}), 0.2)`);
  // a long sample every 3rd (the bench: every 20th of 3 s)
  const watch = new PollWatch(db, 3_600_000, 240, 3);
  await watch.sample(); // long (the first), sees both rows
  await watch.sample(); // short
  // the slow device's next poll started 30 s ago and ends now; the fast one's started now
  await db.query(`UPDATE devices SET last_polled = FROM_UNIXTIME(${now - 30}), last_polled_timetaken = 30
    WHERE device_id = 2`);
  await db.query(`UPDATE devices SET last_polled = FROM_UNIXTIME(${now}), last_polled_timetaken = 0.1
    WHERE device_id = 1`);
  await watch.sample(); // short: its look-back (a few seconds) sees the fast poll only
  assert.deepEqual(watch.polls.get(1), [now - 300, now]);
  assert.deepEqual(watch.polls.get(2), [now - 300], 'a short sample cannot see a poll that started 30 s ago');
  await watch.sample(); // long: rows written since the last long sample
  assert.deepEqual(watch.polls.get(2), [now - 300, now - 30]);
  assert.equal(watch.took.get(2)?.get(now - 30), 30);
  await watch.stop();
  assert.deepEqual(watch.polls.get(2), [now - 300, now - 30], 'seen once');
  const counts = countPolls(watch.polls, [1, 2], now - 310, now + 1, 300);
  assert.equal(counts.missed, 0, JSON.stringify(counts));
  assert.equal(counts.polls, 4);
});
