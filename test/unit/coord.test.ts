// Unit tests of the coordination pieces that need no service: key names, the due query's shape
// and parameters, lock timing rules, the Prometheus rendering and the log throttle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoordKeys, keyPrefixFromEnv, parseQueueName } from '../../agent/coord/keys.js';
import { dueQuery } from '../../agent/coord/due.js';
import { defaultLockDurationMs, doneMarkerMs } from '../../agent/coord/worker-pool.js';
import { jobIdOf } from '../../agent/coord/dispatcher.js';
import { Metrics } from '../../agent/daemon/metrics.js';
import { throttled } from '../../lib/throttle.js';
import { stuckWorkers } from '../../agent/daemon/worker-check.js';

test('key names share one prefix and queue names round-trip', () => {
  const k = new CoordKeys('p1');
  assert.equal(k.dispatcherLock, 'p1:dispatcher');
  assert.equal(k.deviceLock('poller', 42), 'p1:lock:poller:42');
  assert.equal(k.deviceDone('poller', 42), 'p1:done:poller:42');
  assert.equal(k.bullPrefix, 'p1:bull');
  assert.equal(k.node('abc'), 'p1:node:abc');
  assert.equal(k.deviceRecord('discovery', 7), 'p1:device:7:discovery');
  assert.equal(k.queueName('discovery', 3), 'discovery-3');
  assert.deepEqual(parseQueueName('poller-12'), { type: 'poller', group: 12 });
  assert.equal(parseQueueName('poller-x'), undefined);
  assert.deepEqual(parseQueueName('services-1'), { type: 'services', group: 1 });
  assert.equal(parseQueueName('alerts-1'), undefined);
});

test('key prefix from the environment is checked', () => {
  assert.equal(keyPrefixFromEnv({}), 'nms');
  assert.equal(keyPrefixFromEnv({ NMS_KEY_PREFIX: 'test-1.a' }), 'test-1.a');
  assert.throws(() => keyPrefixFromEnv({ NMS_KEY_PREFIX: 'has space' }), /NMS_KEY_PREFIX/);
});

test('BullMQ job ids are never plain integers', () => {
  assert.equal(jobIdOf(17), 'd17');
  assert.ok(!/^\d+$/.test(jobIdOf(17)));
});

test('due query: parameters in placeholder order, groups filter, slowest first', () => {
  const q = dueQuery({ pollerFrequency: 300, discoveryFrequency: 21600, downRetry: 60 });
  assert.equal((q.sql.match(/\?/g) ?? []).length, q.params.length);
  assert.deepEqual(q.params, [299, 60, 60, 21599]);
  assert.match(q.sql, /ORDER BY never_discovered DESC, `last_polled_timetaken` DESC/);
  assert.match(q.sql, /`disabled` = 0/);
  const g = dueQuery({ pollerFrequency: 5, discoveryFrequency: 60, downRetry: 3, groups: [0, 2] });
  assert.equal((g.sql.match(/\?/g) ?? []).length, g.params.length);
  assert.deepEqual(g.params.slice(-2), [0, 2]);
  assert.match(dueQuery({ pollerFrequency: 5, discoveryFrequency: 60, downRetry: 3, groups: [] }).sql, /AND FALSE/);
});

test('lock durations scale with the frequency within 2..30 s; done markers outlive a queue wait', () => {
  assert.equal(defaultLockDurationMs(5), 2000);
  assert.equal(defaultLockDurationMs(120), 12_000);
  assert.equal(defaultLockDurationMs(300), 30_000);
  assert.equal(defaultLockDurationMs(21600), 30_000);
  assert.equal(doneMarkerMs(5), 60_000);
  assert.equal(doneMarkerMs(300), 600_000);
});

test('metrics render in Prometheus text format with escaped labels and a histogram', async () => {
  const m = new Metrics();
  m.recordJob({ type: 'poller', group: 1, deviceId: 3, outcome: 'ok', startedAt: 0, durationMs: 700 });
  m.recordJob({ type: 'poller', group: 1, deviceId: 4, outcome: 'skipped', startedAt: 0, durationMs: 1 });
  m.set('nms_test_gauge', 'A "gauge".', { name: 'a"b\\c' }, 2);
  m.gauge('nms_read_gauge', 'Read at scrape.', () => [[{ q: 'poller-0' }, 5]]);
  m.gauge('nms_broken_gauge', 'Source down.', () => {
    throw new Error('down');
  });
  const text = await m.render();
  assert.match(text, /^# TYPE nms_agent_jobs_total counter$/m);
  assert.match(text, /^nms_agent_jobs_total\{type="poller",group="1",outcome="ok"\} 1$/m);
  assert.match(text, /^nms_agent_jobs_total\{type="poller",group="1",outcome="skipped"\} 1$/m);
  assert.match(text, /^nms_agent_job_duration_seconds_bucket\{type="poller",group="1",le="0.5"\} 0$/m);
  assert.match(text, /^nms_agent_job_duration_seconds_bucket\{type="poller",group="1",le="1"\} 1$/m);
  assert.match(text, /^nms_agent_job_duration_seconds_bucket\{type="poller",group="1",le="\+Inf"\} 1$/m);
  assert.match(text, /^nms_agent_job_duration_seconds_sum\{type="poller",group="1"\} 0.7$/m);
  assert.match(text, /^nms_agent_job_duration_seconds_count\{type="poller",group="1"\} 1$/m);
  assert.match(text, /^nms_test_gauge\{name="a\\"b\\\\c"\} 2$/m);
  assert.match(text, /^nms_read_gauge\{q="poller-0"\} 5$/m);
  assert.doesNotMatch(text, /nms_broken_gauge/);
});

test('throttled logs the first error and folds repeats within the interval', () => {
  const seen: [string, number][] = [];
  const log = throttled((err, n) => seen.push([err.message, n]), 60_000);
  log(new Error('a'));
  log(new Error('b'));
  log(new Error('c'));
  assert.deepEqual(seen, [['a', 0]]);
});

test('stuck workers: jobs waiting and none taken for longer than a job may take', () => {
  const deadline = () => 225_000; // 0.75 x 300 s
  const counts = { 'poller-0': { waiting: 3 }, 'poller-1': { waiting: 0 }, 'discovery-0': { waiting: 0 } };
  const now = 10_000_000;
  assert.equal(
    stuckWorkers(['poller', 'discovery'], counts, () => now - 200_000, deadline, now),
    undefined,
    'recent progress',
  );
  assert.equal(
    stuckWorkers(['poller', 'discovery'], { ...counts, 'poller-0': { waiting: 0 } }, () => 0, deadline, now),
    undefined,
    'idle with nothing waiting',
  );
  assert.match(
    stuckWorkers(['poller', 'discovery'], counts, () => now - 300_000, deadline, now) ?? '',
    /3 poller job\(s\) waiting and none taken for 300 s/,
  );
  assert.equal(
    stuckWorkers(['discovery'], counts, () => now - 300_000, deadline, now),
    undefined,
    'only the types this node serves',
  );
});
