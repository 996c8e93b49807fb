// The settings seam: serviceOf maps a node's service_<type>_* settings to what the workers and
// the Poller use, and rrd_step is a checked setting. Expected values are LibreNMS's defaults
// (poller 300 s, discovery 21600 s, ping 120 s) and the fractions documented in
// docs/agent-coordination.md (a job 0.75 of its frequency, the device 0.7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../lib/errors.js';
import { DEFAULT_NODE_SETTINGS, rrdStepOf, serviceOf, validateSettings } from '../../lib/node-config.js';
import { DEFAULT_POLLER_OPTIONS } from '../../agent/poll/poller.js';

const base = { distributed_poller_name: 'p1', cluster_address: '127.0.0.1' };

test('serviceOf: workers, frequency and deadlines of each job type from the settings', () => {
  const s = validateSettings({ ...base, service_poller_workers: 12, service_ping_frequency: 60 }, 'config.yaml');
  assert.deepEqual(serviceOf(s, 'poller'), {
    workers: 12,
    frequency: 300,
    deadlineMs: 225_000,
    deviceDeadlineMs: 210_000,
  });
  assert.equal(serviceOf(s, 'discovery').frequency, 21_600);
  assert.equal(serviceOf(s, 'discovery').workers, 16);
  assert.equal(serviceOf(s, 'ping').deadlineMs, 45_000);
  // a services job is a group's whole round: one at a time per group
  assert.equal(serviceOf(s, 'services').workers, 1);
  // the device's own deadline never drops under a second
  assert.equal(serviceOf({ ...s, service_poller_frequency: 1 }, 'poller').deviceDeadlineMs, 1000);
});

test('the Poller built without settings uses the node defaults', () => {
  assert.equal(DEFAULT_POLLER_OPTIONS.maxConcurrent, DEFAULT_NODE_SETTINGS.service_poller_workers);
  assert.equal(DEFAULT_POLLER_OPTIONS.snmpTimeoutMs, DEFAULT_NODE_SETTINGS.snmp_timeout_ms);
  assert.equal(DEFAULT_POLLER_OPTIONS.defaultDeadlineMs, 210_000);
});

test('rrd_step: the poller frequency unless set; a bad value is refused with its name', () => {
  assert.equal(rrdStepOf(validateSettings({ ...base, service_poller_frequency: 60 }, 'c.yaml')), 60);
  assert.equal(rrdStepOf(validateSettings({ ...base, rrd_step: 300, service_poller_frequency: 60 }, 'c.yaml')), 300);
  for (const bad of [0, 2.5, '300'])
    assert.throws(
      () => validateSettings({ ...base, rrd_step: bad }, 'c.yaml'),
      (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /rrd_step must be a whole number/);
        return true;
      },
    );
});
