// Availability against real MariaDB, a private rrdcached, Debian's fping and monitoring plugins:
// a ping round writes device_perf, last_ping and icmp-perf.rrd; status changes keep the newest
// observation whoever reports it, one eventlog row per change; service checks (check_tcp against
// MariaDB's own port and a port nobody listens on) write services, their RRD and state changes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { generateAppKey } from '../../lib/crypto.js';
import { RrdcachedClient } from '../../lib/rrdcached.js';
import { addDevice, migrate, openDb, type Db } from '../../agent/db/index.js';
import { applyStatus, logPortChanges } from '../../agent/db/status.js';
import { matchRoute } from '../../agent/api/routes.js';
import { pingGroup } from '../../agent/availability/ping.js';
import { checkGroupServices } from '../../agent/availability/services.js';
import { RrdWriter } from '../../agent/rrd/writer.js';
import { dbTarget, freshName, SERVICES } from '../helpers/services.js';

const database = freshName('avail');
const appKey = generateAppKey();
const dir = mkdtempSync(join(tmpdir(), 'nms-avail-'));
let db: Db;
let rrdcached: ChildProcess;
let client: RrdcachedClient;
let rrd: RrdWriter;
const ids: Record<string, number> = {};

const q = async (sql: string, args: unknown[] = []) => (await db.query<mysql.RowDataPacket[]>(sql, args))[0];
const UP = 'Device status changed to Up';
const UP_DOWN_UP = [UP, 'Device status changed to Down from icmp check', UP];
interface Answer {
  count: number;
  total: number;
  logs: { event_id: number; message: string }[];
  services: { service_name: string }[];
}

/** A TCP port that was free a moment ago (nothing listens on it). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function rrdInfo(path: string): Promise<string> {
  await client.flush(path);
  return execFileSync('rrdtool', ['info', join(dir, path)], { encoding: 'utf8' });
}

before(async () => {
  const args = ['-g', '-b', dir, '-B', '-R', '-F', '-w', '3600', '-l', `unix:${dir}/sock`, '-p', `${dir}/pid`];
  rrdcached = spawn('rrdcached', args, { stdio: 'ignore' });
  for (let i = 0; i < 50 && !existsSync(`${dir}/sock`); i++) await new Promise((r) => setTimeout(r, 100));
  const target = dbTarget(database);
  db = await openDb(target, { createDatabase: true });
  await migrate(db, { appKey });
  client = new RrdcachedClient({ address: `unix:${dir}/sock` });
  rrd = new RrdWriter({ client, step: 60 });
  const snmp = { version: 'v2c', community: 'public' } as const;
  ids.a = await addDevice(db, appKey, { hostname: '127.0.0.1', port: 161, poller_group: 3, snmp });
  ids.b = await addDevice(db, appKey, { hostname: '127.0.0.2', port: 161, poller_group: 3, snmp });
  ids.other = await addDevice(db, appKey, { hostname: '127.0.0.3', port: 161, poller_group: 4, snmp });
});

after(async () => {
  await client?.close();
  rrdcached?.kill('SIGTERM');
  await db?.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await db?.end();
  rmSync(dir, { recursive: true, force: true });
});

test('a ping round of a group: device_perf, last_ping, icmp-perf.rrd; down for icmp and answering is up', async () => {
  await db.query("UPDATE devices SET status = 0, status_reason = 'icmp' WHERE device_id = ?", [ids.b]);
  const r = await pingGroup({ db, rrd, fping: { count: 2, periodMs: 100 } }, 3);
  assert.deepEqual([r.devices, r.answered, r.changed], [2, 2, 1]);
  const perf = await q('SELECT device_id, xmt, rcv, loss, avg FROM device_perf ORDER BY device_id');
  assert.deepEqual(
    perf.map((p) => [p.device_id, p.xmt, p.rcv, p.loss]),
    [
      [ids.a, 2, 2, 0],
      [ids.b, 2, 2, 0],
    ],
  );
  assert.ok(
    perf.every((p) => p.avg > 0 && p.avg < 1000),
    JSON.stringify(perf),
  );
  const dev = await q('SELECT last_ping, last_ping_timetaken, status, status_reason FROM devices ORDER BY device_id');
  assert.ok(dev[0].last_ping && dev[1].last_ping && dev[0].last_ping_timetaken > 0);
  assert.equal(dev[2].last_ping, null, 'group 4 was not pinged');
  assert.deepEqual([dev[1].status, dev[1].status_reason], [1, '']);
  const ev = await q("SELECT message, reference FROM eventlog WHERE device_id = ? AND type = 'availability'", [ids.b]);
  assert.deepEqual(
    ev.map((e) => e.message),
    ['Device status changed to Up'],
  );
  const info = await rrdInfo('127.0.0.1/icmp-perf.rrd');
  for (const ds of ['avg', 'xmt', 'rcv', 'min', 'max']) {
    assert.match(info, new RegExp(`^ds\\[${ds}\\]\\.type = "GAUGE"$`, 'm'));
  }
  assert.match(info, /^ds\[rcv\]\.last_ds = "2"$/m);
});

test('a stale result from another poller does not undo a newer one, and each change is one eventlog row', async () => {
  const id = ids.other;
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  const before = { status: 0, status_reason: '' };
  assert.equal(await applyStatus(db, { deviceId: id, observedAt: t(10), up: true, reason: '', before }), 'changed');
  // poller A sees it down at :20; poller B's poll that started at :15 ends later and says up
  const wasUp = { status: 1, status_reason: '' };
  const at = (s: number) => ({ deviceId: id, observedAt: t(s) });
  assert.equal(await applyStatus(db, { ...at(20), up: false, reason: 'icmp', before: wasUp }), 'changed');
  assert.equal(await applyStatus(db, { ...at(15), up: true, reason: '', before: wasUp }), 'stale');
  // two pollers reporting the same change: one row
  const wasIcmp = { status: 0, status_reason: 'icmp' };
  const both = await Promise.all(
    [30, 31].map((s) => applyStatus(db, { ...at(s), up: true, reason: '', before: wasIcmp })),
  );
  assert.deepEqual(both.sort(), ['changed', 'same']);
  const rows = await q("SELECT message FROM eventlog WHERE device_id = ? AND type = 'availability' ORDER BY event_id", [
    id,
  ]);
  assert.deepEqual(
    rows.map((r) => r.message),
    UP_DOWN_UP,
  );
  const now = await q('SELECT status, status_reason FROM devices WHERE device_id = ?', [id]);
  assert.deepEqual(
    now.map((r) => [r.status, r.status_reason]),
    [[1, '']],
  );
});

test('service checks: check_tcp OK on a listening port, CRITICAL on a closed one, RRD, events', async () => {
  const closed = await closedPort();
  const add = (args: string[], name: string) =>
    db.query('INSERT INTO services (device_id, service_type, service_param, service_name) VALUES (?, ?, ?, ?)', [
      ids.a,
      'tcp',
      JSON.stringify(args),
      name,
    ]);
  await add(['-p', String(SERVICES.db.port || 3306)], 'mariadb');
  await add(['-p', String(closed), '-t', '3'], 'closed');
  const r = await checkGroupServices({ db, rrd, workers: 2 }, 3);
  assert.deepEqual(r, { checks: 2, changed: 1 });
  const s = await q('SELECT service_id, service_status, service_message, service_ds FROM services ORDER BY service_id');
  assert.equal(s[0].service_status, 0, s[0].service_message);
  assert.match(s[0].service_message, /^TCP OK/);
  assert.deepEqual(JSON.parse(s[0].service_ds), { time: 's' });
  assert.equal(s[1].service_status, 2, s[1].service_message);
  const ev = await q("SELECT message FROM eventlog WHERE type = 'service'");
  assert.equal(ev.length, 1);
  assert.match(ev[0].message, /^Service 'closed' changed status from OK to CRITICAL: /);
  // the same results again: no new event
  await checkGroupServices({ db, rrd, workers: 2 }, 3);
  assert.equal((await q("SELECT COUNT(*) AS n FROM eventlog WHERE type = 'service'"))[0].n, 1);
  assert.match(await rrdInfo(`127.0.0.1/services-${s[0].service_id}.rrd`), /^ds\[time\]\.type = "GAUGE"$/m);
});

test('a port whose oper status changed while admin up is one eventlog row; an admin-down port is not', async () => {
  const id = ids.b;
  await db.query(
    `INSERT INTO ports (device_id, ifIndex, ifName, ifAdminStatus, ifOperStatus, ifOperStatus_prev) VALUES
       (?, 1, 'Gi1/0/1', 'up', 'down', 'up'), (?, 2, 'Gi1/0/2', 'down', 'down', 'up'),
       (?, 3, 'Gi1/0/3', 'up', 'up', 'up')`,
    [id, id, id],
  );
  assert.equal(await logPortChanges(db, id), 1);
  const ev = await q("SELECT message, severity FROM eventlog WHERE device_id = ? AND type = 'interface'", [id]);
  assert.deepEqual(
    ev.map((e) => e.message),
    ['Port Gi1/0/1 is down (was up) while administratively up'],
  );
});

test('the API lists the eventlog (newest first, per device by id or hostname) and the service checks', async () => {
  const ctx = { db, version: 'test', nodeName: 'test', queryTimeoutMs: 5000, probeTimeoutMs: 1000 };
  const call = async (path: string, query = '') => {
    const m = matchRoute(path, new URLSearchParams(query));
    assert.ok(m, path);
    return (await m.route.handle(ctx, m.req)) as unknown as Answer;
  };
  const all = await call('/api/v0/logs/eventlog', 'limit=2');
  assert.equal(all.count, 2);
  assert.ok(all.total > 2);
  assert.ok(all.logs[0].event_id > all.logs[1].event_id);
  const byHost = await call('/api/v0/logs/eventlog/127.0.0.3');
  assert.deepEqual(byHost.logs.map((l) => l.message).reverse(), UP_DOWN_UP);
  assert.deepEqual((await call(`/api/v0/logs/eventlog/${ids.other}`)).total, byHost.total);
  const crit = await call('/api/v0/services', 'state=2');
  assert.deepEqual(
    crit.services.map((s) => s.service_name),
    ['closed'],
  );
  assert.equal((await call('/api/v0/services/127.0.0.1')).count, 2);
  await assert.rejects(call('/api/v0/logs/eventlog', 'limit=5000'), /limit must be a whole number from 0 to 1000/);
});
