// lib/timeout.ts: the one bounded wait of the doctor's checks and the cluster view's sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withTimeout } from '../../lib/timeout.js';

test('withTimeout settles like the promise when it is in time', async () => {
  assert.equal(await withTimeout(Promise.resolve(42), 1000, 'x'), 42);
  await assert.rejects(withTimeout(Promise.reject(new Error('refused')), 1000, 'x'), /^Error: refused$/);
});

test('withTimeout rejects naming what did not answer and the limit', async () => {
  const never = new Promise<never>(() => {});
  await assert.rejects(withTimeout(never, 20, 'redis'), { message: 'redis: no answer within 20 ms' });
});
