// Discovery of real devices' recordings (served by a private snmpsimd) through the Poller into
// MariaDB: entPhysical, ipv4_addresses/ipv4_networks, links and ucd_diskio rows, compared with
// LibreNMS's rows for the same devices; a poll writes ucd_diskio RRD files (LibreNMS's names and
// data sources) to a private rrdcached; links find the remote device when it is known.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { generateAppKey } from '../../lib/crypto.js';
import { RrdcachedClient } from '../../lib/rrdcached.js';
import { addDevice, moduleRows, type Db } from '../../agent/db/index.js';
import { Poller } from '../../agent/poll/poller.js';
import { RrdWriter } from '../../agent/rrd/writer.js';
import { expectedRows } from '../helpers/snmprec.js';
import { startRecordingSim, type RecordingSim } from '../helpers/snmpsim.js';
import {
  freshName,
  openTestDb,
  type TestDb,
  startPrivateRrdcached,
  type PrivateRrdcached,
} from '../helpers/services.js';

const database = freshName('modules');
const appKey = generateAppKey();
const dir = mkdtempSync(join(tmpdir(), 'nms-modules-'));
let db: Db;
let testDb: TestDb | undefined;
let sim: RecordingSim;
let rrdcached: PrivateRrdcached;
let client: RrdcachedClient;
let poller: Poller;
const ids: Record<string, number> = {};
const NAMES = ['fs-switch_s3900', 'voss_8608', 'cumulus_mellanox', 'edgeos', 'arista_eos_7280r'];

before(async () => {
  sim = await startRecordingSim('fs-switch_s3900', NAMES.length);
  rrdcached = await startPrivateRrdcached(dir);
  testDb = await openTestDb(database, appKey);
  db = testDb.db;
  client = new RrdcachedClient({ address: rrdcached.address });
  poller = new Poller({ db, appKey, rrd: new RrdWriter({ client, step: 10 }), snmpTimeoutMs: 3000, maxConcurrent: 2 });
  // each recording on an address of its own (hostname and port are a device's key)
  for (const [k, n] of NAMES.entries())
    ids[n] = await addDevice(db, appKey, {
      hostname: sim.hosts[k],
      port: sim.port,
      snmp: { version: 'v2c', community: n },
    });
});

after(async () => {
  sim?.stop();
  await client?.close();
  rrdcached?.stop();
  await testDb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const q = async (sql: string, args: unknown[] = []) => (await db.query<mysql.RowDataPacket[]>(sql, args))[0];

test(
  'discovery stores entPhysical, ipv4 addresses, links and disks as LibreNMS does',
  { timeout: 120_000 },
  async () => {
    for (const n of NAMES) {
      const d = await poller.discoverDevice(ids[n], { deadlineMs: 60_000 });
      assert.equal(d.status, 'up', `${n}: ${d.error}`);
    }
    for (const n of ['fs-switch_s3900', 'voss_8608', 'edgeos']) {
      const ent = await q('SELECT entPhysicalIndex, entPhysicalClass FROM entPhysical WHERE device_id = ?', [ids[n]]);
      const want = expectedRows(n, 'entity-physical', 'entPhysical')!;
      assert.equal(ent.length, want.length, n);
      const w = new Map(want.map((r) => [r.entPhysicalIndex, r]));
      for (const r of ent)
        assert.equal(r.entPhysicalClass, w.get(r.entPhysicalIndex)?.entPhysicalClass, `${n} ${r.entPhysicalIndex}`);
    }
    // arista's recording serves ipAddrTable out of order: read all the same
    for (const n of ['fs-switch_s3900', 'cumulus_mellanox', 'edgeos', 'arista_eos_7280r']) {
      const got = await q(
        `SELECT a.ipv4_address, a.ipv4_prefixlen, n.ipv4_network, p.ifIndex FROM ipv4_addresses a
      JOIN ipv4_networks n USING (ipv4_network_id) JOIN ports p USING (port_id)
      WHERE p.device_id = ? ORDER BY a.ipv4_address`,
        [ids[n]],
      );
      const want = expectedRows(n, 'ipv4-addresses', 'ipv4_addresses')!.map((r) => [
        r.ipv4_address,
        r.ipv4_prefixlen,
        r.ipv4_network,
        r.ifIndex,
      ]);
      assert.deepEqual(
        got.map((r) => [r.ipv4_address, r.ipv4_prefixlen, r.ipv4_network, Number(r.ifIndex)]).sort(),
        want.sort(),
        n,
      );
    }
    for (const n of ['fs-switch_s3900', 'voss_8608']) {
      const got = await q(
        `SELECT p.ifName, l.protocol, l.remote_hostname, l.remote_port, l.remote_version FROM links l
      JOIN ports p ON p.port_id = l.local_port_id WHERE l.local_device_id = ?`,
        [ids[n]],
      );
      const want = expectedRows(n, 'discovery-protocols', 'links')!;
      const key = (r: Record<string, unknown>) =>
        [r.ifName, r.protocol, r.remote_hostname, r.remote_port, r.remote_version].join(' | ');
      assert.deepEqual(got.map(key).sort(), want.map(key).sort(), n);
    }
    // moduleRows: the rows in the shape of LibreNMS's dumps, for comparisons with expected/
    const links = await moduleRows(db, 'links', ids['fs-switch_s3900']);
    const linkKey = (r: Record<string, unknown>) => `${String(r.ifName)} ${String(r.remote_port)}`;
    const wantLinks = expectedRows('fs-switch_s3900', 'discovery-protocols', 'links')!;
    assert.deepEqual(links.map(linkKey).sort(), wantLinks.map(linkKey).sort());
    const v4 = await moduleRows(db, 'ipv4_addresses', ids.edgeos);
    const v4Key = (r: Record<string, unknown>) => [r.ipv4_address, r.ipv4_network, r.ifIndex].map(String).join(' ');
    assert.deepEqual(
      v4.map(v4Key).sort(),
      expectedRows('edgeos', 'ipv4-addresses', 'ipv4_addresses')!.map(v4Key).sort(),
    );
    assert.equal((await moduleRows(db, 'entPhysical', ids.voss_8608)).length, 268);
    const disks = await q(
      'SELECT diskio_index, diskio_descr FROM ucd_diskio WHERE device_id = ? ORDER BY diskio_index',
      [ids.cumulus_mellanox],
    );
    assert.ok(
      disks.some((r) => r.diskio_descr === 'sda') && !disks.some((r) => /^(ram|loop)/.test(r.diskio_descr)),
      JSON.stringify(disks),
    );
  },
);

test(
  'a neighbour that is a known device gets its remote_device_id and remote_port_id',
  { timeout: 60_000 },
  async () => {
    // fs-switch's neighbour GS1900-ModemSide on its port "8": make a device of that name with that port
    const other = await addDevice(db, appKey, {
      hostname: 'gs1900.example.net',
      snmp: { version: 'v2c', community: 'x' },
    });
    await db.query('UPDATE devices SET sysName = ? WHERE device_id = ?', ['GS1900-ModemSide', other]);
    await db.query('INSERT INTO ports (device_id, ifIndex, ifName, ifDescr) VALUES (?, 8, ?, ?)', [
      other,
      '8',
      'Port 8',
    ]);
    await poller.discoverDevice(ids['fs-switch_s3900'], { deadlineMs: 60_000 });
    const [link] = await q(
      'SELECT remote_device_id, remote_port_id FROM links WHERE local_device_id = ? AND remote_hostname = ?',
      [ids['fs-switch_s3900'], 'GS1900-ModemSide'],
    );
    const [port] = await q('SELECT port_id FROM ports WHERE device_id = ? AND ifIndex = 8', [other]);
    assert.deepEqual([link.remote_device_id, link.remote_port_id], [other, port.port_id]);
    const [unknown] = await q(
      'SELECT remote_device_id, remote_port_id FROM links WHERE local_device_id = ? AND remote_hostname = ?',
      [ids['fs-switch_s3900'], 'GS1900-TVSide'],
    );
    assert.deepEqual([unknown.remote_device_id, unknown.remote_port_id], [0, null]);
  },
);

test('a poll writes ucd_diskio-<descr>.rrd with read, written, reads and writes', { timeout: 60_000 }, async () => {
  const p = await poller.pollDevice(ids.cumulus_mellanox, { deadlineMs: 60_000 });
  assert.equal(p.status, 'up', p.error);
  const m = p.modules.find((x) => x.module === 'ucd-diskio');
  assert.ok(m && m.status === 'ok' && m.items > 0, JSON.stringify(m));
  await client.flushAll();
  const host = `${sim.hosts[NAMES.indexOf('cumulus_mellanox')]}_${sim.port}`;
  const file = join(dir, host, 'ucd_diskio-sda.rrd');
  assert.ok(existsSync(file), `${file} missing`);
  const info = execFileSync('rrdtool', ['info', file], { encoding: 'utf8' });
  for (const ds of ['read', 'written', 'reads', 'writes'])
    assert.match(info, new RegExp(`ds\\[${ds}\\]\\.type = "DERIVE"`), ds);
});
