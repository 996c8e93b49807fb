// The syslog path on loopback with real programs: rsyslogd running the deployed snippet (on a
// free port instead of 514) forwards to the agent's SyslogReceiver, which stores the messages in
// a fresh MariaDB database matched to devices by sender address. Also: the API's read, the purge,
// and the doctor's probe message.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { generateAppKey } from '../../lib/crypto.js';
import { createLogger } from '../../lib/log.js';
import { type Db } from '../../agent/db/index.js';
import { SyslogReceiver } from '../../agent/syslog/receiver.js';
import { listSyslog } from '../../agent/syslog/api.js';
import { probeSyslogPath } from '../../agent/doctor/syslog-path.js';
import { freshName, openTestDb, type TestDb } from '../helpers/services.js';

const ROOT = join(import.meta.dirname, '..', '..');
const database = freshName('syslog');
const work = mkdtempSync(join(tmpdir(), 'nms-syslog-'));
let db: Db;
let testDb: TestDb | undefined;
let receiver: SyslogReceiver;
let rsyslog: ChildProcess;
let inPort = 0;
let deviceId = 0;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function count(where = '1'): Promise<number> {
  const [r] = await db.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM syslog WHERE ${where}`);
  return Number(r[0].n);
}

before(async () => {
  testDb = await openTestDb(database, generateAppKey());
  db = testDb.db;
  const [r] = await db.query<mysql.ResultSetHeader>(
    'INSERT INTO devices (hostname, sysName, community, snmpver, port, transport, poller_group) VALUES ' +
      "('127.0.0.1', 'loop', 'x', 'v2c', 161, 'udp', 0)",
  );
  deviceId = r.insertId;
  await db.query(
    "INSERT INTO devices (hostname, community, snmpver, port, transport, poller_group) VALUES ('10.9.9.9', 'x', " +
      "'v2c', 161, 'udp', 0)",
  );
  receiver = new SyslogReceiver({ db, log: createLogger('test.syslog'), port: 0, flushMs: 100 });
  const agentPort = await receiver.start();
  inPort = await freePort();
  const conf = readFileSync(join(ROOT, 'templates', 'rsyslog', '60-nms.conf.hbs'), 'utf8')
    .replace(/\{\{syslog\.port\}\}/g, String(inPort))
    .replace(/\{\{syslog\.agentPort\}\}/g, String(agentPort))
    .replace(/\{\{cluster\.name\}\}/g, 'test');
  writeFileSync(join(work, 'rsyslog.conf'), `global(workDirectory="${work}")\n${conf}`);
  rsyslog = spawn('rsyslogd', ['-n', '-f', join(work, 'rsyslog.conf'), '-i', join(work, 'pid'), '-C'], {
    stdio: 'ignore',
  });
  // ready when the probe's message comes through
  const end = Date.now() + 20_000;
  for (;;) {
    try {
      await probeSyslogPath(db, { port: inPort, deadlineMs: 1000 });
      break;
    } catch (err) {
      if (Date.now() > end) throw err;
    }
  }
});
after(async () => {
  rsyslog?.kill('SIGTERM');
  await receiver?.close();
  await testDb?.drop();
  rmSync(work, { recursive: true, force: true });
});

test(
  '2,000 messages over UDP are all stored with the sender device and LibreNMS columns',
  { timeout: 60_000 },
  async () => {
    const sock = createSocket('udp4');
    const N = 2000;
    for (let i = 0; i < N; i += 100) {
      await Promise.all(
        Array.from(
          { length: 100 },
          (_, k) =>
            new Promise<void>((r) =>
              sock.send(`<188>Dec  6 04:00:00 sw1 %LINK-3-UPDOWN: burst ${i + k}`, inPort, '127.0.0.1', () => r()),
            ),
        ),
      );
      await new Promise((r) => setTimeout(r, 20));
    }
    sock.close();
    const end = Date.now() + 30_000;
    while ((await count("msg LIKE 'burst %'")) < N && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    assert.equal(await count("msg LIKE 'burst %'"), N);
    assert.equal(await count(`msg LIKE 'burst %' AND device_id = ${deviceId}`), N);
    const [rows] = await db.query<mysql.RowDataPacket[]>(
      "SELECT facility, priority, level, program, msg FROM syslog WHERE msg = 'burst 7'",
    );
    // <188> = local7 (23) * 8 + warning (4)
    assert.deepEqual(
      { ...rows[0] },
      { facility: 'local7', priority: 'warning', level: '4', program: '%LINK-3-UPDOWN', msg: 'burst 7' },
    );
  },
);

test("the API lists one device's messages in LibreNMS's shape, paged", { timeout: 20_000 }, async () => {
  const page = await listSyslog(db, { device: 'loop', order: 'DESC', limit: 5, start: 0 }, 5000);
  assert.ok(page);
  assert.equal(page.status, 'ok');
  assert.equal(page.count, 5);
  assert.ok((page.total as number) >= 2000);
  const logs = page.logs as Record<string, unknown>[];
  assert.equal(logs[0].device_id, deviceId);
  assert.equal(logs[0].hostname, '127.0.0.1');
  assert.match(String(logs[0].timestamp), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  assert.equal(await listSyslog(db, { device: 'nope', order: 'ASC', limit: 5, start: 0 }, 5000), null);
});

test('the purge removes messages older than syslog_purge days, not the others', { timeout: 20_000 }, async () => {
  await db.query(
    "INSERT INTO syslog (device_id, timestamp, msg) VALUES (?, NOW() - INTERVAL 31 DAY, 'old'), (?, NOW() - " +
      "INTERVAL 29 DAY, 'recent')",
    [deviceId, deviceId],
  );
  assert.equal(await receiver.purge(), 1);
  assert.equal(await count("msg = 'old'"), 0);
  assert.equal(await count("msg = 'recent'"), 1);
});

test('the doctor probe fails, saying so, when nothing forwards', { timeout: 20_000 }, async () => {
  const unused = await freePort();
  await assert.rejects(
    probeSyslogPath(db, { port: unused, deadlineMs: 500 }),
    /did not reach the syslog table within 500 ms/,
  );
});
