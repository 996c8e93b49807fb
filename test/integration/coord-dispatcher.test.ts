// The dispatcher against real MariaDB and Redis: due devices become BullMQ jobs once; a device
// still due after the re-offer window is queued again only when its job is gone (one EXISTS),
// not while its job still waits; more due devices than one addBulk slice are all queued.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { generateAppKey } from '../../lib/crypto.js';
import { migrate, openDb } from '../../agent/db/index.js';
import { CoordKeys } from '../../agent/coord/keys.js';
import { Dispatcher, jobIdOf } from '../../agent/coord/dispatcher.js';
import { createLogger } from '../../lib/log.js';
import { SERVICES } from '../helpers/services.js';

const DB_NAME = `nms_coord_dispatch_${process.pid}`;
const connection = { host: SERVICES.redis.host, port: Number(SERVICES.redis.port), maxRetriesPerRequest: null };
const DEVICES = 1200; // more than one addBulk slice (500)

test(
  'dispatcher: queues due devices once, re-queues only a device whose job is gone',
  { timeout: 60_000 },
  async (t) => {
    const db = await openDb(
      { host: '127.0.0.1', port: 13306, user: 'nmstest', password: 'nmstest', database: DB_NAME },
      { createDatabase: true },
    );
    const redis = new Redis({ ...connection, maxRetriesPerRequest: 2 });
    const keys = new CoordKeys(`coordtest-d-${randomUUID().slice(0, 8)}`);
    const queue = new Queue(keys.queueName('poller', 0), { connection, prefix: keys.bullPrefix });
    const dispatcher = new Dispatcher({
      redis,
      connection,
      db,
      keys,
      nodeId: 'n1',
      pollerName: 'tester',
      log: createLogger('test'),
      redispatchMs: 200,
      settings: () => ({ pollerFrequency: 300, discoveryFrequency: 21600, downRetry: 60, masterTimeout: 10 }),
    });
    t.after(async () => {
      await dispatcher.close();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      redis.disconnect();
      await db.query(`DROP DATABASE IF EXISTS \`${DB_NAME}\``);
      await db.end();
    });
    await migrate(db, { appKey: generateAppKey() });
    // discovered long ago, polled long ago: due for a poll, not for discovery
    const values = Array.from({ length: DEVICES }, (_, i) => `('h${i}', 0, 1, 0, UTC_TIMESTAMP(), NULL)`).join(',');
    await db.query(
      `INSERT INTO devices (hostname, poller_group, status, disabled, last_discovered, last_polled) VALUES ${values}`,
    );
    const first = await dispatcher.tick();
    assert.equal(first.master, true);
    assert.equal(first.due, DEVICES);
    assert.equal(first.queued, DEVICES, 'every due device queued, over several slices');
    assert.equal(await queue.getWaitingCount(), DEVICES);
    // within the window: nothing offered again
    assert.equal((await dispatcher.tick()).queued, 0);
    // after the window: jobs still waiting are left alone; the one whose job is gone is queued again
    const gone = (await queue.getJob(jobIdOf(7)))!;
    await gone.remove();
    await new Promise((r) => setTimeout(r, 250));
    const again = await dispatcher.tick();
    assert.equal(again.queued, 1, 'only the device whose job was removed');
    assert.ok(await queue.getJob(jobIdOf(7)), 'its job is back');
    assert.equal(await queue.getWaitingCount(), DEVICES);
  },
);
