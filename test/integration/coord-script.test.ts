// LuaScript against real Redis: the first call of a script Redis has never seen falls back from
// EVALSHA to EVAL (NOSCRIPT), later calls go by SHA1, and an error of the script itself is
// passed on rather than retried.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { LuaScript } from '../../agent/coord/script.js';
import { SERVICES } from '../helpers/services.js';

const { host, port } = SERVICES.redis;

test('LuaScript: NOSCRIPT falls back to EVAL once, then EVALSHA finds it', async () => {
  const redis = new Redis({ host, port: Number(port), maxRetriesPerRequest: 2 });
  const key = `coordtest-script-${randomUUID()}`;
  try {
    // a fresh text (the uuid in a comment), so Redis cannot know it yet
    const script = new LuaScript(`-- ${randomUUID()}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`, 1);
    const [known] = (await redis.script('EXISTS', script.sha)) as number[];
    assert.equal(known, 0);
    assert.equal(await script.run(redis, key, 2), 2);
    const [loaded] = (await redis.script('EXISTS', script.sha)) as number[];
    assert.equal(loaded, 1);
    assert.equal(await script.run(redis, key, 3), 5);
    const failing = new LuaScript(`-- ${randomUUID()}\nreturn redis.call('NOSUCHCOMMAND')`, 0);
    await assert.rejects(failing.run(redis), /Unknown Redis command|unknown command/i);
  } finally {
    await redis.del(key);
    redis.disconnect();
  }
});
