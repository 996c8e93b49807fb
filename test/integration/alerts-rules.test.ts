// The alert rules against real MariaDB (no agents): each built-in kind raises on the rows the
// pollers would write and recovers when they change back; the delay holds an alert back; an
// acknowledged alert stays quiet and still recovers; a disabled device or ignored port never
// alerts; the services rule waits for its table; the outbox delivers each change once; the API
// lists what is active; a syslog rule alerts for the devices with a matching message in its
// window and recovers when the window has passed.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { RowDataPacket } from 'mysql2/promise';
import { migrate, openDb, type Db } from '../../agent/db/index.js';
import { generateAppKey } from '../../lib/crypto.js';
import { createLogger } from '../../lib/log.js';
import { AlertEngine } from '../../agent/alerts/engine.js';
import { deliverDue } from '../../agent/alerts/outbox.js';
import { acknowledge, listAlerts } from '../../agent/alerts/store.js';
import { makeTransport } from '../../agent/alerts/transports/index.js';
import { alertsFromSettings, type AlertsConfig } from '../../lib/alerts.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { ApiServer } from '../../agent/api/server.js';
import { localDatetime } from '../../agent/syslog/record.js';

const DB_NAME = `nms_alerts_rules_${process.pid}`;
const DB = { host: '127.0.0.1', port: 13306, user: 'nmstest', password: 'nmstest', database: DB_NAME };
const TOKEN = 'alerts-test-token-0123456789';

async function one(db: Db, sql: string, args: unknown[] = []): Promise<RowDataPacket> {
  const [r] = await db.query<RowDataPacket[]>(sql, args);
  return r[0];
}

/** A database of the test's own (DB_NAME_<suffix>), migrated, dropped after the test. */
async function scratchDb(t: TestContext, suffix: string): Promise<Db> {
  const name = `${DB_NAME}_${suffix}`;
  const db = await openDb({ ...DB, database: name }, { createDatabase: true });
  t.after(async () => {
    await db.query(`DROP DATABASE IF EXISTS \`${name}\``).catch(() => {});
    await db.end();
  });
  await migrate(db, { appKey: generateAppKey() });
  return db;
}

/** What pollers would have written: two devices up, one never polled, one disabled and down. */
async function seed(db: Db): Promise<void> {
  await db.query(`INSERT INTO devices (device_id, hostname, status, status_reason, disabled)
    VALUES (1, 'sw1', 1, '', 0), (2, 'sw2', 1, '', 0), (3, 'new', 0, '', 0), (4, 'off', 0, 'icmp', 1)`);
  // down+up (alerts), down+down (admin down), down+up but ignored, up+up
  await db.query(`INSERT INTO ports (port_id, device_id, ifIndex, ifName, ifOperStatus, ifAdminStatus, \`ignore\`)
    VALUES
    (10, 1, 1, 'ge-0/0/1', 'down', 'up', 0), (11, 1, 2, 'ge-0/0/2', 'down', 'down', 0),
    (12, 1, 3, 'ge-0/0/3', 'down', 'up', 1), (13, 1, 4, 'ge-0/0/4', 'up', 'up', 0)`);
  await db.query(`INSERT INTO sensors (sensor_id, device_id, sensor_class, sensor_oid, sensor_index, sensor_type,
      sensor_descr, sensor_current, sensor_limit, sensor_limit_low) VALUES
    (20, 1, 'temperature', '.1.3.6.1.4.1.9.9.13.1.3.1.3.1', '1', 'cisco', 'Inlet', 71, 70, 5),
    (21, 1, 'temperature', '.1.3.6.1.4.1.9.9.13.1.3.1.3.2', '2', 'cisco', 'Outlet', 40, 70, 5),
    (22, 2, 'voltage', '.1.3.6.1.4.1.9.9.13.1.2.1.3.1', '1', 'cisco', 'PSU 12V', 10.5, 13, 11)`);
  await db.query(`INSERT INTO storage (storage_id, device_id, storage_mib, storage_index, storage_descr, storage_size,
      storage_units, storage_perc) VALUES
    (30, 2, 'hrstorage', '1', '/', 100, 1, 91), (31, 2, 'hrstorage', '2', '/var', 100, 1, 90)`);
  await db.query(`INSERT INTO poller_cluster (node_id, poller_name, last_report, master) VALUES
    ('n1', 'poller1', UTC_TIMESTAMP() - INTERVAL 700 SECOND, 0), ('n2', 'poller2', UTC_TIMESTAMP(), 1)`);
}

/** The `services` table as migration 41 makes it (LibreNMS's columns), one critical and one warning check. */
async function createServices(db: Db): Promise<void> {
  await db.query(`CREATE TABLE services (service_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    device_id INT UNSIGNED NOT NULL, service_ip TEXT NULL, service_type VARCHAR(255) NOT NULL,
    service_desc TEXT NOT NULL, service_param TEXT NULL, service_ignore TINYINT(1) NOT NULL DEFAULT 0,
    service_status TINYINT NOT NULL DEFAULT 0, service_changed INT UNSIGNED NOT NULL DEFAULT 0,
    service_message TEXT NOT NULL, service_disabled TINYINT(1) NOT NULL DEFAULT 0)`);
  await db.query(`INSERT INTO services (device_id, service_type, service_desc, service_status, service_message) VALUES
    (1, 'http', 'web', 2, 'HTTP CRITICAL - connection refused'), (1, 'tcp', 'ssh', 1, 'slow')`);
}

/** /api/v0/alerts lists the active alerts, filters, one by id, and refuses nonsense. */
async function checkApi(t: TestContext, db: Db, recoveredId: number): Promise<void> {
  const api = new ApiServer({ db, token: TOKEN, port: 0, nodeName: 'test', closeTimeoutMs: 500 });
  await api.start();
  t.after(() => api.close());
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${api.address().port}${path}`, { headers: { 'X-Auth-Token': TOKEN } });
    return { status: res.status, body: (await res.json()) as { count: number; alerts: Record<string, unknown>[] } };
  };
  const list = await get('/api/v0/alerts');
  assert.equal(list.status, 200);
  assert.equal(list.body.count, (await listAlerts(db)).length);
  const fields = ['alerted', 'device_id', 'entity', 'hostname', 'id', 'message', 'note', 'open', 'rule', 'rule_id'];
  fields.push('severity', 'state', 'state_name', 'timestamp');
  assert.deepEqual(Object.keys(list.body.alerts[0]).sort(), fields);
  const warnings = (await get('/api/v0/alerts?severity=warning')).body;
  assert.ok(warnings.count >= 1 && warnings.alerts.every((a) => a.severity === 'warning'));
  const recovered = (await get('/api/v0/alerts?state=0')).body;
  assert.ok(
    recovered.alerts.some((a) => a.id === recoveredId),
    'the recovered device-down alert has state 0',
  );
  assert.equal((await get(`/api/v0/alerts/${recoveredId}`)).body.count, 1);
  assert.equal((await get('/api/v0/alerts/99999')).status, 404);
  assert.equal((await get('/api/v0/alerts?state=7')).status, 400);
}

test('rule kinds, delay, acknowledgement and the outbox against MariaDB', { timeout: 120_000 }, async (t) => {
  const db = await openDb(DB, { createDatabase: true });
  const hook = new WebhookReceiver();
  const port = await hook.start();
  t.after(async () => {
    await hook.close();
    await db.query(`DROP DATABASE IF EXISTS \`${DB_NAME}\``).catch(() => {});
    await db.end();
  });
  await migrate(db, { appKey: generateAppKey() });
  // migration 41 makes `services`; without it (a database of an older nms) the rule must wait
  await db.query('DROP TABLE services');
  await seed(db);

  const raw = { interval: 1, transports: [{ name: 'hook', type: 'webhook', backoff: 1 }] };
  const secrets = JSON.stringify({ hook: { url: `http://127.0.0.1:${port}/a` } });
  let cfg: AlertsConfig = alertsFromSettings(raw, secrets).config;
  const log = createLogger('test.alerts');
  const engine = new AlertEngine({ db, log, owner: 'test', config: () => cfg, pollerFrequency: () => 300 });
  const transports = () => new Map(cfg.transports.map((x) => [x.name, { config: x, transport: makeTransport(x) }]));
  const deliver = () => deliverDue({ db, log, owner: 'test' }, transports());

  const r1 = await engine.evaluate(cfg);
  assert.equal(r1.rules, 5, 'services rule skipped: no services table yet');
  const got = (await listAlerts(db)).map((a) => `${a.rule} ${a.device_id} ${a.entity}`).sort();
  const expected = ['poller-down 0 poller:n1', 'port-down 1 port:10', 'sensor 1 sensor:20', 'sensor 2 sensor:22'];
  assert.deepEqual(got, [...expected, 'storage-full 2 storage:30']);
  assert.equal(await deliver(), 5);
  assert.equal(hook.accepted.length, 5);
  assert.ok(hook.accepted.every((p) => p.state === 'alert'));

  // nothing new while the same things stay faulty
  assert.deepEqual(await engine.evaluate(cfg), { rules: 5, raised: 0, recovered: 0 });
  assert.equal(await deliver(), 0);

  // a device going down: its entities' values are stale, so they recover and device-down raises
  await db.query("UPDATE devices SET status = 0, status_reason = 'snmp' WHERE device_id = 2");
  const r3 = await engine.evaluate(cfg);
  assert.deepEqual([r3.raised, r3.recovered], [1, 2]);
  await deliver();
  const down = hook.accepted.find((p) => p.rule === 'device-down');
  assert.equal(down?.hostname, 'sw2');
  assert.equal(down?.message, 'Device sw2 is down (snmp)');

  // acknowledge: no notification, still active (acknowledged), recovery still sent
  const alertId = Number(down?.alert_id);
  assert.equal(await acknowledge(db, alertId, 'on it'), true);
  assert.equal(await acknowledge(db, alertId, 'again'), false, 'only an alerting alert can be acknowledged');
  assert.equal((await listAlerts(db)).find((a) => a.id === alertId)?.state_name, 'acknowledged');
  assert.deepEqual(await engine.evaluate(cfg), { rules: 5, raised: 0, recovered: 0 });
  await db.query("UPDATE devices SET status = 1, status_reason = '' WHERE device_id = 2");
  await db.query('UPDATE storage SET storage_perc = 50 WHERE storage_id = 30');
  const r4 = await engine.evaluate(cfg);
  assert.deepEqual([r4.raised, r4.recovered], [1, 1], 'sensor 22 raised again, device-down recovered');
  await deliver();
  assert.deepEqual(
    hook.accepted.filter((p) => p.alert_id === alertId).map((p) => p.state),
    ['alert', 'recovered'],
  );
  const byId = 'SELECT GROUP_CONCAT(state ORDER BY id) AS s FROM alert_log WHERE alert_id = ?';
  const states = await one(db, byId, [alertId]);
  assert.equal(states.s, '1,2,0', 'alert_log: raised, acknowledged, recovered');

  // the delay: a condition must last `delay` seconds
  const delayed = [{ name: 'port-down', kind: 'port_down', severity: 'warning', delay: 2 }];
  cfg = alertsFromSettings({ ...raw, rules: delayed }, secrets).config;
  await db.query("UPDATE ports SET ifOperStatus = 'down' WHERE port_id = 13");
  const before = hook.accepted.length;
  assert.equal((await engine.evaluate(cfg)).raised, 0, 'held back by the delay');
  const pending = await one(db, "SELECT state, pending_since IS NOT NULL AS p FROM alerts WHERE entity = 'port:13'");
  assert.deepEqual([pending.state, Number(pending.p)], [0, 1]);
  assert.equal((await engine.evaluate(cfg, Date.now() + 2500)).raised, 1);
  await deliver();
  assert.equal(hook.accepted.length, before + 1);

  // services: evaluated once the table exists
  await createServices(db);
  const r5 = await engine.evaluate(cfg);
  assert.deepEqual([r5.rules, r5.raised], [6, 1]);
  await deliver();
  assert.match(String(hook.accepted.at(-1)?.message), /^Service web on sw1 is critical: HTTP CRITICAL/);
  // every notification delivered exactly once
  const outbox = 'SELECT COUNT(*) AS n, SUM(sent_at IS NOT NULL) AS s, MAX(attempts) AS a FROM alert_notifications';
  const sent = await one(db, outbox);
  assert.deepEqual([Number(sent.n), Number(sent.s), Number(sent.a)], [hook.accepted.length, hook.accepted.length, 1]);

  await checkApi(t, db, alertId);
});

test(
  'a syslog rule: the matching device alerts, the others do not; it recovers after the window',
  { timeout: 60_000 },
  async (t) => {
    const db = await scratchDb(t, 'syslog');
    await db.query(`INSERT INTO devices (device_id, hostname, status, status_reason, disabled)
    VALUES (1, 'sw1', 1, '', 0), (2, 'sw2', 1, '', 0), (3, 'sw3', 1, '', 0), (4, 'off', 1, '', 1)`);
    const now = Date.now();
    const at = (secondsAgo: number) => localDatetime(new Date(now - secondsAgo * 1000));
    // sw1 matches; sw2 says something else; sw3 matches but too mildly (notice) and from
    // another program; sw3's matching error is older than the window; the disabled device matches
    await db.query(
      `INSERT INTO syslog (device_id, facility, priority, level, tag, timestamp, program, msg) VALUES
    (1, 'local7', 'err', '3', 'rpd', ?, 'rpd', 'BGP_PEER_DOWN: peer 10.0.0.2 went to Idle'),
    (2, 'local7', 'err', '3', 'rpd', ?, 'rpd', 'BGP_PEER_UP: peer 10.0.0.3 Established'),
    (3, 'local7', 'notice', '5', 'rpd', ?, 'rpd', 'BGP_PEER_DOWN: peer 10.0.0.4 went to Idle'),
    (3, 'local7', 'err', '3', 'mgd', ?, 'mgd', 'BGP_PEER_DOWN: peer 10.0.0.4 went to Idle'),
    (3, 'local7', 'err', '3', 'rpd', ?, 'rpd', 'BGP_PEER_DOWN: peer 10.0.0.4 went to Idle'),
    (4, 'local7', 'err', '3', 'rpd', ?, 'rpd', 'BGP_PEER_DOWN: peer 10.0.0.5 went to Idle'),
    (NULL, 'local7', 'err', '3', 'rpd', ?, 'rpd', 'BGP_PEER_DOWN: from an unknown sender')`,
      [at(10), at(5), at(5), at(5), at(400), at(5), at(5)],
    );
    const rule = { name: 'bgp', kind: 'syslog', match: 'bgp_peer_down: .* (idle|active)', program: 'rpd' };
    const raw = { interval: 1, defaults: false, rules: [{ ...rule, level: 'warning', within: 300 }] };
    const cfg = alertsFromSettings(raw, '').config;
    const log = createLogger('test.alerts.syslog');
    const engine = new AlertEngine({ db, log, owner: 'test', config: () => cfg, pollerFrequency: () => 300 });

    assert.deepEqual(await engine.evaluate(cfg, now), { rules: 1, raised: 1, recovered: 0 });
    const [alert] = await listAlerts(db);
    assert.deepEqual([alert.rule, alert.device_id, alert.entity, alert.state_name], ['bgp', 1, '', 'alerting']);
    const last = 'the last: rpd: BGP_PEER_DOWN: peer 10.0.0.2 went to Idle';
    assert.equal(alert.message, `1 syslog message from sw1 matched /${rule.match}/ in 300 s, ${last}`);
    // still within the window: stays up, nothing new
    assert.deepEqual(await engine.evaluate(cfg, now + 200_000), { rules: 1, raised: 0, recovered: 0 });
    // the message has left the window: recovered
    assert.deepEqual(await engine.evaluate(cfg, now + 311_000), { rules: 1, raised: 0, recovered: 1 });
    assert.deepEqual(await listAlerts(db), []);

    // a pattern JavaScript accepts and MariaDB's PCRE refuses: the rule is skipped, the round goes on
    const pcre = alertsFromSettings({ ...raw, rules: [{ name: 'bgp', kind: 'syslog', match: '\\u0041' }] }, '');
    assert.deepEqual(await engine.evaluate(pcre.config, now), { rules: 0, raised: 0, recovered: 0 });
  },
);

/** One device with `n` ports administratively up; the first `down` of them operationally down. */
async function manyPorts(db: Db, n: number, down: number): Promise<void> {
  await db.query("INSERT INTO devices (device_id, hostname, status, status_reason) VALUES (1, 'core', 1, '')");
  const rows = Array.from({ length: n }, (_, i) => [i + 1, 1, i + 1, `et-${i + 1}`, i < down ? 'down' : 'up', 'up']);
  await db.query('INSERT INTO ports (port_id, device_id, ifIndex, ifName, ifOperStatus, ifAdminStatus) VALUES ?', [
    rows,
  ]);
}

test(
  'a storm of faults: written in batches, each change logged and notified once with two evaluators racing',
  { timeout: 120_000 },
  async (t) => {
    const db = await scratchDb(t, 'storm');
    // more than two batches of alerts (CHANGE_BATCH is 500)
    const N = 1234;
    await manyPorts(db, N, N);
    const rules = [{ name: 'port-down', kind: 'port_down', severity: 'warning' }];
    const raw = { interval: 1, defaults: false, rules, transports: [{ name: 'hook', type: 'webhook' }] };
    const cfg = alertsFromSettings(raw, JSON.stringify({ hook: { url: 'http://127.0.0.1:9/' } })).config;
    const log = createLogger('test.alerts.storm');
    const engine = (owner: string) =>
      new AlertEngine({ db, log, owner, config: () => cfg, pollerFrequency: () => 300 });
    const [a, b] = [engine('a'), engine('b')];
    /** Both at once (one may lose a deadlock and leave the rest to the next round), then each again. */
    const race = async (field: 'raised' | 'recovered') => {
      let n = 0;
      for (const r of await Promise.allSettled([a.evaluate(cfg), b.evaluate(cfg)]))
        if (r.status === 'fulfilled') n += r.value[field];
      for (const e of [a, b]) n += (await e.evaluate(cfg))[field];
      return n;
    };
    const count = async (sql: string) => Number((await one(db, sql)).n);

    assert.equal(await race('raised'), N, 'each alert raised by one evaluator');
    assert.equal(await count('SELECT COUNT(*) AS n FROM alerts WHERE state = 1'), N);
    assert.equal(await count('SELECT COUNT(DISTINCT alert_id) AS n FROM alert_log WHERE state = 1'), N);
    assert.equal(await count('SELECT COUNT(*) AS n FROM alert_log'), N);
    // every notification names its own log row and port
    const [notes] = await db.query<RowDataPacket[]>(
      `SELECT n.payload, l.id AS log_id, l.entity FROM alert_notifications n JOIN alert_log l ON l.id = n.alert_log_id`,
    );
    assert.equal(notes.length, N);
    for (const r of notes) {
      const p = JSON.parse(String(r.payload)) as { log_id: number; entity: string; message: string; state: string };
      assert.deepEqual([p.log_id, p.entity, p.state], [Number(r.log_id), String(r.entity), 'alert']);
    }
    const sample = JSON.parse(String(notes[0].payload)) as { entity: string; message: string };
    assert.match(sample.message, /^Port et-\d+ on core is down while administratively up$/);

    // all come back up: each recovery once, reporting what its raise said
    await db.query("UPDATE ports SET ifOperStatus = 'up'");
    assert.equal(await race('recovered'), N);
    assert.equal(await count('SELECT COUNT(*) AS n FROM alerts WHERE state <> 0'), 0);
    assert.equal(await count('SELECT COUNT(*) AS n FROM alert_log WHERE state = 0'), N);
    const [back] = await db.query<RowDataPacket[]>(
      "SELECT payload FROM alert_notifications WHERE JSON_VALUE(payload, '$.state') = 'recovered'",
    );
    assert.equal(back.length, N);
    const again = back.map((r) => JSON.parse(String(r.payload)) as { entity: string; message: string });
    const port = Number(sample.entity.slice('port:'.length));
    assert.equal(
      again.find((p) => p.entity === sample.entity)?.message,
      `Port et-${port} on core is down while administratively up`,
    );

    // with a delay: 700 go down and wait; 300 of them come back before it passes; the rest alert
    const delayed = alertsFromSettings({ ...raw, rules: [{ ...rules[0], delay: 60 }] }, '').config;
    await db.query("UPDATE ports SET ifOperStatus = 'down' WHERE port_id <= 700");
    const now = Date.now();
    assert.equal((await a.evaluate(delayed, now)).raised, 0);
    assert.equal(await count('SELECT COUNT(*) AS n FROM alerts WHERE pending_since IS NOT NULL'), 700);
    await db.query("UPDATE ports SET ifOperStatus = 'up' WHERE port_id <= 300");
    assert.equal((await a.evaluate(delayed, now + 1000)).raised, 0);
    assert.equal(await count('SELECT COUNT(*) AS n FROM alerts WHERE pending_since IS NOT NULL'), 400);
    assert.deepEqual(await a.evaluate(delayed, now + 61_000), { rules: 1, raised: 400, recovered: 0 });
    assert.equal(await count('SELECT COUNT(*) AS n FROM alerts WHERE state = 1 AND pending_since IS NULL'), 400);
  },
);
