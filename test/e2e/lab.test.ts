// The lab end to end (issue 2's acceptance): hosts are separate, ssh with the lab key and the
// written known_hosts reaches each, init scripts work inside, a simulated device is read with
// Debian's snmpbulkwalk at the model's rates, and `nms lab down` leaves the machine as before.
// Needs root and `node scripts/build.mjs`. A lab that is already up is taken down first (the
// test compares the machine before `up` with after `down`); NMS_LAB_KEEP=1 skips instead.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  LAB_KEY,
  NMS,
  REPO,
  inHost,
  labProcesses,
  labStatus,
  nms,
  sh,
  snapshot,
  type LabStatusJson,
  type MachineSnapshot,
} from './helpers/lab.js';

const POLLERS = 2;
const DEVICES = 10;
const HOSTS = ['master', 'poller1', 'poller2', 'devices'];

// Set only when the developer asks to keep a running lab (NMS_LAB_KEEP=1); not being root fails.
let skip: string | false = false;

let beforeUp: MachineSnapshot;
let status: LabStatusJson;

function ssh(address: string, knownHosts: string, command: string) {
  return sh(
    'ssh',
    [
      '-i',
      LAB_KEY,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=5',
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      `root@${address}`,
      command,
    ],
    20_000,
  );
}

describe('nms lab', { timeout: 600_000 }, () => {
  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('the lab needs root: run the e2e tier as root');
    const current = await labStatus();
    if (current.up && current.hosts.some((h) => h.running)) {
      if (process.env.NMS_LAB_KEEP === '1') {
        skip = 'a lab is already up and NMS_LAB_KEEP=1 asks to leave it alone';
        return;
      }
    }
    // Leftovers of a crashed lab would make "before" differ from "after down": clear them first.
    await nms(['lab', 'down']);
    beforeUp = await snapshot();
    const up = await nms(['lab', 'up', '--pollers', String(POLLERS), '--devices', String(DEVICES), '--json']);
    assert.equal(up.code, 0, `nms lab up failed: ${up.stderr}`);
    status = await labStatus();
  });

  after(async () => {
    if (!skip) await nms(['lab', 'down']);
  });

  test('the lab is up and healthy, with the hosts of the plan', (t) => {
    if (skip) return t.skip(skip);
    assert.equal(status.healthy, true, JSON.stringify(status));
    assert.deepEqual(
      status.hosts.map((h) => [h.name, h.address]),
      [
        ['master', '198.18.0.10'],
        ['poller1', '198.18.0.11'],
        ['poller2', '198.18.0.12'],
        ['devices', '198.18.0.200'],
      ],
    );
  });

  test('up a second time is harmless and says the lab is up', async (t) => {
    if (skip) return t.skip(skip);
    const again = await nms(['lab', 'up', '--pollers', String(POLLERS), '--devices', String(DEVICES), '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).already, true);
    const now = await labStatus();
    assert.deepEqual(
      now.hosts.map((h) => h.init_pid),
      status.hosts.map((h) => h.init_pid),
    );
  });

  test('hostnames differ: each host has its own', async (t) => {
    if (skip) return t.skip(skip);
    for (const host of HOSTS) assert.equal((await inHost(host, 'hostname')).stdout.trim(), host);
  });

  test('a file written on one host is absent on the others and on the machine', async (t) => {
    if (skip) return t.skip(skip);
    const mark = `lab-test-${process.pid}`;
    const paths = [`/root/${mark}`, `/etc/${mark}`, `/var/tmp/${mark}`, `/tmp/${mark}`];
    const w = await inHost('poller1', paths.map((p) => `echo x > ${p}`).join(' && ') + ' && cat ' + paths.join(' '));
    assert.equal(w.code, 0, w.stderr);
    for (const host of HOSTS.filter((h) => h !== 'poller1')) {
      for (const p of paths) assert.equal((await inHost(host, `test -e ${p}`)).code, 1, `${p} is visible on ${host}`);
    }
    for (const p of paths) assert.equal(existsSync(p), false, `${p} is visible on the machine`);
  });

  test('a process started on one host is invisible on another', async (t) => {
    if (skip) return t.skip(skip);
    const tag = String(1000 + (process.pid % 5000));
    assert.equal((await inHost('master', `setsid sleep ${tag} >/dev/null 2>&1 </dev/null &`)).code, 0);
    assert.equal(
      (await inHost('master', `pgrep -x sleep -a | grep -q "sleep ${tag}"`)).code,
      0,
      'not running on master',
    );
    for (const host of ['poller1', 'poller2', 'devices']) {
      assert.notEqual((await inHost(host, `pgrep -x sleep -a | grep -q "sleep ${tag}"`)).code, 0, `visible on ${host}`);
    }
    assert.equal((await inHost('master', `pkill -x -f "sleep ${tag}"`)).code, 0);
  });

  test('hosts have their own address and no route beyond the lab network', async (t) => {
    if (skip) return t.skip(skip);
    const r = await inHost('poller2', 'ip -4 -o addr show dev eth0; echo ---; ip route show default');
    const [addr, routes] = r.stdout.split('---');
    assert.match(addr, /inet 198\.18\.0\.12\/24/);
    assert.equal(routes.trim(), '');
  });

  test('ssh with the lab key and the written known_hosts (strict) reaches each host', async (t) => {
    if (skip) return t.skip(skip);
    const knownHosts = join(status.inventory!, 'known_hosts');
    for (const h of status.hosts) {
      const r = await ssh(h.address, knownHosts, 'hostname');
      assert.equal(r.code, 0, `ssh to ${h.name}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), h.name);
    }
    // The check is real: a known_hosts with another host's key is refused.
    const wrong = join(mkdtempSync(join(tmpdir(), 'nms-lab-test-')), 'known_hosts');
    const masterKey = (await sh('cat', [knownHosts])).stdout.split('\n').find((l) => l.startsWith('198.18.0.10 '))!;
    writeFileSync(wrong, masterKey.replace('198.18.0.10 ', '198.18.0.11 ') + '\n');
    assert.notEqual((await ssh('198.18.0.11', wrong, 'hostname')).code, 0);
  });

  test('services are not running at start and init scripts work inside a host only', async (t) => {
    if (skip) return t.skip(skip);
    // On the devices host: no deploy ever puts Redis there, even one running at the same time.
    const services = await inHost('devices', "pgrep -a -x 'redis-server|mariadbd|memcached|rrdcached|nginx|snmpd'");
    assert.equal(services.code, 1, `services run in a fresh host: ${services.stdout}`);
    // Waiting is polled (up to 10 s): the machine is shared and may be slow.
    const start = await inHost(
      'devices',
      '/etc/init.d/redis-server start >/dev/null && for i in $(seq 50); do redis-cli ping 2>/dev/null | grep ' +
        'PONG && break; sleep 0.2; done',
    );
    assert.equal(start.stdout.trim(), 'PONG', start.stderr);
    assert.equal(
      (await inHost('devices', 'test -s /var/run/redis/redis-server.pid')).code,
      0,
      'pid file not under /var/run',
    );
    assert.notEqual(
      (await inHost('poller1', 'pgrep -x redis-server')).code,
      0,
      'redis-server of devices visible in poller1',
    );
    const stop = await inHost(
      'devices',
      '/etc/init.d/redis-server stop >/dev/null; for i in $(seq 50); do pgrep -x redis-server >/dev/null || ' +
        'break; sleep 0.2; done; pgrep -x redis-server',
    );
    assert.notEqual(stop.code, 0, 'redis-server still runs after its init script stopped it');
  });

  test("from poller1, snmpbulkwalk reads a simulated device at the model's counter rates", async (t) => {
    if (skip) return t.skip(skip);
    const modelFile = join(REPO, 'simulator', 'model.ts');
    // a missing model or a simulator that did not start is a failed setup, not a skip
    assert.ok(existsSync(modelFile), 'simulator/model.ts exists');
    assert.ok(status.simulator?.running, 'the simulator is running (dist/nms-simulator.mjs built)');
    const model = (await import(modelFile)) as typeof import('../../simulator/model.js');
    // Each read is bracketed by the clock (the hosts share the machine's), so the check is exact:
    // the counter moved by rate × elapsed, with elapsed between the inner and outer brackets.
    const walk = 'date +%s%N; snmpbulkwalk -v2c -c public -Onq -t 5 198.19.0.1 1.3.6.1.2.1.31.1.1.1.6; date +%s%N';
    const r = await inHost('poller1', `${walk}; sleep 3; ${walk}`);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const stamps = lines.filter((l) => /^\d+$/.test(l)).map((l) => Number(BigInt(l) / 1_000_000n));
    assert.equal(stamps.length, 4, r.stdout);
    const reads: Map<number, bigint>[] = [new Map(), new Map()];
    let which = -1;
    for (const l of lines) {
      if (/^\d+$/.test(l)) {
        if (stamps.indexOf(Number(BigInt(l) / 1_000_000n)) % 2 === 0) which++;
        continue;
      }
      const m = /^\.1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.6\.(\d+) (\d+)$/.exec(l);
      assert.ok(m, `unexpected line: ${l}`);
      reads[which].set(Number(m[1]), BigInt(m[2]));
    }
    assert.equal(reads[0].size, model.PORTS);
    assert.equal(reads[1].size, model.PORTS);
    const [s1, e1, s2, e2] = stamps;
    let moving = 0;
    for (let ifIndex = 1; ifIndex <= model.PORTS; ifIndex++) {
      const rate = model.portRate(0, ifIndex, 'ifHCInOctets');
      const delta = Number(reads[1].get(ifIndex)! - reads[0].get(ifIndex)!);
      const low = Math.floor((rate * (s2 - e1)) / 1000) - 1;
      const high = Math.ceil((rate * (e2 - s1)) / 1000) + 1;
      assert.ok(
        delta >= low && delta <= high,
        `ifIndex ${ifIndex}: moved ${delta} in about ${(s2 - s1) / 1000} s, the model's ${rate}/s gives ` +
          `${low}..${high}`,
      );
      if (rate > 0) moving++;
    }
    assert.ok(moving > model.PORTS / 2, 'most ports should carry traffic');
    const v3 = await inHost(
      'poller1',
      'snmpget -v3 -l authPriv -u nmsv3 -a SHA -A nmsv3authpass -x AES -X nmsv3privpass -Ovq 198.19.0.10 ' +
        '1.3.6.1.2.1.1.5.0',
    );
    assert.equal(v3.stdout.trim(), '"sim-9"', v3.stderr);
  });

  test('each device has its own address: nms lab device down cuts ICMP and SNMP, snmp-down only SNMP', async (t) => {
    if (skip) return t.skip(skip);
    assert.ok(status.simulator?.running, 'the simulator is running');
    const get = (a: string) => inHost('poller1', `snmpget -v2c -c public -Ovq -t 1 -r 0 ${a} 1.3.6.1.2.1.1.5.0`);
    const ping = (a: string) => inHost('poller1', `fping -q -r 0 -t 300 ${a}`);
    assert.equal((await get('198.19.0.2')).stdout.trim(), '"sim-1"');
    assert.equal((await get('198.19.0.3')).stdout.trim(), '"sim-2"');
    const down = await nms(['lab', 'device', 'down', '1', '--json']);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(JSON.parse(down.stdout).down, [1]);
    assert.equal((await nms(['lab', 'device', 'snmp-down', '198.19.0.3'])).code, 0);
    assert.notEqual((await ping('198.19.0.2')).code, 0, 'a down device answers no ping');
    assert.notEqual((await get('198.19.0.2')).code, 0, 'a down device answers no SNMP');
    assert.equal((await ping('198.19.0.3')).code, 0, 'an snmp-down device still answers ping');
    assert.notEqual((await get('198.19.0.3')).code, 0, 'an snmp-down device answers no SNMP');
    assert.equal((await get('198.19.0.1')).stdout.trim(), '"sim-0"', 'the others are untouched');
    const up = await nms(['lab', 'device', 'up', '1', '2', '--json']);
    assert.deepEqual([JSON.parse(up.stdout).down, JSON.parse(up.stdout).snmp_down], [[], []]);
    assert.equal((await get('198.19.0.2')).stdout.trim(), '"sim-1"');
    assert.equal((await get('198.19.0.3')).stdout.trim(), '"sim-2"');
    const bad = await nms(['lab', 'device', 'down', '999']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /no simulated device "999"/);
  });

  test('refuses clearly, in one line and a hint, when not root', async (t) => {
    if (skip) return t.skip(skip);
    const r = await sh('runuser', ['-u', 'nobody', '--', process.execPath, NMS, 'lab', 'up'], 30_000);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: the lab needs root .*\nhint: /);
    assert.doesNotMatch(r.stderr, /at .*\.(mjs|ts):\d+/, 'a stack trace is no answer to a user mistake');
  });

  test('up after a crash (every lab process killed) cleans the leftovers and builds again', async (t) => {
    if (skip) return t.skip(skip);
    for (const pid of labProcesses(status.hosts.map((h) => h.netns_inode))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone with its PID namespace
      }
    }
    const crashed = await nms(['lab', 'status', '--json']);
    assert.equal(crashed.code, 1, 'status of a crashed lab must fail');
    assert.equal(JSON.parse(crashed.stdout).healthy, false);
    const up = await nms(['lab', 'up', '--pollers', String(POLLERS), '--devices', String(DEVICES), '--json']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(JSON.parse(up.stdout).already, false);
    const old = status.hosts.map((h) => h.init_pid);
    status = await labStatus();
    assert.equal(status.healthy, true);
    assert.notDeepEqual(
      status.hosts.map((h) => h.init_pid),
      old,
    );
    assert.equal((await inHost('poller1', 'hostname')).stdout.trim(), 'poller1');
  });

  test('down restores ip netns, ip link, /proc/mounts and leaves no lab process', async (t) => {
    if (skip) return t.skip(skip);
    const netnsInodes = status.hosts.map((h) => h.netns_inode);
    assert.ok(labProcesses(netnsInodes).length > 0, 'the lab has no processes to remove: the test would prove nothing');
    const down = await nms(['lab', 'down']);
    assert.equal(down.code, 0, down.stderr);
    const afterDown = await snapshot();
    assert.deepEqual(afterDown.netns, beforeUp.netns);
    assert.deepEqual(afterDown.links, beforeUp.links);
    assert.deepEqual(afterDown.mounts, beforeUp.mounts);
    assert.deepEqual(labProcesses(netnsInodes), []);
    const now = await labStatus();
    assert.equal(now.up, false);
    assert.deepEqual(now.present, { processes: [], netns: [], links: [], mounts: [] });
  });
});
