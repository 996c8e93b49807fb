// Ports of a real device (iosxe_asr920's recording, LibreNMS's test data) through discovery and
// a 64-bit poll into MariaDB: what the poll does not walk (32-bit-only counters such as
// ifInBroadcastPkts of a port without ifHCInBroadcastPkts, ifInNUcastPkts, names) keeps the
// value discovery stored, and the stored rows equal LibreNMS's expected ones.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { generateAppKey } from '../../lib/crypto.js';
import { addDevice, syncPorts, type Db } from '../../agent/db/index.js';
import { portsCollector, portStatsCollector } from '../../agent/collectors/index.js';
import { collectFromRecording, expectedRows } from '../helpers/snmprec.js';
import { freshName, openTestDb, type TestDb } from '../helpers/services.js';

const database = freshName('portrec');
const appKey = generateAppKey();
let db: Db;
let testDb: TestDb | undefined;
let dev: number;

before(async () => {
  testDb = await openTestDb(database, appKey);
  db = testDb.db;
  dev = await addDevice(db, appKey, { hostname: '192.0.2.7', snmp: { version: 'v2c', community: 'iosxe_asr920' } });
});

after(async () => {
  await testDb?.drop();
});

const FIELDS = [
  'ifName',
  'ifDescr',
  'ifAlias',
  'ifType',
  'ifSpeed',
  'ifOperStatus',
  'ifAdminStatus',
  'ifMtu',
  'ifPhysAddress',
  'ifInOctets',
  'ifOutOctets',
  'ifInUcastPkts',
  'ifInBroadcastPkts',
  'ifOutBroadcastPkts',
  'ifInMulticastPkts',
  'ifInNUcastPkts',
  'ifInErrors',
];

test(
  "a 64-bit poll leaves the 32-bit-only counters discovery stored; rows equal LibreNMS's",
  { timeout: 30_000 },
  async () => {
    const name = 'iosxe_asr920';
    const t0 = 1_700_000_000;
    const ids = await syncPorts(db, dev, portsCollector.process(collectFromRecording(name, portsCollector)), t0, true);
    const poll = portStatsCollector(64);
    const polled = poll.process(collectFromRecording(name, poll));
    // the premise: the poll reads neither ifInNUcastPkts nor the broadcast counters of port 29
    // (GigabitEthernet0: ifInBroadcastPkts without an HC twin)
    const p29 = polled.find((p) => p.ifIndex === 29)!;
    assert.equal(p29.counters.ifInBroadcastPkts, null);
    assert.equal(p29.counters.ifInNUcastPkts, null);
    await syncPorts(db, dev, polled, t0 + 300, false, ids);
    await syncPorts(db, dev, polled, t0 + 600, false, ids);
    const [rows] = await db.query<mysql.RowDataPacket[]>(
      `SELECT ifIndex, ${FIELDS.join(', ')} FROM ports WHERE device_id = ?`,
      [dev],
    );
    const got = new Map(rows.map((r) => [Number(r.ifIndex), r]));
    const want = expectedRows(name, 'ports', 'ports', 'poller')!;
    const misses: string[] = [];
    let compared = 0;
    for (const w of want) {
      const g = got.get(Number(w.ifIndex));
      assert.ok(g, `port ${w.ifIndex} missing`);
      for (const f of FIELDS) {
        compared++;
        const gv = g[f] === null ? null : typeof w[f] === 'number' ? Number(g[f]) : g[f];
        if (gv !== w[f])
          misses.push(`ifIndex ${w.ifIndex} ${f}: LibreNMS ${JSON.stringify(w[f])}, stored ${JSON.stringify(gv)}`);
      }
    }
    assert.ok(compared > 500);
    assert.deepEqual(misses, []);
    const r29 = got.get(29)!;
    assert.deepEqual([r29.ifInBroadcastPkts, r29.ifInNUcastPkts].map(Number), [0, 0], 'kept from discovery, not NULL');
  },
);

test(
  'a port whose agent answers ifHighSpeed 4294901759 (FortiGate) is stored, speed NULL',
  { timeout: 30_000 },
  async () => {
    const fg = await addDevice(db, appKey, { hostname: '192.0.2.8', snmp: { version: 'v2c', community: 'fortigate' } });
    await syncPorts(
      db,
      fg,
      portsCollector.process(collectFromRecording('fortigate', portsCollector)),
      1_700_000_000,
      true,
    );
    const [rows] = await db.query<mysql.RowDataPacket[]>(
      'SELECT ifSpeed, ifHighSpeed FROM ports WHERE device_id = ? AND ifIndex = 3',
      [fg],
    );
    assert.deepEqual([rows[0].ifSpeed, rows[0].ifHighSpeed], [null, null]);
  },
);
