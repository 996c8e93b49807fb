// Discovery and polls against real SNMP agents (Debian's snmpd over v2c and v3, snmpsim serving
// the 59-interface cisco_16_switch recording), real MariaDB and a private real rrdcached.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import type mysql from 'mysql2/promise';
import { generateAppKey } from '../../lib/crypto.js';
import { RrdcachedClient } from '../../lib/rrdcached.js';
import { addDevice, type Db } from '../../agent/db/index.js';
import { Poller, rrdHost } from '../../agent/poll/poller.js';
import { RrdWriter } from '../../agent/rrd/writer.js';
import {
  freshName,
  openTestDb,
  type TestDb,
  startPrivateRrdcached,
  type PrivateRrdcached,
  SERVICES,
  agentEnv,
} from '../helpers/services.js';

const database = freshName('poll');
const { host: snmpdHost, port: snmpdPort } = SERVICES.snmpd;
const { host: simHost, port: simPort } = SERVICES.snmpsim;
const appKey = generateAppKey();
const dir = mkdtempSync(join(tmpdir(), 'nms-poll-'));
let db: Db;
let testDb: TestDb | undefined;
let rrdcached: PrivateRrdcached;
let client: RrdcachedClient;
let poller: Poller;
const ids: Record<string, number> = {};

before(async () => {
  // a private rrdcached: file names (port-id<N>) must not meet those of other test databases
  rrdcached = await startPrivateRrdcached(dir);
  testDb = await openTestDb(database, appKey);
  db = testDb.db;
  client = new RrdcachedClient({ address: rrdcached.address });
  poller = new Poller({ db, appKey, rrd: new RrdWriter({ client, step: 10 }), snmpTimeoutMs: 2000, maxConcurrent: 4 });
  ids.v2c = await addDevice(db, appKey, {
    hostname: snmpdHost,
    port: Number(snmpdPort),
    snmp: { version: 'v2c', community: 'public' },
  });
  ids.v3 = await addDevice(db, appKey, {
    hostname: 'localhost',
    port: Number(snmpdPort),
    snmp: {
      version: 'v3',
      authlevel: 'authPriv',
      authname: 'nmsv3',
      authpass: 'nmsv3authpass',
      authalgo: 'SHA',
      cryptopass: 'nmsv3privpass',
      cryptoalgo: 'AES',
    },
  });
  ids.v1 = await addDevice(db, appKey, {
    hostname: '127.1',
    port: Number(snmpdPort),
    snmp: { version: 'v1', community: 'public' },
  });
  ids.cisco = await addDevice(db, appKey, {
    hostname: simHost,
    port: Number(simPort),
    snmp: { version: 'v2c', community: 'cisco_16_switch' },
  });
});

after(async () => {
  await client?.close();
  rrdcached?.stop();
  await testDb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const q = async (sql: string, args: unknown[] = []) => (await db.query<mysql.RowDataPacket[]>(sql, args))[0];

test(
  'snmpd over v1, v2c and v3: discovery finds ports, processors and storage; a poll writes RRD files',
  { timeout: 90_000 },
  async () => {
    const hostOf: Record<string, string> = { v1: '127.1', v2c: snmpdHost, v3: 'localhost' };
    for (const key of ['v1', 'v2c', 'v3']) {
      const d = await poller.discoverDevice(ids[key], { deadlineMs: 20_000 });
      assert.equal(d.status, 'up', `${key} discovery: ${d.error}`);
      const mods = Object.fromEntries(d.modules.map((m) => [m.module, m]));
      assert.ok(mods.ports.items >= 1, `${key}: no ports`);
      assert.ok(mods.processors.items >= 1, `${key}: no processors`);
      assert.ok(mods.storage.items >= 1, `${key}: no storage`);
      const p = await poller.pollDevice(ids[key], { deadlineMs: 20_000 });
      assert.equal(p.status, 'up', `${key} poll: ${p.error}`);
      assert.equal(p.rrd?.dropped, 0);
      assert.equal(p.rrd?.errors, 0);
      const [row] = await q(
        'SELECT sysName, status, status_reason, last_polled, last_discovered, uptime FROM devices WHERE device_id = ?',
        [ids[key]],
      );
      assert.equal(row.sysName, 'nms-test-snmpd');
      assert.equal(row.status, 1);
      assert.equal(row.status_reason, '');
      assert.ok(row.last_polled && row.last_discovered && Number(row.uptime) > 0);
      const ports = await q('SELECT port_id FROM ports WHERE device_id = ? AND deleted = 0', [ids[key]]);
      await client.flushAll();
      const host = rrdHost({ hostname: hostOf[key], port: Number(snmpdPort) });
      for (const f of [`port-id${ports[0].port_id}.rrd`, 'uptime.rrd', 'poller-perf.rrd'])
        assert.ok(existsSync(join(dir, host, f)), `${host}/${f} missing`);
      const info = execFileSync('rrdtool', ['info', join(dir, host, `port-id${ports[0].port_id}.rrd`)], {
        encoding: 'utf8',
      });
      assert.match(info, /step = 10/);
      assert.equal((info.match(/^ds\[\w+\]\.type = "DERIVE"/gm) ?? []).length, 15);
      assert.match(info, /ds\[INOCTETS\]\.minimal_heartbeat = 20/);
    }
    const events = await q("SELECT message FROM eventlog WHERE device_id = ? AND type = 'availability'", [ids.v2c]);
    assert.deepEqual(
      events.map((e) => e.message),
      ['Device status changed to Up'],
    );
  },
);

test(
  'snmpsim cisco_16_switch: discovered ports match the recording (59 with ifXTable)',
  { timeout: 60_000 },
  async () => {
    const rec = gunzipSync(readFileSync('/usr/share/doc/snmpsim/examples/data/cisco_16_switch.snmprec.gz')).toString(
      'utf8',
    );
    const recorded = new Map<number, string>();
    for (const line of rec.split('\n')) {
      // snmprec lines are OID|type|value; type 4x carries the value in hex
      const m = /^1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.1\.(\d+)\|4(x?)\|(.*)$/.exec(line);
      if (m) recorded.set(Number(m[1]), m[2] ? Buffer.from(m[3], 'hex').toString('utf8') : m[3]);
    }
    assert.equal(recorded.size, 59);
    const d = await poller.discoverDevice(ids.cisco, { deadlineMs: 40_000 });
    assert.equal(d.status, 'up', d.error);
    const ports = await q(
      'SELECT ifIndex, ifName, counter_bits FROM ports WHERE device_id = ? AND deleted = 0 ORDER BY ifIndex',
      [ids.cisco],
    );
    assert.equal(ports.length, 59);
    for (const p of ports) assert.equal(p.ifName, recorded.get(Number(p.ifIndex)), `ifName of ifIndex ${p.ifIndex}`);
    const [dev] = await q('SELECT sysName, sysObjectID, os FROM devices WHERE device_id = ?', [ids.cisco]);
    assert.equal(dev.sysName, 'Profiler3750');
    assert.equal(dev.sysObjectID, '.1.3.6.1.4.1.9.1.516'); // LibreNMS's form, with the leading dot
    assert.equal(dev.os, 'ios');
    const p = await poller.pollDevice(ids.cisco, { deadlineMs: 40_000 });
    assert.equal(p.status, 'up', p.error);
    assert.equal(p.modules.find((m) => m.module === 'ports')?.items, 59);
    // the recording's Catalyst answers CISCO-PROCESS-MIB and CISCO-MEMORY-POOL-MIB: the ios definition finds them
    const items = (name: string) => p.modules.find((m) => m.module === name)?.items ?? 0;
    assert.ok(items('processors') >= 1 && items('mempools') >= 1, JSON.stringify(p.modules));
    assert.equal(
      p.modules.find((m) => m.module === 'rrd')?.items,
      59 + 2 + items('processors') + items('mempools') + items('storage') + items('sensors'),
    );
  },
);

test(
  'nms-agent migrate, discover and poll (the commands): steps with timings, --json, one-line errors',
  { timeout: 90_000 },
  async () => {
    const env = join(dir, '.env');
    writeFileSync(
      env,
      agentEnv({ database, appKey, nodeId: 'poll-test', user: 'nobody', extra: ['API_TOKEN=poll-test'] }),
    );
    writeFileSync(
      join(dir, 'config.yaml'),
      `distributed_poller_name: poll-test\ncluster_address: 127.0.0.1\nrrdcached: unix:${dir}/sock\nspool_dir: ` +
        `${dir}/spool\nservice_poller_frequency: 10\n`,
    );
    const agent = (...args: string[]) => {
      try {
        return {
          code: 0,
          out: execFileSync(process.execPath, ['--import', 'tsx', 'agent/main.ts', '--env', env, ...args], {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
          }),
          err: '',
        };
      } catch (e) {
        const x = e as { status: number; stdout: string; stderr: string };
        return { code: x.status, out: x.stdout, err: x.stderr };
      }
    };
    const m = JSON.parse(agent('migrate', '--json').out);
    assert.deepEqual(m.applied, []);
    const human = agent('discover', String(ids.v2c));
    assert.equal(human.code, 0, human.err);
    assert.match(
      human.out,
      /^discovery of device \d+ \(127\.0\.0\.1\): up in \d+\.\d\d s, \d+ SNMP requests\n {2}system +ok/,
    );
    assert.match(human.out, /\n {2}ports +ok +\d+ items +snmp [\d.]+ ms, db [\d.]+ ms/);
    const polled = JSON.parse(agent('poll', String(ids.v2c), '--json').out);
    assert.equal(polled.length, 1);
    assert.equal(polled[0].status, 'up');
    assert.deepEqual(
      polled[0].modules.map((x: { module: string }) => x.module),
      ['system', 'ports', 'processors', 'mempools', 'storage', 'sensors', 'ucd-diskio', 'rrd'],
    );
    const missing = agent('poll', 'no-such-device');
    assert.equal(missing.code, 1);
    assert.equal(missing.err.trim().split('\n')[0], 'error: no device "no-such-device" in the database');
    writeFileSync(
      env,
      (await import('node:fs')).readFileSync(env, 'utf8').replace(/^APP_KEY=.*$/m, `APP_KEY=${generateAppKey()}`),
    );
    const refused = agent('poll', String(ids.v2c));
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.err.split('\n')[0],
      /^error: this node's APP_KEY \(fingerprint [0-9a-f]+\) differs from the cluster's: refusing to work$/,
    );
  },
);
