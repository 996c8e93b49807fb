// Small shared helpers of lib/: the promise deadline and the repository root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NmsError } from '../../lib/errors.js';
import { repoRoot } from '../../lib/repo-root.js';
import { withTimeout } from '../../lib/timeout.js';

test('withTimeout: the value in time, an NmsError naming what and the ms when late, the error of p as is', async () => {
  assert.equal(await withTimeout(Promise.resolve(7), 1000, 'quick'), 7);
  const never = new Promise<never>(() => undefined);
  await assert.rejects(withTimeout(never, 20, 'redis ping'), (err: unknown) => {
    assert.ok(err instanceof NmsError);
    assert.equal(err.message, 'redis ping: no answer within 20 ms');
    return true;
  });
  await assert.rejects(withTimeout(Promise.reject(new Error('refused')), 1000, 'x'), /^Error: refused$/);
});

test('withTimeout clears its timer: a settled promise leaves nothing that keeps the process alive', async () => {
  const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  await withTimeout(Promise.resolve(1), 60_000, 'x');
  await withTimeout(Promise.reject(new Error('no')), 60_000, 'x').catch(() => undefined);
  const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  assert.equal(after, before);
});

test('repoRoot is the checkout: the directory with the package.json named nms above lib/', () => {
  const root = repoRoot();
  assert.equal(root, resolve(import.meta.dirname, '..', '..'));
  assert.equal(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name, 'nms');
});
