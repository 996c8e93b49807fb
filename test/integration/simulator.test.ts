// The simulator as a process on loopback, read by Debian's net-snmp tools and by the net-snmp
// npm client: v2c and v3 authPriv, GETBULK over several columns within the PDU size, counter
// rates between two reads, and a 32-bit counter wrapping while we watch.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import snmp, { type RawVarbind, type Session } from 'net-snmp';
import {
  counterDelta,
  counterValue,
  has64BitCounters,
  portRate,
  PORTS,
  type CounterName,
} from '../../simulator/model.js';
import { buildRequest, decodeCommunityMessage, PDU } from '../../simulator/testing.js';
import { Simulator } from '../../simulator/server.js';
import { LabError } from '../../lib/errors.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ADDRESS = '127.0.0.1';
const DEVICES = 12;
// ports of our own below the kernel's ephemeral range (32768+), where client sockets cannot
// take them, and apart from the other users of the simulator (poll-simulator.test.ts
// 27000..30999, bench/poll.ts 31000.., bench/scale.ts 40000..)
const FIRST = 14000 + (process.pid % 50) * 20;
const V3 = [
  '-v3',
  '-l',
  'authPriv',
  '-u',
  'nmsv3',
  '-a',
  'SHA',
  '-A',
  'nmsv3authpass',
  '-x',
  'AES',
  '-X',
  'nmsv3privpass',
];
const IF_DESCR = '1.3.6.1.2.1.2.2.1.2';
const IF_IN_OCTETS = '1.3.6.1.2.1.2.2.1.10';
const IF_OUT_OCTETS = '1.3.6.1.2.1.2.2.1.16';
const IF_HC_IN = '1.3.6.1.2.1.31.1.1.1.6';
const IF_HC_OUT = '1.3.6.1.2.1.31.1.1.1.10';
const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';

let sim: ChildProcess;
const sessions: Session[] = [];

before(async () => {
  sim = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'simulator/main.ts',
      'serve',
      '--address',
      ADDRESS,
      '--devices',
      String(DEVICES),
      '--first-port',
      String(FIRST),
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  sim.stderr!.on('data', (d) => (stderr += d));
  const ready = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator not ready in 30 s: ${stderr}`)), 30_000);
    let out = '';
    sim.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.trim());
      }
    });
    sim.on('exit', (code) => reject(new Error(`simulator exited with ${code}: ${stderr}`)));
  });
  assert.equal(ready, `ready: ${DEVICES} devices on ${ADDRESS}:${FIRST}..${FIRST + DEVICES - 1}`);
});

after(() => {
  for (const s of sessions) s.close();
  sim?.kill('SIGTERM');
});

async function tool(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await run(cmd, ['-t', '2', '-r', '1', '-On', ...args], { timeout: 30_000 });
  return stdout;
}

function v2(device: number): Session {
  const s = snmp.createSession(ADDRESS, 'public', {
    port: FIRST + device,
    version: snmp.Version2c,
    timeout: 2000,
    retries: 1,
  });
  sessions.push(s);
  return s;
}

function v3(device: number): Session {
  const user = {
    name: 'nmsv3',
    level: snmp.SecurityLevel.authPriv,
    authProtocol: snmp.AuthProtocols.sha,
    authKey: 'nmsv3authpass',
    privProtocol: snmp.PrivProtocols.aes,
    privKey: 'nmsv3privpass',
  };
  const s = snmp.createV3Session(ADDRESS, user, {
    port: FIRST + device,
    version: snmp.Version3,
    timeout: 2000,
    retries: 1,
  });
  sessions.push(s);
  return s;
}

function get(s: Session, oids: string[]): Promise<RawVarbind[]> {
  return new Promise((resolve, reject) => s.get(oids, (err, vbs) => (err ? reject(err) : resolve(vbs!))));
}

function bulk(s: Session, oids: string[], nonRep: number, maxRep: number): Promise<RawVarbind[][]> {
  return new Promise((resolve, reject) =>
    s.getBulk(oids, nonRep, maxRep, (err, vbs) => (err ? reject(err) : resolve(vbs!))),
  );
}

function num(vb: RawVarbind): number {
  // net-snmp gives Counter64 as a big-endian Buffer
  return Buffer.isBuffer(vb.value) ? Number(BigInt('0x' + (vb.value.toString('hex') || '0'))) : Number(vb.value);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('Debian snmpget reads v2c devices and a v3 authPriv device; wrong credentials fail', async () => {
  assert.match(
    await tool('snmpget', ['-v2c', '-c', 'public', `${ADDRESS}:${FIRST + 5}`, '1.3.6.1.2.1.1.5.0']),
    /STRING: "sim-5"/,
  );
  assert.match(await tool('snmpget', [...V3, `${ADDRESS}:${FIRST + 9}`, '1.3.6.1.2.1.1.5.0']), /STRING: "sim-9"/);
  await assert.rejects(
    tool('snmpget', ['-v2c', '-c', 'public', `${ADDRESS}:${FIRST + 9}`, '1.3.6.1.2.1.1.5.0']),
    /Timeout/,
  );
  await assert.rejects(
    tool('snmpget', ['-v2c', '-c', 'wrong', `${ADDRESS}:${FIRST + 0}`, '1.3.6.1.2.1.1.5.0']),
    /Timeout/,
  );
  const badAuth = V3.map((a) => (a === 'nmsv3authpass' ? 'not-the-pass' : a));
  await assert.rejects(
    tool('snmpget', [...badAuth, `${ADDRESS}:${FIRST + 9}`, '1.3.6.1.2.1.1.5.0']),
    /Authentication failure/,
  );
  const badPriv = V3.map((a) => (a === 'nmsv3privpass' ? 'not-the-priv' : a));
  await assert.rejects(
    tool('snmpget', [...badPriv, `${ADDRESS}:${FIRST + 9}`, '1.3.6.1.2.1.1.5.0']),
    /Decryption error/,
  );
  const authOnly = ['-v3', '-l', 'authNoPriv', '-u', 'nmsv3', '-a', 'SHA', '-A', 'nmsv3authpass'];
  await assert.rejects(
    tool('snmpget', [...authOnly, `${ADDRESS}:${FIRST + 9}`, '1.3.6.1.2.1.1.5.0']),
    /authorizationError/,
  );
  await assert.rejects(tool('snmpget', [...V3, `${ADDRESS}:${FIRST + 0}`, '1.3.6.1.2.1.1.5.0']), /Unknown user name/);
});

test('Debian snmpbulkwalk: 48 ports over v2c and v3; no ifHC columns on 32-bit devices', async () => {
  const hc = (await tool('snmpbulkwalk', ['-v2c', '-c', 'public', `${ADDRESS}:${FIRST}`, IF_HC_IN])).trim().split('\n');
  assert.equal(hc.length, PORTS);
  assert.match(hc[0], /^\.1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.6\.1 = Counter64: \d+$/);
  assert.equal(has64BitCounters(3), false);
  const none = await tool('snmpbulkwalk', ['-v2c', '-c', 'public', `${ADDRESS}:${FIRST + 3}`, IF_HC_IN]);
  assert.doesNotMatch(none, /Counter64/);
  const c32 = (await tool('snmpbulkwalk', ['-v2c', '-c', 'public', `${ADDRESS}:${FIRST + 3}`, IF_IN_OCTETS]))
    .trim()
    .split('\n');
  assert.equal(c32.length, PORTS);
  const descr = (await tool('snmpbulkwalk', [...V3, '-Cr25', `${ADDRESS}:${FIRST + 9}`, IF_DESCR])).trim().split('\n');
  assert.equal(descr.length, PORTS);
  assert.match(descr[47], /TenGigabitEthernet1\/1\/4/);
  // the whole MIB of a device, in order, ends cleanly
  const all = (await tool('snmpbulkwalk', ['-v2c', '-c', 'public', '-Cr50', `${ADDRESS}:${FIRST + 1}`, '.1']))
    .trim()
    .split('\n');
  assert.ok(all.length > 2000, `full walk has ${all.length} objects`);
});

test('net-snmp getBulk with several columns returns every column × repetition (v2c and v3)', async () => {
  const cols = [IF_DESCR, IF_IN_OCTETS, IF_HC_IN, IF_HC_OUT];
  for (const [device, session] of [
    [0, v2(0)],
    [9, v3(9)],
  ] as const) {
    const rows = await bulk(session, [SYS_UPTIME.slice(0, -2), ...cols], 1, 10);
    assert.equal(rows.length, 1 + cols.length, `device ${device}`);
    for (let c = 0; c < cols.length; c++) {
      const column = rows[1 + c];
      assert.equal(column.length, 10, `device ${device} column ${cols[c]}`);
      column.forEach((vb, r) => assert.equal(vb.oid, `${cols[c]}.${r + 1}`));
    }
  }
});

test('a GETBULK response fits the PDU size and holds whole repetitions', async () => {
  const socket = dgram.createSocket('udp4');
  try {
    const cols = [IF_DESCR, IF_HC_IN, IF_HC_OUT, IF_OUT_OCTETS, '1.3.6.1.2.1.31.1.1.1.18'];
    const req = buildRequest({ version: 1, pduType: PDU.getBulk, reqId: 99, maxRepetitions: 200, oids: cols });
    const reply = new Promise<Buffer>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no answer')), 5000);
      socket.once('message', (m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
    socket.send(req, FIRST, ADDRESS);
    const msg = await reply;
    assert.ok(msg.length <= 1472, `response is ${msg.length} bytes`);
    const m = decodeCommunityMessage(msg);
    assert.equal(m.pdu.errorStatus, 0);
    const n = m.pdu.varbinds.length;
    assert.ok(n > 0 && n % cols.length === 0 && n < 200 * cols.length, `${n} varbinds in whole rows of ${cols.length}`);
    assert.equal(m.pdu.varbinds[cols.length].oid, `${IF_DESCR}.2`);
  } finally {
    socket.close();
  }
});

test('counters move at the model rates between two reads (within 1 %) and match the model', async () => {
  const device = 0;
  const ports = [1, 2, 3, 45];
  const names: CounterName[] = ['ifHCInOctets', 'ifHCOutOctets'];
  const oids = [SYS_UPTIME, ...ports.flatMap((p) => [`${IF_HC_IN}.${p}`, `${IF_HC_OUT}.${p}`])];
  const s = v2(device);
  const read = async () => {
    const t0 = Date.now();
    const vbs = await get(s, oids);
    return { t0, t1: Date.now(), up: num(vbs[0]), values: vbs.slice(1).map(num) };
  };
  const a = await read();
  await sleep(3000);
  const b = await read();
  const seconds = (b.up - a.up) / 100;
  assert.ok(seconds > 2.5, `sysUpTime advanced ${seconds} s`);
  ports.forEach((p, i) => {
    names.forEach((name, j) => {
      const k = i * 2 + j;
      const rate = portRate(device, p, name);
      if (rate === 0) return;
      const measured = counterDelta(name, a.values[k], b.values[k]) / seconds;
      assert.ok(Math.abs(measured / rate - 1) < 0.01, `${name}.${p}: measured ${measured}/s, model ${rate}/s`);
      // the value itself is the model's at some moment during the request
      assert.ok(
        b.values[k] >= counterValue(device, p, name, b.t0 - 5) &&
          b.values[k] <= counterValue(device, p, name, b.t1 + 5),
        `${name}.${p} matches the model`,
      );
    });
  });
});

test('a 32-bit counter wraps at 2^32 and the delta across the wrap is the model rate', async () => {
  // among the 32-bit-only devices served, find the octet counter that wraps soonest (2..40 s away)
  const now = Date.now();
  let best: { device: number; port: number; name: CounterName; wrapAt: number } | undefined;
  for (let device = 0; device < DEVICES; device++) {
    if (has64BitCounters(device) || device % 10 === 9) continue;
    for (let port = 1; port <= PORTS; port++) {
      for (const name of ['ifInOctets', 'ifOutOctets'] as const) {
        const rate = portRate(device, port, name);
        if (rate === 0) continue;
        const wrapAt = now + ((2 ** 32 - counterValue(device, port, name, now)) / rate) * 1000;
        if (wrapAt > now + 2000 && wrapAt < now + 40_000 && (!best || wrapAt < best.wrapAt))
          best = { device, port, name, wrapAt };
      }
    }
  }
  assert.ok(best, 'some 32-bit counter of ~170 moving ones wraps within 40 s');
  const col = best.name === 'ifInOctets' ? IF_IN_OCTETS : IF_OUT_OCTETS;
  const s = v2(best.device);
  await sleep(Math.max(0, best.wrapAt - 1500 - Date.now()));
  const a = await get(s, [SYS_UPTIME, `${col}.${best.port}`]);
  await sleep(Math.max(0, best.wrapAt + 1500 - Date.now()));
  const b = await get(s, [SYS_UPTIME, `${col}.${best.port}`]);
  const [v1, v2v] = [num(a[1]), num(b[1])];
  assert.ok(v1 < 2 ** 32 && v2v < 2 ** 32);
  assert.ok(v2v < v1, `wrapped: ${v1} then ${v2v}`);
  const seconds = (num(b[0]) - num(a[0])) / 100;
  const measured = counterDelta(best.name, v1, v2v) / seconds;
  const rate = portRate(best.device, best.port, best.name);
  assert.ok(Math.abs(measured / rate - 1) < 0.01, `measured ${measured}/s across the wrap, model ${rate}/s`);
});

test('start fails with one clear error when a port is taken, and frees the ports it bound', async () => {
  const first = FIRST + DEVICES + 1;
  const blocker = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => blocker.bind(first + 2, ADDRESS, resolve));
  try {
    const sim = new Simulator({ address: ADDRESS, devices: 5, firstPort: first });
    await assert.rejects(
      sim.start(),
      (e: unknown) =>
        e instanceof LabError && e.message.includes(`${ADDRESS}:${first + 2}`) && /EADDRINUSE/.test(e.message),
    );
  } finally {
    await new Promise<void>((resolve) => blocker.close(resolve));
  }
  const again = new Simulator({ address: ADDRESS, devices: 5, firstPort: first });
  await again.start();
  await again.close();
  await again.close();
  assert.throws(() => new Simulator({ devices: 0 }), LabError);
  assert.throws(() => new Simulator({ devices: 10, firstPort: 65530 }), /past port 65535/);
});

test('a simulator from --first-device k serves devices k.. with their own identities (a fleet split)', async () => {
  // devices 18 and 19 on ports FIRST+18 and FIRST+19 (free in this test's block of 20)
  const sim = new Simulator({ address: ADDRESS, devices: 2, firstDevice: 18, firstPort: FIRST + 18 });
  await sim.start();
  try {
    assert.deepEqual(sim.endpoint(19), { address: ADDRESS, port: FIRST + 19 });
    const get = (args: string[], port: number) => tool('snmpget', [...args, `${ADDRESS}:${port}`, '1.3.6.1.2.1.1.5.0']);
    assert.match(await get(['-v2c', '-c', 'public'], FIRST + 18), /STRING: "sim-18"/);
    // device 19 is one of the v3-only devices (i % 10 == 9), as it is in a simulator from device 0
    assert.match(await get(V3, FIRST + 19), /STRING: "sim-19"/);
    await assert.rejects(get(['-v2c', '-c', 'public'], FIRST + 19), /Timeout/);
  } finally {
    await sim.close();
  }
  assert.throws(() => new Simulator({ devices: 2, firstDevice: -1 }), /--first-device/);
});
