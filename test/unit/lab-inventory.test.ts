// The lab's inventory writer against the real loader (docs/contracts.md is the contract both
// follow), and the lab's address plan. No services, no root.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadInventory } from '../../cli/inventory/load.js';
import type { HostRecord } from '../../cli/lab/host.js';
import { devicesYaml, writeInventory } from '../../cli/lab/inventory.js';
import { checkShape, deviceAddress, deviceIndexOf, nextExtraAddress, planHosts, vethName } from '../../cli/lab/plan.js';
import { deviceFilterScript, parseDeviceRefs } from '../../cli/lab/devices.js';
import { isValidAppKey } from '../../lib/crypto.js';

function records(pollers: number): HostRecord[] {
  return planHosts(pollers).map((h, i) => ({
    ...h,
    netns: `nmslab-${h.name}`,
    netnsInode: 4026530000 + i,
    unsharePid: 100 + i,
    initPid: 200 + i,
    initStart: 1,
    hostKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${'A'.repeat(42)}${i}`,
  }));
}

test('the written inventory loads: hosts, groups, devices, fresh secrets, known_hosts, 0600', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'nms-lab-inv-')), 'lab');
  writeInventory(dir, records(3), 25);
  const inv = await loadInventory(dir, { checkFiles: false });
  assert.deepEqual(
    inv.hosts.map((h) => [h.name, h.address, h.agent.distributed_poller_group]),
    [
      ['master', '198.18.0.10', [0]],
      ['poller1', '198.18.0.11', [0, 1]],
      ['poller2', '198.18.0.12', [0, 1]],
      ['poller3', '198.18.0.13', [0, 1]],
    ],
  );
  assert.equal(inv.services.redis.name, 'master');
  assert.equal(inv.hosts[0].ssh.keyPath, '/var/lib/nms-lab/id_ed25519');
  assert.equal(inv.devices.length, 25);
  assert.deepEqual(inv.devices[0], { ...inv.devices[0], hostname: '198.19.0.1', port: 161, poller_group: 0 });
  assert.equal(inv.devices[24].hostname, '198.19.0.25');
  assert.equal(inv.devices[9].snmp.version, 'v3');
  assert.equal(inv.devices[8].snmp.version, 'v2c');
  assert.equal(inv.devices[9].poller_group, 1);
  assert.ok(isValidAppKey(inv.secrets.app_key));
  assert.deepEqual(Object.keys(inv.secrets.db_passwords).sort(), ['master', 'poller1', 'poller2', 'poller3']);
  assert.equal(statSync(join(dir, 'secrets.yaml')).mode & 0o777, 0o600);
  const known = readFileSync(inv.knownHostsPath, 'utf8').trim().split('\n');
  assert.deepEqual(
    known.map((l) => l.split(' ')[0]),
    ['198.18.0.10', '198.18.0.11', '198.18.0.12', '198.18.0.13', '198.18.0.200'],
  );
  assert.match(known[0], /^198\.18\.0\.10 ssh-ed25519 AAAA\S+$/);
  // a second run makes new secrets
  const first = inv.secrets.app_key;
  writeInventory(dir, records(3), 25);
  assert.notEqual((await loadInventory(dir, { checkFiles: false })).secrets.app_key, first);
});

test('devices.yaml for no devices is an empty list', () => {
  assert.match(devicesYaml(0), /^devices: \[\]$/m);
});

test('address plan: master .10, pollers .11.., devices .200, extras from .50, short link names', () => {
  assert.deepEqual(
    planHosts(2).map((h) => h.address),
    ['198.18.0.10', '198.18.0.11', '198.18.0.12', '198.18.0.200'],
  );
  assert.equal(nextExtraAddress(['198.18.0.10', '198.18.0.50']), '198.18.0.51');
  assert.ok(vethName('198.18.0.200').length <= 15);
  assert.throws(() => checkShape(40, 10), /--pollers/);
  assert.throws(() => checkShape(2, 70000), /--devices/);
  checkShape(2, 10000);
});

test('device addresses: 250 per /24 from 198.19.0.1, and back to the index', () => {
  assert.deepEqual(
    [0, 1, 249, 250, 9999].map((i) => deviceAddress(i)),
    ['198.19.0.1', '198.19.0.2', '198.19.0.250', '198.19.1.1', '198.19.39.250'],
  );
  for (const i of [0, 1, 249, 250, 9999, 19999]) assert.equal(deviceIndexOf(deviceAddress(i)), i);
  assert.equal(deviceIndexOf('198.19.0.0'), undefined);
  assert.equal(deviceIndexOf('198.19.0.251'), undefined);
  assert.equal(deviceIndexOf('198.18.0.1'), undefined);
});

test('nms lab device: references by index or address, nft scripts that never fail on a non-member', () => {
  assert.deepEqual(parseDeviceRefs(['3', '198.19.0.1', '3'], 10), [0, 3]);
  assert.throws(() => parseDeviceRefs(['10'], 10), /no simulated device "10"/);
  assert.throws(() => parseDeviceRefs(['198.18.0.200'], 10), /no simulated device/);
  assert.equal(deviceFilterScript('down', ['198.19.0.1']), 'add element ip nmslab down { 198.19.0.1 }\n');
  const up = deviceFilterScript('up', ['198.19.0.1', '198.19.0.2']).trim().split('\n');
  assert.deepEqual(
    up.map((l) => l.split(' ').slice(0, 5).join(' ')),
    [
      'add element ip nmslab down',
      'delete element ip nmslab down',
      'add element ip nmslab snmpdown',
      'delete element ip nmslab snmpdown',
    ],
  );
});
