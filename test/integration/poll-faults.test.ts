// A device's own failures end in a clear status and reason without holding up other devices:
// wrong v2c community and wrong v3 password (Debian's snmpd), a port nothing answers on, and
// a tiny UDP agent written here whose GETBULK answers repeat the OID asked for (a loop). Also:
// an agent with another APP_KEY refuses to poll, in one line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import type mysql from 'mysql2/promise';
import { generateAppKey } from '../../lib/crypto.js';
import { AppKeyMismatchError } from '../../lib/errors.js';
import { addDevice, type Db } from '../../agent/db/index.js';
import { Poller, type PollResult } from '../../agent/poll/poller.js';
import { freshName, openTestDb, type TestDb, SERVICES } from '../helpers/services.js';
import { parseRequest, writeResponse } from '../helpers/snmp-request.js';

const database = freshName('pollfault');
const snmpdPort = SERVICES.snmpd.port;
const appKey = generateAppKey();
let db: Db;
let testDb: TestDb | undefined;
let looper: dgram.Socket;
let silent: dgram.Socket;
const ids: Record<string, number> = {};

/**
 * An SNMPv2c agent that answers GET normally, and GETBULK with row 1 below any OID it has not
 * answered before and with the very OID asked for once it has: its walks never advance.
 */
const answered = new Set<string>();
function loopingAgent(msg: Buffer): Buffer {
  const req = parseRequest(msg);
  const { pduType, oids } = req;
  return writeResponse(req, 0, (w) => {
    for (const asked of oids) {
      const oid = pduType === 0xa5 && !answered.has(asked) ? `${asked}.1` : asked;
      answered.add(oid);
      w.startSequence();
      w.writeOID(oid);
      if (oid === '1.3.6.1.2.1.1.3.0') w.writeInt(12345, 0x43);
      else w.writeString(pduType === 0xa5 ? 'again' : 'looper');
      w.endSequence();
    }
  });
}

async function bind(sock: dgram.Socket): Promise<number> {
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', res));
  return sock.address().port;
}

before(async () => {
  testDb = await openTestDb(database, appKey);
  db = testDb.db;
  looper = dgram.createSocket('udp4');
  looper.on('message', (m, rinfo) => looper.send(loopingAgent(m), rinfo.port, rinfo.address));
  silent = dgram.createSocket('udp4'); // bound, so nothing else takes the port, and never answers
  const loopPort = await bind(looper);
  const silentPort = await bind(silent);
  ids.good = await addDevice(db, appKey, {
    hostname: '127.0.0.1',
    port: snmpdPort,
    snmp: { version: 'v2c', community: 'public' },
  });
  ids.community = await addDevice(db, appKey, {
    hostname: 'localhost',
    port: snmpdPort,
    snmp: { version: 'v2c', community: 'not-the-community' },
  });
  ids.v3pass = await addDevice(db, appKey, {
    hostname: '127.1',
    port: snmpdPort, // 127.0.0.1 spelt differently: (hostname, port) is unique
    snmp: {
      version: 'v3',
      authlevel: 'authPriv',
      authname: 'nmsv3',
      authpass: 'not-the-password',
      authalgo: 'SHA',
      cryptopass: 'nmsv3privpass',
      cryptoalgo: 'AES',
    },
  });
  ids.silent = await addDevice(db, appKey, {
    hostname: '127.0.0.1',
    port: silentPort,
    snmp: { version: 'v2c', community: 'public' },
  });
  ids.loop = await addDevice(db, appKey, {
    hostname: '127.0.0.1',
    port: loopPort,
    snmp: { version: 'v2c', community: 'public' },
  });
});

after(async () => {
  looper?.close();
  silent?.close();
  await testDb?.drop();
});

const q = async (sql: string, args: unknown[] = []) => (await db.query<mysql.RowDataPacket[]>(sql, args))[0];

test(
  'wrong community, wrong v3 password, no answer and a looping walk: each down with reason snmp, the good device first',
  { timeout: 60_000 },
  async () => {
    // 2 × 2 s for the silent ones, several times what the good discovery takes even on a busy machine
    const poller = new Poller({ db, appKey, snmpTimeoutMs: 2000, snmpRetries: 1, maxConcurrent: 8 });
    const finished: string[] = [];
    const run = (k: string, kind: 'poll' | 'discovery') =>
      (kind === 'poll'
        ? poller.pollDevice(ids[k], { deadlineMs: 10_000 })
        : poller.discoverDevice(ids[k], { deadlineMs: 10_000 })
      ).then((r) => {
        finished.push(k);
        return [k, r] as [string, PollResult];
      });
    const results = Object.fromEntries(
      await Promise.all([
        run('silent', 'discovery'),
        run('community', 'discovery'),
        run('v3pass', 'discovery'),
        run('loop', 'discovery'),
        run('good', 'discovery'),
      ]),
    );
    assert.equal(results.good.status, 'up', results.good.error);
    // the devices that wait for timeouts finish after the good one: they did not hold it up
    assert.ok(
      finished.indexOf('good') < finished.indexOf('silent') && finished.indexOf('good') < finished.indexOf('community'),
      `order: ${finished.join(', ')}`,
    );
    const expected: Record<string, RegExp> = {
      community: /no SNMP answer from localhost:\d+ \(v2c; wrong community\?\)/,
      v3pass: /SNMPv3 authentication failed at 127\.1:\d+: Wrong Digest/,
      silent: /no SNMP answer from 127\.0\.0\.1:\d+/,
      loop: /^walk of ([\d.]+) repeated \1\.1 after \1\.1: the device's SNMP agent loops$/,
    };
    for (const [k, re] of Object.entries(expected)) {
      const r = results[k];
      assert.equal(r.status, 'down', `${k}: ${JSON.stringify(r)}`);
      assert.equal(r.reason, 'snmp');
      assert.match(r.error ?? '', re, k);
      const [row] = await q('SELECT status, status_reason, last_discovered FROM devices WHERE device_id = ?', [ids[k]]);
      assert.equal(row.status, 0);
      assert.equal(row.status_reason, 'snmp');
      assert.equal(row.last_discovered, null);
      const ev = await q("SELECT message, severity FROM eventlog WHERE device_id = ? AND type = 'availability'", [
        ids[k],
      ]);
      assert.equal(ev.length, 1, `${k} eventlog: ${JSON.stringify(ev)}`);
      assert.match(ev[0].message, /Down from snmp check/);
    }
  },
);

test(
  'a v3 device configured with an algorithm net-snmp does not have is down, with the reason',
  { timeout: 30_000 },
  async () => {
    const id = await addDevice(db, appKey, {
      hostname: 'localhost',
      port: 9,
      snmp: { version: 'v3', authlevel: 'authNoPriv', authname: 'u', authpass: 'p', authalgo: 'SHA-999' },
    });
    const r = await new Poller({ db, appKey }).pollDevice(id);
    assert.equal(r.status, 'down');
    assert.equal(r.reason, 'snmp');
    assert.match(r.error ?? '', /^SNMPv3 authalgo SHA-999 is not one of MD5, SHA, /);
  },
);

test('a device down and back up gets a Down then an Up eventlog entry', { timeout: 30_000 }, async () => {
  const poller = new Poller({ db, appKey, snmpTimeoutMs: 500, snmpRetries: 0 });
  assert.equal((await poller.discoverDevice(ids.good)).status, 'up');
  const good = { hostname: '127.0.0.1', port: snmpdPort };
  await addDevice(db, appKey, { ...good, snmp: { version: 'v2c', community: 'changed-on-the-device' } });
  const down = await poller.pollDevice(ids.good);
  assert.equal(down.status, 'down');
  await addDevice(db, appKey, { ...good, snmp: { version: 'v2c', community: 'public' } });
  const up = await poller.pollDevice(ids.good);
  assert.equal(up.status, 'up', up.error);
  const ev = await q("SELECT message FROM eventlog WHERE device_id = ? AND type = 'availability' ORDER BY event_id", [
    ids.good,
  ]);
  assert.deepEqual(
    ev.map((e) => e.message.replace(/:.*/, '')),
    ['Device status changed to Up', 'Device status changed to Down from snmp check', 'Device status changed to Up'],
  );
});

test(
  "an agent whose APP_KEY differs from the cluster's refuses to poll, in one line",
  { timeout: 30_000 },
  async () => {
    const poller = new Poller({ db, appKey: generateAppKey() });
    const attempted = async () =>
      (await q('SELECT last_poll_attempted AS t FROM devices WHERE device_id = ?', [ids.good]))[0].t?.getTime();
    const before = await attempted();
    assert.ok(before, 'the good device was polled by the earlier tests');
    await assert.rejects(poller.pollDevice(ids.good), (err: unknown) => {
      assert.ok(err instanceof AppKeyMismatchError);
      assert.match(
        err.message,
        /^this node's APP_KEY \(fingerprint [0-9a-f]{16}\) differs from the cluster's: refusing to work$/,
      );
      return true;
    });
    assert.equal(await attempted(), before, 'the refused poll touched the device row');
  },
);
