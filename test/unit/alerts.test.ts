// Alert rule configuration and the state machine of one alert (no services).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, retryDelayMs, ALERT_STATE } from '../../agent/alerts/state.js';
import { alertsFromSettings, DEFAULT_ALERT_RULES, mergeRules, RULE_KINDS } from '../../lib/alerts.js';
import { syslogLevelNumber, syslogPatternProblem } from '../../lib/alerts.js';
import { summary } from '../../agent/alerts/transports/common.js';

const u = undefined;
const T0 = Date.parse('2026-12-06T00:00:00Z');

test('state machine: ok → alerting → recovered without a delay', () => {
  assert.equal(decide(undefined, false, T0, 0), 'none');
  assert.equal(decide(undefined, true, T0, 0), 'alert');
  const alerting = { id: 1, state: ALERT_STATE.alerting };
  assert.equal(decide(alerting, true, T0, 0), 'none', 'still faulty: no second notification');
  assert.equal(decide(alerting, false, T0, 0), 'recover');
  assert.equal(decide({ id: 1, state: ALERT_STATE.ok }, false, T0, 0), 'none', 'recovered stays quiet');
});

test('state machine: the delay holds the alert back until the condition lasted that long', () => {
  assert.equal(decide(undefined, true, T0, 60), 'pend');
  const pending = { id: 1, state: ALERT_STATE.ok, pendingSince: T0 };
  assert.equal(decide(pending, true, T0 + 59_999, 60), 'none');
  assert.equal(decide(pending, true, T0 + 60_000, 60), 'alert');
  assert.equal(decide(pending, false, T0 + 30_000, 60), 'unpend', 'cleared within the delay: no alert at all');
});

test('state machine: an acknowledged alert stays quiet while faulty and recovers when cleared', () => {
  const acked = { id: 1, state: ALERT_STATE.acknowledged };
  assert.equal(decide(acked, true, T0, 0), 'none');
  assert.equal(decide(acked, false, T0, 0), 'recover');
});

test('retry delay doubles from the back-off and stops at 300 s', () => {
  assert.deepEqual(
    [1, 2, 3, 4].map((n) => retryDelayMs(n, 5)),
    [5000, 10_000, 20_000, 40_000],
  );
  assert.equal(retryDelayMs(20, 5), 300_000);
});

test('defaults: the six built-in rules; a same-named user rule replaces its default', () => {
  const kinds = DEFAULT_ALERT_RULES.map((r) => r.kind);
  assert.deepEqual(kinds, ['device_down', 'port_down', 'sensor', 'storage', 'service', 'poller_down']);
  assert.equal(DEFAULT_ALERT_RULES.find((r) => r.kind === 'storage')?.threshold, 90);
  assert.equal(DEFAULT_ALERT_RULES.find((r) => r.kind === 'poller_down')?.cycles, 2);
  const own = { name: 'device-down', kind: 'device_down', severity: 'warning', delay: 120, disabled: false } as const;
  const merged = mergeRules([own], true);
  assert.equal(merged.length, 6);
  assert.equal(merged.find((r) => r.name === 'device-down')?.delay, 120);
  assert.deepEqual(mergeRules([], false), []);
  assert.ok(RULE_KINDS.includes('syslog') && !kinds.includes('syslog'), 'syslog is user-defined only');
});

test('syslog rules: the pattern, the level, and the agent dropping a rule without a usable match', () => {
  assert.equal(syslogPatternProblem('link (down|flap)'), undefined);
  assert.equal(syslogPatternProblem(undefined), 'needs match (a regular expression)');
  assert.equal(syslogPatternProblem(''), 'needs match (a regular expression)');
  assert.match(String(syslogPatternProblem('link (down')), /^match is not a valid regular expression: /);
  assert.deepEqual([syslogLevelNumber('emerg'), syslogLevelNumber('warning'), syslogLevelNumber(7)], [0, 4, 7]);
  assert.deepEqual([syslogLevelNumber('error'), syslogLevelNumber(8), syslogLevelNumber(undefined)], [u, u, u]);
  const good = { name: 'bgp', kind: 'syslog', match: 'BGP.*Down', program: 'rpd', level: 'err', within: 600 };
  const rules = [good, { name: 'nomatch', kind: 'syslog' }, { name: 'broken', kind: 'syslog', match: '[a-' }];
  const { config, problems } = alertsFromSettings({ defaults: false, rules }, '');
  const base = { severity: 'critical', delay: 0, disabled: false };
  assert.deepEqual(config.rules, [{ ...base, ...good }]);
  assert.equal(problems.length, 2);
  assert.match(problems[0], /ignored rule nomatch: needs match/);
  assert.match(problems[1], /ignored rule broken: match is not a valid regular expression/);
});

test('agent side: secrets merge over transports and never need to be in config.yaml', () => {
  const raw = {
    interval: 30,
    defaults: true,
    rules: [{ name: 'disk', kind: 'storage', severity: 'critical', delay: 0, disabled: false, threshold: 95 }],
    transports: [{ name: 'ops', type: 'webhook', headers: { 'x-team': 'net' } }],
  };
  const ops = { url: 'https://hook.invalid/secret-path', headers: { authorization: 'Bearer s3cret' } };
  const secrets = JSON.stringify({ ops });
  const { config, problems } = alertsFromSettings(raw, secrets);
  assert.deepEqual(problems, []);
  assert.equal(config.interval, 30);
  assert.equal(config.rules.length, 7);
  assert.deepEqual(config.transports[0], {
    name: 'ops',
    type: 'webhook',
    url: 'https://hook.invalid/secret-path',
    headers: { 'x-team': 'net', authorization: 'Bearer s3cret' },
    timeout: 10,
    retries: 5,
    backoff: 5,
  });
  assert.deepEqual(alertsFromSettings(undefined, '').config.rules, DEFAULT_ALERT_RULES);
  assert.deepEqual(alertsFromSettings(undefined, '{oops').problems, ['ALERT_SECRETS is not valid JSON']);
  const bad = alertsFromSettings({ rules: [{ name: 'x', kind: 'nope' }] }, '');
  assert.equal(bad.problems.length, 1);
});

test('summary line of a notification', () => {
  const p = {
    alert_id: 3,
    log_id: 9,
    rule: 'device-down',
    severity: 'critical',
    state: 'alert' as const,
    device_id: 4,
    hostname: 'sw1',
    entity: '',
    message: 'Device sw1 is down (icmp)',
    timestamp: '',
  };
  assert.equal(summary(p), 'CRITICAL device-down: Device sw1 is down (icmp)');
  assert.equal(summary({ ...p, state: 'recovered' }), 'RECOVERED device-down: Device sw1 is down (icmp)');
});
