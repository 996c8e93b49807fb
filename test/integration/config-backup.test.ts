// Config backup against the simulator's SSH CLI on loopback (5 devices of the ios, junos and
// routeros families, each on an address of its own in 127.77.0.0/24), with a real git
// repository and a fresh MariaDB database: first versions, a change in one device, a wrong
// password reported while the others are still backed up, and no password in any log line.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { generateAppKey } from '../../lib/crypto.js';
import { createLogger, setLogSink } from '../../lib/log.js';
import type { Db } from '../../agent/db/index.js';
import { ConfigBackup } from '../../agent/backup/backup.js';
import { setSshLogin } from '../../agent/backup/store.js';
import { matchRoute } from '../../agent/api/routes.js';
import { deviceAddress } from '../../lib/device-addresses.js';
import { familyOf } from '../../simulator/families.js';
import { SshCli } from '../../simulator/ssh-cli.js';
import { sshCredentials } from '../../simulator/ssh-model.js';
import { freshName, openTestDb, type TestDb } from '../helpers/services.js';

const work = mkdtempSync(join(tmpdir(), 'nms-backup-'));
const BASE = '127.77.0.0';
const SEED = 7;
/** Devices 1, 2, 3, 5, 6: ios, junos, routeros, ios, junos. */
const DEVICES = [1, 2, 3, 5, 6];
const WRONG = 6;
const appKey = generateAppKey();
const logLines: string[] = [];
const ids = new Map<number, number>();
let testDb: TestDb | undefined;
let db: Db;
let cli: SshCli;
let backup: ConfigBackup;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function rows(sql: string, args: unknown[] = []): Promise<mysql.RowDataPacket[]> {
  const [r] = await db.query<mysql.RowDataPacket[]>(sql, args);
  return r;
}

const events = () => rows("SELECT device_id, message, severity FROM eventlog WHERE type = 'config' ORDER BY event_id");
const versions = () => rows('SELECT device_id, `commit`, config, diff FROM config_versions ORDER BY version_id');

before(async () => {
  setLogSink((line) => logLines.push(line));
  testDb = await openTestDb(freshName('backup'), appKey);
  db = testDb.db;
  const port = await freePort();
  cli = new SshCli({ address: BASE, ownAddresses: true, devices: 7, sshFirstPort: port, seed: SEED });
  await cli.start();
  for (const i of DEVICES) {
    const [r] = await db.query<mysql.ResultSetHeader>(
      `INSERT INTO devices (hostname, sysName, community, snmpver, port, transport, poller_group, os)
       VALUES (?, ?, 'x', 'v2c', 161, 'udp', 0, ?)`,
      [deviceAddress(i, BASE), `sim-${i}`, familyOf(i)],
    );
    ids.set(i, r.insertId);
    const login = sshCredentials(i, SEED);
    const password = i === WRONG ? login.password + 'x' : login.password;
    await setSshLogin(db, appKey, r.insertId, { username: login.username, password, port });
  }
  backup = new ConfigBackup({
    db,
    appKey,
    log: createLogger('test.backup'),
    node: 'test-node',
    dir: join(work, 'repo'),
    timeoutMs: 10_000,
  });
});

after(async () => {
  await backup?.close();
  await cli?.close();
  await testDb?.drop();
  rmSync(work, { recursive: true, force: true });
});

test('the first run stores the 4 reachable configurations and reports the wrong password', async () => {
  const out = await backup.runOnce();
  assert.deepEqual(
    out.map((o) => [o.deviceId, o.result]),
    DEVICES.map((i) => [ids.get(i), i === WRONG ? 'failed' : 'changed']),
  );
  const v = await versions();
  assert.equal(v.length, 4);
  const ios = v.find((x) => x.device_id === ids.get(1))!;
  assert.match(ios.config, /^hostname sim-1$/m);
  assert.doesNotMatch(ios.config, /ntp clock-period|Current configuration|Last configuration change/);
  const junos = v.find((x) => x.device_id === ids.get(2))!;
  assert.match(junos.config, /^set system host-name sim-2$/m);
  assert.doesNotMatch(junos.config, /## Last commit/);
  const ros = v.find((x) => x.device_id === ids.get(3))!;
  assert.match(ros.config, /^set name=sim-3$/m);
  assert.doesNotMatch(ros.config, /by RouterOS/);
  const status = await rows('SELECT device_id, status, status_reason FROM config_backups ORDER BY device_id');
  const failed = status.filter((s) => s.status === 'failed');
  assert.deepEqual(
    failed.map((s) => s.device_id),
    [ids.get(WRONG)],
  );
  assert.match(failed[0].status_reason, /login refused/);
  assert.equal(status.filter((s) => s.status === 'ok').length, 4);
  const ev = await events();
  assert.equal(ev.length, 5);
  assert.equal(ev.filter((e) => /Configuration backup failed: login refused/.test(e.message)).length, 1);
});

test('a second run without changes stores nothing new and repeats no event', async () => {
  const out = await backup.runOnce();
  assert.equal(out.filter((o) => o.result === 'changed').length, 0);
  assert.equal((await versions()).length, 4);
  assert.equal((await events()).length, 5);
});

test('a change in one device gives exactly one new version and one event with the diff', async () => {
  assert.equal(cli.answer(2, 'nms-sim config-change').out, 'generation 1\n');
  const before = (await events()).length;
  const out = await backup.runOnce();
  assert.deepEqual(
    out.filter((o) => o.result === 'changed').map((o) => o.deviceId),
    [ids.get(2)],
  );
  const v = await versions();
  assert.equal(v.length, 5);
  const last = v[v.length - 1];
  assert.match(last.diff, /^-set system login message "config generation 0"$/m);
  assert.match(last.diff, /^\+set system login message "config generation 1"$/m);
  const ev = (await events()).slice(before);
  assert.equal(ev.length, 1);
  assert.equal(ev[0].device_id, ids.get(2));
  assert.match(ev[0].message, /^Configuration changed/);
  assert.match(ev[0].message, /\+set system login message "config generation 1"/);
  // the node's git history: two versions of that device, one of the others
  const log = execFileSync('git', ['-C', join(work, 'repo'), 'log', '--format=%H', '--', deviceAddress(2, BASE)]);
  assert.equal(String(log).trim().split('\n').length, 2);
  const all = execFileSync('git', ['-C', join(work, 'repo'), 'rev-list', '--count', 'HEAD']);
  assert.equal(Number(String(all)), 5);
});

test('once its password is corrected, the refused device is backed up', async () => {
  const login = sshCredentials(WRONG, SEED);
  const [{ ssh_port }] = await rows('SELECT ssh_port FROM config_backups WHERE device_id = ?', [ids.get(WRONG)]);
  await setSshLogin(db, appKey, ids.get(WRONG)!, { ...login, port: Number(ssh_port) });
  const out = await backup.runOnce();
  assert.deepEqual(
    out.filter((o) => o.result === 'changed').map((o) => o.deviceId),
    [ids.get(WRONG)],
  );
  const [s] = await rows('SELECT status FROM config_backups WHERE device_id = ?', [ids.get(WRONG)]);
  assert.equal(s.status, 'ok');
});

test('no SSH password appears in a log line, an event or the stored rows', async () => {
  assert.ok(logLines.length > 0, 'the backup logged its runs');
  const secrets = DEVICES.map((i) => sshCredentials(i, SEED).password);
  const stored = JSON.stringify([await events(), await versions(), await rows('SELECT * FROM config_backups')]);
  for (const p of secrets) {
    assert.ok(!logLines.some((l) => l.includes(p)), 'a log line holds a password');
    assert.ok(!stored.includes(p), 'a row holds a password in clear');
  }
  assert.ok(cli.refused >= 2, 'the simulator refused the wrong password');
});

async function api(path: string): Promise<unknown> {
  const url = new URL(path, 'http://x');
  const m = matchRoute(url.pathname, url.searchParams);
  assert.ok(m, `no route for ${path}`);
  const ctx = { db, version: 'test', nodeName: 'test', queryTimeoutMs: 5000, probeTimeoutMs: 1000 };
  return m.route.handle(ctx, m.req);
}

test("the API lists versions, serves a version with its diff, and answers as Oxidized's node source", async () => {
  const id = ids.get(2)!;
  const list = (await api(`/api/v0/devices/${id}/configs`)) as {
    count: number;
    backup: { status: string; last_success: string };
    versions: { version_id: number; commit: string; created_at: string }[];
  };
  assert.equal(list.count, 2);
  assert.equal(list.backup.status, 'ok');
  assert.match(list.backup.last_success, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const [newest, first] = list.versions;
  assert.ok(newest.version_id > first.version_id);
  const latest = (await api(`/api/v0/devices/${id}/configs/latest`)) as {
    version_id: number;
    config: string;
    diff: string;
  };
  assert.equal(latest.version_id, newest.version_id);
  assert.match(latest.config, /config generation 1/);
  assert.match(latest.diff, /^\+set system login message "config generation 1"$/m);
  const old = (await api(`/api/v0/devices/${id}/configs/${first.version_id}`)) as { config: string };
  assert.match(old.config, /config generation 0/);
  await assert.rejects(api(`/api/v0/devices/${id}/configs/abc`), /version must be/);
  const nodes = (await api('/api/v0/oxidized')) as { hostname: string; os: string; ip: string }[];
  assert.ok(Array.isArray(nodes));
  assert.deepEqual(
    nodes.map((n) => [n.hostname, n.os]),
    DEVICES.map((i) => [deviceAddress(i, BASE), familyOf(i)]),
  );
  const one = (await api(`/api/v0/oxidized/${deviceAddress(3, BASE)}`)) as { os: string }[];
  assert.deepEqual(
    one.map((n) => n.os),
    ['routeros'],
  );
});
