// Polls the lab's simulator (in this process, on 127.0.0.1) every 10 s into MariaDB and a
// private real rrdcached with a 10 s RRD step, stopping rrdcached for two poll cycles in the
// middle. Then `rrdtool fetch` (the real CLI, through the daemon) must show, for every step
// between the first and the last poll, the rates the simulator's model was set to, within 1 %:
// no data point missing around the outage (spooled on disk, replayed in order).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { generateAppKey } from '../../lib/crypto.js';
import { RrdcachedClient } from '../../lib/rrdcached.js';
import { addDevice, type Db } from '../../agent/db/index.js';
import { Poller, rrdHost, type PollResult } from '../../agent/poll/poller.js';
import { RrdWriter } from '../../agent/rrd/writer.js';
import { RrdSpool } from '../../agent/rrd/spool.js';
import { Simulator } from '../../simulator/server.js';
import { familyOf } from '../../simulator/families.js';
import { cpuCount, deviceCredentials, PORTS, portRate, portUp } from '../../simulator/model.js';
import { SENSORS, storages } from '../../simulator/health.js';
import { freshName, openTestDb, type TestDb } from '../helpers/services.js';

const STEP = 10;
const database = freshName('pollsim');
const firstPort = 27000 + (process.pid % 400) * 10;
const appKey = generateAppKey();
const dir = mkdtempSync(join(tmpdir(), 'nms-pollsim-'));
const sock = join(dir, 'sock');
let db: Db;
let testDb: TestDb | undefined;
let sim: Simulator;
let rrdcached: ChildProcess | undefined;
let client: RrdcachedClient;
let poller: Poller;
const devices = [0, 9]; // device 9 answers SNMPv3 only
const ids = new Map<number, number>();

async function startRrdcached(): Promise<void> {
  rrdcached = spawn(
    'rrdcached',
    [
      '-g',
      '-b',
      join(dir, 'rrd'),
      '-B',
      '-R',
      '-F',
      '-w',
      '3600',
      '-j',
      join(dir, 'journal'),
      '-l',
      `unix:${sock}`,
      '-p',
      join(dir, 'pid'),
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(existsSync(sock), 'rrdcached did not start');
}

async function stopRrdcached(): Promise<void> {
  const p = rrdcached!;
  rrdcached = undefined;
  p.kill('SIGTERM');
  if (p.exitCode === null) await once(p, 'exit');
  rmSync(sock, { force: true });
}

before(async () => {
  for (const d of ['rrd', 'journal', 'spool']) execFileSync('mkdir', ['-p', join(dir, d)]);
  await startRrdcached();
  sim = new Simulator({ address: '127.0.0.1', devices: 10, firstPort });
  await sim.start();
  testDb = await openTestDb(database, appKey);
  db = testDb.db;
  client = new RrdcachedClient({ address: `unix:${sock}`, connectTimeoutMs: 1000 });
  const writer = new RrdWriter({
    client,
    step: STEP,
    spool: new RrdSpool({ dir: join(dir, 'spool'), maxBytes: 10 * 1024 * 1024 }),
    retryAfterMs: 1000,
  });
  poller = new Poller({ db, appKey, rrd: writer, snmpTimeoutMs: 2000 });
  for (const i of devices)
    ids.set(i, await addDevice(db, appKey, { hostname: '127.0.0.1', port: firstPort + i, snmp: deviceCredentials(i) }));
});

after(async () => {
  await client?.close();
  await sim?.close();
  if (rrdcached) await stopRrdcached();
  await testDb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const sleepUntil = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));

test(
  'simulator: discovery, six polls 10 s apart with rrdcached down for two, rates within 1 % in rrdtool fetch',
  { timeout: 150_000 },
  async () => {
    for (const [i, id] of ids) {
      const d = await poller.discoverDevice(id, { deadlineMs: 8000 });
      assert.equal(d.status, 'up', `device ${i}: ${d.error}`);
      const items = Object.fromEntries(d.modules.map((m) => [m.module, m.items]));
      // linux (device 0): HOST-RESOURCES processors and memory; ios (device 9): CISCO-PROCESS-MIB and
      // CISCO-MEMORY-POOL-MIB, one more sensor
      const ios = familyOf(i) === 'ios';
      const disks = storages(i).filter((s) => s.kind === 'disk').length;
      assert.deepEqual(
        [items.os, items.ports, items.processors, items.mempools, items.storage, items.sensors],
        [1, PORTS, ios ? 1 : cpuCount(i), ios ? 2 : 1, disks, SENSORS.length + (ios ? 1 : 0)],
        `device ${i}`,
      );
    }
    // sensors scaled by their scale and precision: millivolts become volts, tenths of °C become °C
    const [sensors] = await db.query<mysql.RowDataPacket[]>(
      'SELECT sensor_class, sensor_index, sensor_descr, sensor_current FROM sensors WHERE device_id = ? AND ' +
        "sensor_type = 'entity-sensor' ORDER BY sensor_index",
      [ids.get(0)],
    );
    const [os] = await db.query<mysql.RowDataPacket[]>('SELECT device_id, os FROM devices ORDER BY device_id');
    assert.deepEqual(
      os.map((r) => r.os),
      devices.map((i) => familyOf(i)),
    );
    assert.deepEqual(
      sensors.map((r) => [r.sensor_class, r.sensor_descr]),
      SENSORS.map((x) => [{ 8: 'temperature', 4: 'voltage', 10: 'fanspeed' }[x.type], x.name]),
    );
    sensors.forEach((r, k) => {
      const x = SENSORS[k];
      const unit = 10 ** ((x.scale - 9) * 3 - x.precision);
      assert.ok(
        Math.abs(r.sensor_current - x.mean * unit) <= 1.5 * x.swing * unit,
        `${x.name}: ${r.sensor_current} vs ${x.mean * unit} ± ${1.5 * x.swing * unit}`,
      );
    });
    const start = Math.ceil(Date.now() / 1000 / STEP) * STEP + 3; // a few seconds into a step
    const polls: PollResult[][] = [];
    for (let n = 0; n < 6; n++) {
      await sleepUntil((start + n * STEP) * 1000);
      if (n === 2) await stopRrdcached();
      if (n === 4) await startRrdcached();
      const round = await Promise.all([...ids.values()].map((id) => poller.pollDevice(id, { deadlineMs: 8000 })));
      for (const r of round) assert.equal(r.status, 'up', `poll ${n} of ${r.hostname}: ${r.error}`);
      polls.push(round);
    }
    // while rrdcached was down everything went to the spool; the first poll after it replayed it
    for (const n of [2, 3])
      for (const r of polls[n])
        assert.ok(r.rrd!.spooled > 0 && r.rrd!.sent === 0, `poll ${n}: ${JSON.stringify(r.rrd)}`);
    assert.ok(
      polls[4].some((r) => r.rrd!.sent > r.modules.find((m) => m.module === 'rrd')!.items),
      `poll 4 replayed nothing: ${JSON.stringify(polls[4].map((r) => r.rrd))}`,
    );
    for (const r of polls.flat()) assert.equal(r.rrd!.dropped, 0);

    const [rows] = await db.query<mysql.RowDataPacket[]>(
      'SELECT device_id, port_id, ifIndex FROM ports WHERE device_id IN (?)',
      [[...ids.values()]],
    );
    const first = start + STEP; // the first whole step after the first poll
    const last = Math.floor((start + 5 * STEP) / STEP) * STEP; // the last step ending before the last poll
    let checked = 0;
    let worst = 0;
    for (const [i, id] of ids) {
      const host = rrdHost({ hostname: '127.0.0.1', port: firstPort + i });
      for (const p of rows.filter((r) => r.device_id === id)) {
        const ifIndex = Number(p.ifIndex);
        if (!portUp(i, ifIndex)) continue;
        const out = execFileSync(
          'rrdtool',
          [
            'fetch',
            join(dir, 'rrd', host, `port-id${p.port_id}.rrd`),
            'AVERAGE',
            '-r',
            String(STEP),
            '-s',
            String(first - STEP),
            '-e',
            String(last),
            '--daemon',
            `unix:${sock}`,
          ],
          { encoding: 'utf8' },
        );
        const lines = out.split('\n').filter((l) => /^\d+:/.test(l));
        const header = out.split('\n')[0].trim().split(/\s+/);
        const col = (name: string) => header.indexOf(name);
        for (const l of lines) {
          const [t, rest] = l.split(':');
          if (Number(t) <= first - STEP + STEP - 1 || Number(t) > last) continue;
          const v = rest.trim().split(/\s+/).map(Number);
          for (const [ds, counter] of [
            ['INOCTETS', 'ifHCInOctets'],
            ['OUTOCTETS', 'ifHCOutOctets'],
          ] as const) {
            const want = portRate(i, ifIndex, counter);
            const got = v[col(ds)];
            assert.ok(Number.isFinite(got), `device ${i} ifIndex ${ifIndex} ${ds} at ${t}: no data point (${l})`);
            const err = Math.abs(got - want) / want;
            worst = Math.max(worst, err);
            assert.ok(
              err <= 0.01,
              `device ${i} ifIndex ${ifIndex} ${ds} at ${t}: ${got} vs ${want} (${(err * 100).toFixed(2)} %)`,
            );
            checked++;
          }
        }
      }
    }
    for (const [i] of ids) {
      const host = join(dir, 'rrd', rrdHost({ hostname: '127.0.0.1', port: firstPort + i }));
      const cpu = familyOf(i) === 'ios' ? 'processor-ios-1.rrd' : 'processor-hr-196608.rrd';
      const mem = familyOf(i) === 'ios' ? 'mempool-cemp-system-1.rrd' : 'mempool-hrstorage-system-1.rrd';
      for (const f of [
        'uptime.rrd',
        'poller-perf.rrd',
        cpu,
        mem,
        'storage-hrstorage-_var.rrd',
        'sensor-temperature-entity-sensor-1001.rrd',
        'sensor-voltage-entity-sensor-1003.rrd',
      ]) {
        assert.ok(existsSync(join(host, f)), `${host}/${f} missing`);
      }
    }
    // 2 devices × ~45 up ports × 2 sources × 4 steps
    assert.ok(checked >= 2 * 40 * 2 * 4, `only ${checked} values checked`);
    process.stdout.write(`# checked ${checked} rates, worst error ${(worst * 100).toFixed(3)} %\n`);
  },
);
