// The web/API against the real MariaDB, Redis and memcached of scripts/test-services.sh, with
// real HTTP requests: the token is required everywhere, answers have the documented shapes,
// errors are JSON without stacks, and no SNMP credential ever leaves the server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import memjs from 'memjs';
import { ApiServer } from '../../agent/api/server.js';
import { addDevice, migrate, openDb, type Db } from '../../agent/db/index.js';
import { generateAppKey, generateSecret } from '../../lib/crypto.js';
import { NmsError } from '../../lib/errors.js';
import { setLogSink } from '../../lib/log.js';
import { SERVICES, address } from '../helpers/services.js';

const { host: redisHost, port: redisPort } = SERVICES.redis;
const memcachedAddr = address(SERVICES.memcached);
const database = `nms_api_${process.pid}_${Date.now() % 100000}`;

const TOKEN = generateSecret(24);
const APP_KEY = generateAppKey();
// Secrets stored with the devices: none of them (nor their ciphertexts) may appear in any answer.
const COMMUNITY = 'api-test-community-' + generateSecret(6);
const AUTHPASS = 'api-test-authpass-' + generateSecret(6);
const CRYPTOPASS = 'api-test-cryptopass-' + generateSecret(6);
const CREDENTIAL_KEYS = [
  'community',
  'authname',
  'authpass',
  'authalgo',
  'cryptopass',
  'cryptoalgo',
  'authlevel',
  'password',
];

const logLines: string[] = [];
const bodies: string[] = [];
let db: Db;
let server: ApiServer;
let base: string;
let redis: Redis;
let memcached: memjs.Client;
const ids: Record<string, number> = {};

async function get(path: string, headers: Record<string, string> = { 'X-Auth-Token': TOKEN }, method = 'GET') {
  const res = await fetch(base + path, { method, headers, signal: AbortSignal.timeout(10000) });
  const text = await res.text();
  bodies.push(text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${path}: JSON content type`);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as Record<string, any>, text };
}

function assertJsonError(r: { status: number; body: Record<string, unknown>; text: string }, status: number) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body.status, 'error');
  assert.equal(typeof r.body.message, 'string');
  assert.doesNotMatch(r.text, /\n\s+at /, 'no stack trace in a response');
}

before(async () => {
  setLogSink((line) => logLines.push(line));
  db = await openDb(
    {
      ...SERVICES.db,
      database,
    },
    { createDatabase: true, connectionLimit: 4 },
  );
  await migrate(db, { appKey: APP_KEY });

  ids.up0 = await addDevice(db, APP_KEY, {
    hostname: '198.18.0.200',
    port: 16100,
    poller_group: 0,
    snmp: { version: 'v2c', community: COMMUNITY },
  });
  ids.down1 = await addDevice(db, APP_KEY, {
    hostname: '198.18.0.200',
    port: 16109,
    poller_group: 1,
    snmp: {
      version: 'v3',
      authlevel: 'authPriv',
      authname: 'nmsv3',
      authpass: AUTHPASS,
      authalgo: 'SHA',
      cryptopass: CRYPTOPASS,
      cryptoalgo: 'AES',
    },
  });
  ids.up1 = await addDevice(db, APP_KEY, {
    hostname: 'sw-1.lab',
    poller_group: 1,
    snmp: { version: 'v2c', community: COMMUNITY },
  });
  // A row written by something that did not encrypt: even a plain community must not leak.
  await db.query("INSERT INTO devices (hostname, port, community, status) VALUES ('plain.lab', 161, ?, 1)", [
    COMMUNITY,
  ]);
  await db.query(
    "UPDATE devices SET status = 1, sysName = 'sim-0', last_polled = UTC_TIMESTAMP() - INTERVAL 30 SECOND, " +
      'last_polled_timetaken = 1.25 WHERE device_id IN (?, ?)',
    [ids.up0, ids.up1],
  );
  await db.query("UPDATE devices SET status = 0, status_reason = 'snmp' WHERE device_id = ?", [ids.down1]);
  for (let i = 1; i <= 3; i++) {
    await db.query(
      `INSERT INTO ports (device_id, ifIndex, ifName, ifDescr, ifOperStatus, ifAdminStatus, ifSpeed, ifHighSpeed,
         ifInOctets, ifInOctets_rate, deleted)
       VALUES (?, ?, ?, ?, ?, ?, 1000000000, 1000, ?, ?, 0)`,
      [
        ids.up0,
        i,
        `eth${i}`,
        `Ethernet ${i}`,
        i === 3 ? 'down' : 'up',
        'up',
        18446744073709551000n.toString(),
        i * 1000,
      ],
    );
  }
  await db.query(
    "INSERT INTO ports (device_id, ifIndex, ifName, ifOperStatus, ifAdminStatus) VALUES (?, 1, 'ge-0/0/0', " +
      "'down', 'down')",
    [ids.up1],
  );

  // One poller reporting now, one silent for longer than its frequency.
  const [fresh] = await db.query<mysql.ResultSetHeader>(
    'INSERT INTO poller_cluster (node_id, poller_name, poller_version, poller_groups, last_report, master) ' +
      "VALUES ('node-a', 'master', '0.1.0', '0,1', UTC_TIMESTAMP(), 1)",
  );
  const [stale] = await db.query<mysql.ResultSetHeader>(
    'INSERT INTO poller_cluster (node_id, poller_name, poller_version, poller_groups, last_report, master, ' +
      "poller_frequency) VALUES ('node-b', 'poller1', '0.1.0', '1', UTC_TIMESTAMP() - INTERVAL 400 SECOND, 0, 300)",
  );
  await db.query(
    'INSERT INTO poller_cluster_stats (parent_poller, poller_type, depth, devices, worker_seconds, workers, ' +
      ("frequency) VALUES (?, 'poller', 2, 3, 4.5, 24, 300), (?, 'discovery', 0, 3, 1, 16, 21600), (?, " +
        "'poller', 0, 1, " +
        '0.5, 24, 300)'),
    [fresh.insertId, fresh.insertId, stale.insertId],
  );

  redis = new Redis({ host: redisHost, port: Number(redisPort), lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  memcached = memjs.Client.create(memcachedAddr, { timeout: 1, retries: 0 });
  server = new ApiServer({ db, token: TOKEN, port: 0, nodeName: 'test-master', redis, memcached, closeTimeoutMs: 500 });
  await server.start();
  base = `http://127.0.0.1:${server.address().port}`;
});

after(async () => {
  await server?.close();
  await db?.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined);
  await db?.end();
  redis?.disconnect();
  memcached?.close();
});

describe('web/API', { timeout: 60000 }, () => {
  it('refuses every path without a token or with a wrong one', async () => {
    const wrongSameLength = TOKEN.slice(0, -1) + (TOKEN.endsWith('A') ? 'B' : 'A');
    for (const path of [
      '/api/v0/system',
      '/api/v0/pollers',
      '/api/v0/devices',
      `/api/v0/devices/${ids.up0}`,
      `/api/v0/devices/${ids.up0}/ports`,
      '/nope',
      '/',
    ]) {
      const variants: Record<string, string>[] = [
        {},
        { 'X-Auth-Token': '' },
        { 'X-Auth-Token': 'wrong' },
        { 'X-Auth-Token': wrongSameLength },
        { 'X-Auth-Token': TOKEN + 'x' },
      ];
      for (const headers of variants) {
        const r = await get(path, headers);
        assertJsonError(r, 401);
        assert.equal(r.body.devices, undefined);
      }
    }
    // The token travels only in its header.
    assertJsonError(await get(`/api/v0/devices?token=${TOKEN}`, {}), 401);
  });

  it('GET /api/v0/system: version, node, database, services and counts', async () => {
    const r = await get('/api/v0/system');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'ok');
    const s = r.body.system;
    assert.equal(s.node, 'test-master');
    assert.match(s.version, /^\d+\.\d+\.\d+/);
    assert.ok(Math.abs(Date.parse(s.time) - Date.now()) < 60000);
    assert.equal(s.database.reachable, true);
    assert.ok(s.database.schema_version >= 3);
    assert.ok(Math.abs(Date.parse(s.database.time) - Date.now()) < 60000, 'database time is UTC');
    assert.deepEqual(s.redis, { reachable: true });
    assert.deepEqual(s.memcached, { reachable: true });
    assert.deepEqual(s.counts, {
      devices: { total: 4, up: 3, down: 1, disabled: 0, ignored: 0 },
      ports: { total: 4, up: 2, down: 1, shutdown: 1 },
      pollers: { total: 2, active: 1 },
    });
    assert.equal(r.headers.get('cache-control'), 'no-store');
  });

  it('GET /api/v0/pollers: rows with stats and LibreNMS active flag', async () => {
    const r = await get('/api/v0/pollers');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.count, 2);
    const byName = Object.fromEntries(r.body.pollers.map((p: { poller_name: string }) => [p.poller_name, p]));
    assert.equal(byName.master.active, true);
    assert.equal(byName.master.master, true);
    assert.deepEqual(byName.master.poller_groups, [0, 1]);
    assert.equal(byName.master.poller_frequency, 300);
    assert.ok(byName.master.last_report_age <= 5);
    assert.deepEqual(
      byName.master.stats.map((s: { poller_type: string; workers: number }) => [s.poller_type, s.workers]),
      [
        ['discovery', 16],
        ['poller', 24],
      ],
    );
    assert.equal(
      byName.master.stats.find((s: { poller_type: string }) => s.poller_type === 'poller').worker_seconds,
      4.5,
    );
    assert.equal(byName.poller1.active, false, 'silent for 400 s with a 300 s frequency');
    assert.ok(byName.poller1.last_report_age >= 399);
    assert.deepEqual(byName.poller1.poller_groups, [1]);
  });

  it('GET /api/v0/devices with and without filters', async () => {
    const all = await get('/api/v0/devices');
    assert.equal(all.status, 200, all.text);
    assert.equal(all.body.count, 4);
    const d = all.body.devices.find((x: { device_id: number }) => x.device_id === ids.up0);
    for (const k of [
      'device_id',
      'hostname',
      'sysName',
      'status',
      'status_reason',
      'poller_group',
      'last_polled',
      'last_polled_timetaken',
    ])
      assert.ok(k in d, `field ${k}`);
    assert.equal(d.hostname, '198.18.0.200');
    assert.equal(d.sysName, 'sim-0');
    assert.equal(d.status, 1);
    assert.equal(d.last_polled_timetaken, 1.25);
    assert.ok(Math.abs(Date.now() - 30000 - Date.parse(d.last_polled)) < 60000);

    const g1 = await get('/api/v0/devices?poller_group=1');
    assert.deepEqual(
      g1.body.devices.map((x: { device_id: number }) => x.device_id).sort(),
      [ids.down1, ids.up1].sort(),
    );
    const down = await get('/api/v0/devices?status=down');
    assert.deepEqual(
      down.body.devices.map((x: { device_id: number; status_reason: string }) => [x.device_id, x.status_reason]),
      [[ids.down1, 'snmp']],
    );
    const upG1 = await get('/api/v0/devices?status=up&poller_group=1');
    assert.deepEqual(
      upG1.body.devices.map((x: { device_id: number }) => x.device_id),
      [ids.up1],
    );
    assert.equal((await get('/api/v0/devices?poller_group=7')).body.count, 0);

    assertJsonError(await get('/api/v0/devices?status=sideways'), 400);
    assertJsonError(await get('/api/v0/devices?poller_group=-1'), 400);
    assertJsonError(await get('/api/v0/devices?pollergroup=1'), 400);
    assertJsonError(await get('/api/v0/devices?status=up&status=down'), 400);
  });

  it('GET /api/v0/devices/:id and its ports; 404 for an unknown device', async () => {
    const r = await get(`/api/v0/devices/${ids.down1}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.device.device_id, ids.down1);
    assert.equal(r.body.device.snmpver, 'v3');
    assert.equal(r.body.device.port, 16109);
    assert.equal(r.body.device.status, 0);

    const p = await get(`/api/v0/devices/${ids.up0}/ports/`);
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.device_id, ids.up0);
    assert.deepEqual(
      p.body.ports.map((x: { ifName: string }) => x.ifName),
      ['eth1', 'eth2', 'eth3'],
    );
    assert.equal(p.body.ports[1].ifInOctets_rate, 2000);
    assert.equal(p.body.ports[2].ifOperStatus, 'down');
    assert.equal(p.body.ports[0].ifInOctets, '18446744073709551000', 'counters beyond 2^53 stay exact, as strings');
    assert.equal((await get(`/api/v0/devices/${ids.down1}/ports`)).body.count, 0);

    assertJsonError(await get('/api/v0/devices/999999'), 404);
    assertJsonError(await get('/api/v0/devices/999999/ports'), 404);
    assertJsonError(await get('/api/v0/devices/abc'), 400);
    assertJsonError(await get('/api/v0/devices/%zz'), 400);
  });

  it('answers unknown paths with 404 and other methods with 405, as JSON', async () => {
    assertJsonError(await get('/api/v0/nothing'), 404);
    assertJsonError(await get('/api/v1/devices'), 404);
    const post = await get('/api/v0/devices', { 'X-Auth-Token': TOKEN }, 'POST');
    assertJsonError(post, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assertJsonError(await get(`/api/v0/devices/${ids.up0}`, { 'X-Auth-Token': TOKEN }, 'DELETE'), 405);
  });

  it('never returns a credential field or value, and never logs the token', () => {
    assert.ok(bodies.length > 20);
    const walk = (v: unknown, path: string) => {
      if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          assert.ok(!CREDENTIAL_KEYS.includes(k), `credential field ${path}.${k} in a response`);
          walk(x, `${path}.${k}`);
        }
      }
    };
    for (const text of bodies) {
      walk(JSON.parse(text), '$');
      for (const secret of [COMMUNITY, AUTHPASS, CRYPTOPASS, 'v1:'])
        assert.ok(!text.includes(secret), `secret ${secret.slice(0, 12)}… in a response`);
    }
    assert.ok(
      logLines.some((l) => l.includes('"refused"')),
      'refusals are logged',
    );
    for (const line of logLines) assert.ok(!line.includes(TOKEN), 'the token appears in a log line');
  });
});

describe('web/API failures', { timeout: 60000 }, () => {
  it('reports an unreachable database in /system and answers 503 elsewhere', async () => {
    // A real pool towards a port where nothing listens: connections are refused.
    const deadPool = mysql.createPool({
      host: '127.0.0.1',
      port: 1,
      user: 'x',
      password: 'y',
      database: 'z',
      connectTimeout: 1000,
    });
    const s = new ApiServer({ db: deadPool, token: TOKEN, port: 0, nodeName: 'dead', closeTimeoutMs: 500 });
    await s.start();
    const saved = base;
    base = `http://127.0.0.1:${s.address().port}`;
    try {
      const sys = await get('/api/v0/system');
      assert.equal(sys.status, 200, sys.text);
      assert.equal(sys.body.system.database.reachable, false);
      assert.equal(sys.body.system.database.error, 'ECONNREFUSED');
      assert.equal(sys.body.system.counts, null);
      assert.equal(sys.body.system.redis, null);
      assertJsonError(await get('/api/v0/devices'), 503);
      assertJsonError(await get('/api/v0/pollers'), 503);
      assertJsonError(await get('/api/v0/devices', {}), 401);
    } finally {
      base = saved;
      await s.close();
      await deadPool.end();
    }
  });

  it('answers 503 naming the fix when the schema is missing', async () => {
    const name = `${database}_empty`;
    const empty = await openDb(
      {
        ...SERVICES.db,
        database: name,
      },
      { createDatabase: true, connectionLimit: 2 },
    );
    const s = new ApiServer({ db: empty, token: TOKEN, port: 0, closeTimeoutMs: 500 });
    await s.start();
    const saved = base;
    base = `http://127.0.0.1:${s.address().port}`;
    try {
      const r = await get('/api/v0/devices');
      assertJsonError(r, 503);
      assert.match(r.body.message, /nms-agent migrate/);
      const sys = await get('/api/v0/system');
      assert.equal(sys.body.system.database.reachable, true);
      assert.equal(sys.body.system.database.schema_version, 0);
      assert.equal(sys.body.system.counts, null);
    } finally {
      base = saved;
      await s.close();
      await empty.query(`DROP DATABASE IF EXISTS \`${name}\``).catch(() => undefined);
      await empty.end();
    }
  });

  it('refuses a short token, reports a port in use, and closes twice safely', async () => {
    assert.throws(
      () => new ApiServer({ db, token: 'short' }),
      (e: unknown) => e instanceof NmsError && /API_TOKEN/.test(e.message),
    );
    const other = new ApiServer({ db, token: TOKEN, port: server.address().port });
    await assert.rejects(
      other.start(),
      (e: unknown) => e instanceof NmsError && /EADDRINUSE/.test(e.message) && /api_port/.test(e.hint ?? ''),
    );
    await other.close();
    const s = new ApiServer({ db, token: TOKEN, port: 0, closeTimeoutMs: 500 });
    await s.start();
    const port = s.address().port;
    await Promise.all([s.close(), s.close()]);
    await s.close();
    await assert.rejects(fetch(`http://127.0.0.1:${port}/api/v0/system`, { signal: AbortSignal.timeout(3000) }));
    await assert.rejects(s.start(), NmsError);
  });
});
