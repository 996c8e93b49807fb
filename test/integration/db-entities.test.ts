// What the entity upserts store, value by value, on real MariaDB: LibreNMS's _prev, _delta and
// _rate columns, poll_time/poll_prev/poll_period, status _prev fields, what a poll does not walk
// kept from discovery, deleted ports, and port ids stable across polls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { generateAppKey } from '../../lib/crypto.js';
import {
  addDevice,
  entityCounts,
  getDevice,
  getDeviceState,
  recordPoll,
  syncPorts,
  type Db,
} from '../../agent/db/index.js';
import { PORT_COUNTERS, type PortCounter } from '../../agent/collectors/port-counters.js';
import type { PortRecord } from '../../agent/collectors/types.js';
import { freshName, openTestDb, type TestDb } from '../helpers/services.js';

const database = freshName('dbent');
const appKey = generateAppKey();
let db: Db;
let testDb: TestDb | undefined;
let dev: number;

before(async () => {
  testDb = await openTestDb(database, appKey);
  db = testDb.db;
  dev = await addDevice(db, appKey, { hostname: '192.0.2.1', snmp: { version: 'v2c', community: 'public' } });
});

after(async () => {
  await testDb?.drop();
});

const q = async (sql: string, args: unknown[] = []) => (await db.query<mysql.RowDataPacket[]>(sql, args))[0];

/** Every counter of a port at `base`, the k-th counter `base + k`. */
function counters(base: bigint | null): Record<PortCounter, bigint | null> {
  return Object.fromEntries(PORT_COUNTERS.map((c, k) => [c, base === null ? null : base + BigInt(k)])) as Record<
    PortCounter,
    bigint | null
  >;
}

/** A port as discovery sees it (every column) or as a poll does (status, speed, counters). */
function port(ifIndex: number, base: bigint | null, poll: boolean, over: Partial<PortRecord> = {}): PortRecord {
  const full = !poll;
  return {
    ifIndex,
    ifDescr: full ? `eth${ifIndex}` : null,
    ifName: full ? `e${ifIndex}` : null,
    ifAlias: full ? `uplink ${ifIndex}` : null,
    ifType: full ? 'ethernetCsmacd' : null,
    ifMtu: full ? 1500 : null,
    ifSpeed: 1_000_000_000,
    ifHighSpeed: 1000,
    ifPhysAddress: full ? '00:11:22:33:44:0' + ifIndex : null,
    ifAdminStatus: 'up',
    ifOperStatus: 'up',
    ifLastChange: full ? 42 : null,
    counterBits: 64,
    counters: counters(base),
    ...over,
  };
}

const portRow = async (ifIndex: number) =>
  (await q('SELECT * FROM ports WHERE device_id = ? AND ifIndex = ?', [dev, ifIndex]))[0];

test(
  'ports: discovery then polls store counters with _prev, _delta and _rate as LibreNMS does',
  { timeout: 30_000 },
  async () => {
    const t0 = 1_700_000_000;
    const found = await syncPorts(
      db,
      dev,
      [port(1, 1000n, false), port(2, 5000n, false), port(3, 7n, false)],
      t0,
      true,
    );
    assert.deepEqual([...found.keys()].sort(), [1, 2, 3]);
    let r = await portRow(1);
    assert.equal(r.port_id, found.get(1));
    assert.deepEqual(
      [r.ifDescr, r.ifName, r.ifAlias, r.ifType, r.ifMtu, r.ifPhysAddress, Number(r.ifLastChange)],
      ['eth1', 'e1', 'uplink 1', 'ethernetCsmacd', 1500, '00:11:22:33:44:01', 42],
    );
    assert.equal(Number(r.ifInUcastPkts), 1000);
    assert.equal(r.ifInUcastPkts_prev, null);
    assert.equal(r.ifInUcastPkts_delta, null);
    assert.equal(r.ifInUcastPkts_rate, null);
    assert.deepEqual([r.poll_time, r.poll_prev, r.poll_period], [t0, null, null]);

    // first poll, 300 s later: port 1 grew 3,000 per counter; port 2's counters went back (a
    // wrap or a reboot), port 3 lost its counters; port 1 went down and slowed down
    const t1 = t0 + 300;
    const polled = await syncPorts(
      db,
      dev,
      [
        port(1, 4000n, true, { ifOperStatus: 'down', ifSpeed: 100_000_000, ifHighSpeed: 100 }),
        port(2, 10n, true),
        port(3, null, true),
      ],
      t1,
    );
    assert.deepEqual(polled, found, 'port ids change between polls');
    r = await portRow(1);
    // a poll does not walk these: they stay as discovery left them
    assert.deepEqual(
      [r.ifDescr, r.ifName, r.ifAlias, r.ifType, r.ifMtu, r.ifPhysAddress, Number(r.ifLastChange)],
      ['eth1', 'e1', 'uplink 1', 'ethernetCsmacd', 1500, '00:11:22:33:44:01', 42],
    );
    assert.deepEqual([r.poll_time, r.poll_prev, r.poll_period], [t1, t0, 300]);
    assert.deepEqual(
      [r.ifOperStatus, r.ifOperStatus_prev, r.ifAdminStatus, r.ifAdminStatus_prev],
      ['down', 'up', 'up', 'up'],
    );
    assert.deepEqual(
      [Number(r.ifSpeed), Number(r.ifSpeed_prev), r.ifHighSpeed, r.ifHighSpeed_prev],
      [100_000_000, 1_000_000_000, 100, 1000],
    );
    PORT_COUNTERS.forEach((c, k) => {
      assert.equal(Number(r[c]), 4000 + k, c);
      assert.equal(Number(r[`${c}_prev`]), 1000 + k, `${c}_prev`);
      assert.equal(Number(r[`${c}_delta`]), 3000, `${c}_delta`);
      assert.equal(Number(r[`${c}_rate`]), 10, `${c}_rate`);
    });
    r = await portRow(2);
    assert.equal(Number(r.ifInOctets), 14);
    assert.equal(Number(r.ifInOctets_prev), 5004);
    assert.equal(r.ifInOctets_delta, null, 'a counter that went back has no delta');
    assert.equal(r.ifInOctets_rate, null);
    // a counter the poll did not read keeps its stored value: never NULL over a value
    r = await portRow(3);
    assert.equal(Number(r.ifInOctets), 11);
    assert.equal(r.ifInOctets_prev, null);
    assert.equal(r.ifInOctets_delta, null);
    assert.equal(r.ifInOctets_rate, null);

    // 64-bit counters beyond 2^53 keep every digit; the rate divides by the period (integer)
    const big = 2n ** 63n;
    await syncPorts(db, dev, [port(1, big, true), port(2, 10n, true), port(3, 100n, true)], t1 + 7);
    await syncPorts(db, dev, [port(1, big + 1000n, true), port(2, 10n, true), port(3, 120n, true)], t1 + 7 + 301);
    r = (
      await q(
        'SELECT CAST(ifInUcastPkts AS CHAR) AS v, CAST(ifInUcastPkts_prev AS CHAR) AS p, ifInUcastPkts_delta AS d, ' +
          'ifInUcastPkts_rate AS rt, poll_period FROM ports WHERE device_id = ? AND ifIndex = 1',
        [dev],
      )
    )[0];
    assert.deepEqual(
      [r.v, r.p, Number(r.d), Number(r.rt), r.poll_period],
      [(big + 1000n).toString(), big.toString(), 1000, 3, 301],
    );
    r = await portRow(3);
    assert.deepEqual(
      [Number(r.ifInOctets), Number(r.ifInOctets_prev), Number(r.ifInOctets_delta), Number(r.ifInOctets_rate)],
      [124, 104, 20, 0],
    );
    r = await portRow(2);
    assert.deepEqual(
      [Number(r.ifInOctets_delta), Number(r.ifInOctets_rate)],
      [0, 0],
      'an idle counter has a delta of 0, not NULL',
    );

    // across 2^53 (sent as a number below, as digits above): the delta is exact
    const edge = 2n ** 53n - 1n;
    await syncPorts(db, dev, [port(1, big, true), port(2, 10n, true), port(3, edge - 4n, true)], t1 + 7 + 301 + 300);
    await syncPorts(db, dev, [port(1, big, true), port(2, 10n, true), port(3, edge + 1000n, true)], t1 + 7 + 301 + 600);
    r = (
      await q(
        'SELECT CAST(ifInOctets AS CHAR) AS v, CAST(ifInOctets_prev AS CHAR) AS p, ' +
          'CAST(ifInOctets_delta AS CHAR) AS d FROM ports WHERE device_id = ? AND ifIndex = 3',
        [dev],
      )
    )[0];
    assert.deepEqual([r.v, r.p, r.d], [(edge + 1004n).toString(), edge.toString(), '1004']);

    // a poll at the same second as the last (clock step): no period, so no rates
    const t2 = t1 + 7 + 301 + 600;
    await syncPorts(db, dev, [port(1, big + 2000n, true), port(2, 10n, true), port(3, edge + 1010n, true)], t2);
    r = await portRow(3);
    assert.deepEqual([r.poll_time, r.poll_prev, r.poll_period], [t2, t2, null]);
    assert.deepEqual([Number(r.ifInOctets_delta), r.ifInOctets_rate], [10, null]);
  },
);

test(
  'ports: discovery flags missing ports deleted; a port seen again keeps its id; a new port in a poll gets one',
  { timeout: 30_000 },
  async () => {
    const t = 1_800_000_000;
    const before = await syncPorts(db, dev, [port(1, 1n, false), port(2, 1n, false), port(3, 1n, false)], t, true);
    const gone = await syncPorts(db, dev, [port(1, 2n, false), port(3, 2n, false)], t + 300, true);
    assert.deepEqual([...gone.keys()].sort(), [1, 3]);
    let rows = await q('SELECT ifIndex, deleted FROM ports WHERE device_id = ? ORDER BY ifIndex', [dev]);
    assert.deepEqual(
      rows.map((x) => [Number(x.ifIndex), x.deleted]),
      [
        [1, 0],
        [2, 1],
        [3, 0],
      ],
    );
    // a poll that sees port 2 again brings it back with the same id; port 4 is new
    const polled = await syncPorts(
      db,
      dev,
      [port(1, 3n, true), port(2, 3n, true), port(3, 3n, true), port(4, 3n, true)],
      t + 600,
    );
    assert.equal(polled.get(2), before.get(2));
    assert.ok(polled.get(4)! > 0 && ![...before.values()].includes(polled.get(4)!));
    rows = await q('SELECT ifIndex, port_id, deleted FROM ports WHERE device_id = ? ORDER BY ifIndex', [dev]);
    assert.deepEqual(
      rows.map((x) => [Number(x.ifIndex), x.port_id, x.deleted]),
      [1, 2, 3, 4].map((i) => [i, polled.get(i), 0]),
    );
  },
);

test(
  'getDeviceState: the device, live entity counts and every row id in one query; upserts by id spend no AUTO_INCREMENT',
  { timeout: 30_000 },
  async () => {
    const d2 = await addDevice(db, appKey, { hostname: '192.0.2.2', snmp: { version: 'v2c', community: 'public' } });
    const empty = await getDeviceState(db, d2);
    assert.deepEqual(empty.device, await getDevice(db, d2));
    assert.deepEqual(
      [
        empty.entities.ports,
        empty.entities.processors,
        empty.entities.storage,
        empty.entities.sensors,
        empty.entities.counterBits,
      ],
      [0, 0, 0, 0, 64],
    );
    assert.equal(empty.entities.ids.ports.size, 0);

    const t = 1_900_000_000;
    const ports = [port(1, 1n, false), port(2, 1n, false), port(7, 1n, false, { counterBits: 32 })];
    const found = await syncPorts(db, d2, ports, t, true, empty.entities.ids.ports);
    // processors, storage and sensors as the definition modules write them (agent/modules), one
    // storage row flagged deleted by a later discovery
    await q(
      'INSERT INTO processors (device_id, processor_oid, processor_index, processor_type, processor_descr) ' +
        "VALUES (?, '.1.3.6.1.2.1.25.3.3.1.2.196608', '196608', 'hr', 'cpu')",
      [d2],
    );
    await q(
      'INSERT INTO storage (device_id, storage_mib, storage_index, storage_type, storage_descr, storage_size, ' +
        "storage_units, storage_deleted) VALUES (?, 'hrstorage', '1', 'hrStorageRam', 'RAM', 100, 1024, 0), " +
        "(?, 'hrstorage', '31', 'hrStorageFixedDisk', '/', 100, 4096, 1)",
      [d2, d2],
    );
    await q(
      'INSERT INTO sensors (device_id, sensor_class, sensor_oid, sensor_index, sensor_type, sensor_descr) VALUES ' +
        "(?, 'temperature', '.1.3.6.1.2.1.99.1.1.1.4.1001', '1001', 'entity-sensor', 'temperature 1001'), " +
        "(?, 'voltage', '.1.3.6.1.2.1.99.1.1.1.4.1002', '1002', 'entity-sensor', 'voltage 1002')",
      [d2, d2],
    );
    // a port gone at the next discovery still has its id in the state, and no longer counts
    await syncPorts(db, d2, ports.slice(0, 2), t + 1, true);

    const s = await getDeviceState(db, String(d2));
    assert.equal(s.device.hostname, '192.0.2.2');
    assert.deepEqual(
      [s.entities.ports, s.entities.processors, s.entities.storage, s.entities.sensors, s.entities.counterBits],
      [2, 1, 1, 2, 64],
    );
    const counts = await entityCounts(db, d2);
    assert.deepEqual(counts, { ports: 2, processors: 1, storage: 1, sensors: 2, counterBits: 64 });
    assert.deepEqual(s.entities.ids.ports, found);
    const idsOf = async (table: string, id: string, key: string) =>
      new Map(
        (await q(`SELECT ${id} AS id, ${key} AS k FROM ${table} WHERE device_id = ?`, [d2])).map((r) => [
          String(r.k),
          r.id,
        ]),
      );
    assert.deepEqual(s.entities.ids.processors, await idsOf('processors', 'processor_id', 'processor_index'));
    assert.deepEqual(s.entities.ids.storage, await idsOf('storage', 'storage_id', 'storage_index'));
    assert.deepEqual(
      s.entities.ids.sensors,
      await idsOf('sensors', 'sensor_id', "CONCAT(sensor_class, ' ', sensor_index)"),
    );
    assert.equal((await getDeviceState(db, '192.0.2.2')).device.device_id, d2, 'by hostname');
    await assert.rejects(getDeviceState(db, 'no-such-host'), /no device "no-such-host" in the database/);

    // only port 7 (32-bit counters) live: the poll walks 32-bit counters
    await syncPorts(db, d2, [port(7, 1n, false, { counterBits: 32 })], t + 2, true);
    assert.equal((await getDeviceState(db, d2)).entities.counterBits, 32);

    // polls naming the ids: the AUTO_INCREMENT counters stay where they were
    const autoInc = async () =>
      (
        await q(
          'SELECT TABLE_NAME AS t, AUTO_INCREMENT AS a FROM information_schema.TABLES ' +
            'WHERE TABLE_SCHEMA = DATABASE() ' +
            "AND TABLE_NAME IN ('ports', 'processors', 'storage', 'sensors') ORDER BY TABLE_NAME",
        )
      ).map((r) => [r.t, Number(r.a)]);
    const before = await autoInc();
    for (let n = 1; n <= 3; n++) {
      const { entities: e } = await getDeviceState(db, d2);
      const polled = await syncPorts(
        db,
        d2,
        [port(1, BigInt(n), true), port(2, BigInt(n), true), port(7, BigInt(n), true, { counterBits: 32 })],
        t + 300 * n,
        false,
        e.ids.ports,
      );
      assert.deepEqual([...polled].sort(), [...found].sort());
    }
    assert.deepEqual(await autoInc(), before);
    assert.deepEqual(
      (await q('SELECT ifIndex, deleted, poll_period FROM ports WHERE device_id = ? ORDER BY ifIndex', [d2])).map(
        (r) => [Number(r.ifIndex), r.deleted, r.poll_period],
      ),
      [
        [1, 0, 300],
        [2, 0, 300],
        [7, 0, 300],
      ],
    );
  },
);

test(
  'recordPoll: status, timings and what the device said; an unchanged sysDescr is not rewritten',
  { timeout: 30_000 },
  async () => {
    const d3 = await addDevice(db, appKey, { hostname: '192.0.2.3', snmp: { version: 'v2c', community: 'public' } });
    const startedAt = new Date('2030-01-01T00:00:00Z');
    let dev = await getDevice(db, d3);
    await recordPoll(db, dev, {
      startedAt,
      seconds: 1.234,
      up: true,
      reason: '',
      sysName: 'a',
      sysDescr: 'Linux a',
      sysObjectID: '1.3.6.1.4.1.8072.3.2.10',
      uptime: 100,
    });
    dev = await getDevice(db, d3);
    assert.deepEqual(
      [
        dev.status,
        dev.status_reason,
        dev.sysName,
        dev.sysDescr,
        dev.sysObjectID,
        dev.uptime,
        dev.last_polled?.toISOString(),
        dev.last_polled_timetaken,
      ],
      [1, '', 'a', 'Linux a', '1.3.6.1.4.1.8072.3.2.10', 100, '2030-01-01T00:00:00.000Z', 1.23],
    );
    // the row changes behind our back: an unchanged value (as `before` has it) is not sent, a changed one is
    await db.query("UPDATE devices SET sysDescr = 'edited' WHERE device_id = ?", [d3]);
    await recordPoll(db, dev, {
      startedAt: new Date('2030-01-01T00:05:00Z'),
      seconds: 1,
      up: true,
      reason: '',
      sysName: 'b',
      sysDescr: 'Linux a',
      sysObjectID: '1.3.6.1.4.1.8072.3.2.10',
      uptime: 400,
    });
    const [row] = await q('SELECT sysName, sysDescr, uptime, last_polled FROM devices WHERE device_id = ?', [d3]);
    assert.deepEqual(
      [row.sysName, row.sysDescr, Number(row.uptime), row.last_polled.toISOString()],
      ['b', 'edited', 400, '2030-01-01T00:05:00.000Z'],
    );
    // down: last_polled kept, status_reason set, an eventlog entry after the first poll's Up
    await recordPoll(db, await getDevice(db, d3), {
      startedAt: new Date('2030-01-01T00:10:00Z'),
      seconds: 3,
      up: false,
      reason: 'snmp',
      detail: 'no answer',
    });
    dev = await getDevice(db, d3);
    assert.deepEqual(
      [dev.status, dev.status_reason, dev.last_polled?.toISOString()],
      [0, 'snmp', '2030-01-01T00:05:00.000Z'],
    );
    const ev = await q(
      'SELECT message, severity, reference FROM eventlog ' +
        "WHERE device_id = ? AND type = 'availability' ORDER BY event_id",
      [d3],
    );
    assert.deepEqual(
      ev.map((e) => [e.message, e.severity, e.reference]),
      [
        ['Device status changed to Up', 1, 'snmp'],
        ['Device status changed to Down from snmp check: no answer', 5, 'snmp'],
      ],
    );
  },
);

test(
  'getDeviceState: module switches read without an on-disk temporary table (a TEXT column in GROUP_CONCAT makes one)',
  { timeout: 30_000 },
  async () => {
    const d3 = await addDevice(db, appKey, { hostname: '192.0.2.3', snmp: { version: 'v2c', community: 'public' } });
    await q(
      "INSERT INTO devices_attribs (device_id, attrib_type, attrib_value) VALUES (?, 'poll_ports', '0'), " +
        "(?, 'discover_sensors', '1'), (?, 'override_sysLocation_string', ?)",
      [d3, d3, d3, 'x'.repeat(300)],
    );
    const conn = await db.getConnection();
    try {
      const diskTables = async () =>
        Number(
          (await conn.query<mysql.RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Created_tmp_disk_tables'"))[0][0].Value,
        );
      const before = await diskTables();
      const s = await getDeviceState(conn as unknown as Db, d3);
      assert.equal(await diskTables(), before, 'no on-disk temporary table');
      // only the module switches, whole
      assert.deepEqual((s.attribs ?? '').split(',').sort(), ['discover_sensors=1', 'poll_ports=0']);
    } finally {
      conn.release();
    }
  },
);
