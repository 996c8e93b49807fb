// HashSet53: the RRD writer's set of created files, checked against a plain Set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HashSet53 } from '../../agent/rrd/hash-set.js';
import { pathHash } from '../../agent/rrd/writer.js';

test('add, has and delete agree with a Set through growth and tombstone rebuilds', { timeout: 20_000 }, () => {
  const set = new HashSet53(4);
  const ref = new Set<number>();
  // a small deterministic generator: the same sequence every run
  let x = 12345;
  const next = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x);
  for (let i = 0; i < 60_000; i++) {
    const h = pathHash(`host${next() % 3000}/port-id${next() % 20}.rrd`);
    if (next() % 4 === 0) assert.equal(set.delete(h), ref.delete(h), `delete #${i}`);
    else assert.equal(set.add(h), !ref.has(h) && Boolean(ref.add(h)), `add #${i}`);
    if (i % 97 === 0) assert.equal(set.size, ref.size);
  }
  for (const h of ref) assert.ok(set.has(h));
  for (let i = 0; i < 5000; i++) {
    const h = pathHash(`other${i}`);
    assert.equal(set.has(h), ref.has(h));
  }
  assert.equal(set.size, ref.size);
});

test('0 and the largest 53-bit hash are ordinary members', () => {
  const s = new HashSet53();
  assert.equal(s.has(0), false);
  assert.equal(s.add(0), true);
  assert.equal(s.has(0), true);
  assert.equal(s.add(2 ** 53 - 1), true);
  assert.equal(s.has(2 ** 53 - 1), true);
  assert.equal(s.delete(0), true);
  assert.equal(s.has(0), false);
  assert.equal(s.size, 1);
  s.clear();
  assert.equal(s.has(2 ** 53 - 1), false);
  assert.equal(s.size, 0);
});

test('half a million files fit in 8 MiB off the heap', { timeout: 20_000 }, () => {
  const s = new HashSet53();
  for (let d = 0; d < 10_000; d++)
    for (let p = 0; p < 52; p++) s.add(pathHash(`127.0.0.1_${17000 + d}/port-id${d * 52 + p}.rrd`));
  assert.ok(s.size > 519_990, `size ${s.size}`); // a collision or two among 520,000 is allowed
  assert.ok(s.bytes <= 8 * 2 ** 20, `bytes ${s.bytes}`);
});
