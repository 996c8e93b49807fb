// Writing inventories: secrets from the CSPRNG in a 0600 file, and edits that keep comments.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadInventory } from '../../cli/inventory/load.js';
import {
  addDevice,
  addHost,
  generateSecrets,
  readSecrets,
  removeDevice,
  removeHost,
  setDbPassword,
  writeInventory,
} from '../../cli/inventory/write.js';
import { isValidAppKey } from '../../lib/crypto.js';
import { InventoryError } from '../../lib/errors.js';
import { writeTestKey } from '../helpers/ssh-key.js';

const ROOT = resolve(import.meta.dirname, '../..');
let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'nms-inv-write-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

test('generateSecrets: a valid APP_KEY, distinct random values, one db password per host', () => {
  const a = generateSecrets(['m', 'p1']);
  const b = generateSecrets(['m', 'p1']);
  assert.ok(isValidAppKey(a.app_key));
  assert.notEqual(a.app_key, b.app_key);
  assert.notEqual(a.db_passwords.m, a.db_passwords.p1);
  assert.deepEqual(Object.keys(a.db_passwords), ['m', 'p1']);
  assert.ok(a.redis_password.length >= 24 && a.api_token.length >= 32);
});

test('writeInventory: hosts.yaml with the schema comment, secrets.yaml 0600, and it loads', async () => {
  const dir = join(work, 'new');
  const key = join(work, 'key');
  writeTestKey(key);
  writeInventory(dir, {
    hosts: {
      cluster: { name: 'new' },
      defaults: { ssh: { key } },
      hosts: {
        m: {
          address: '192.0.2.1',
          roles: ['web', 'mariadb', 'rrdcached', 'redis', 'memcached', 'poller', 'discovery'],
        },
      },
    },
    devices: [{ hostname: '192.0.2.50', snmp: { version: 'v2c', community: 'c0mmunity' } }],
    secrets: generateSecrets(['m']),
  });
  assert.equal(statSync(join(dir, 'secrets.yaml')).mode & 0o777, 0o600);
  assert.match(
    readFileSync(join(dir, 'hosts.yaml'), 'utf8'),
    /^# yaml-language-server: \$schema=.*docs\/inventory\.schema\.json\n/,
  );
  assert.deepEqual(
    readdirSync(dir).sort(),
    ['devices.yaml', 'hosts.yaml', 'secrets.yaml'],
    'no temporary file left behind',
  );
  const inv = await loadInventory(dir);
  assert.equal(inv.devices.length, 1);
});

test('addHost/removeHost/addDevice/removeDevice keep comments and keep db_passwords in step', async () => {
  const dir = join(work, 'edit');
  cpSync(join(ROOT, 'test/fixtures/inventories/base'), dir, { recursive: true });
  writeTestKey(join(dir, 'id_ed25519'));
  chmodSync(join(dir, 'secrets.yaml'), 0o600);
  if (existsSync(join(dir, 'devices.yaml'))) chmodSync(join(dir, 'devices.yaml'), 0o600); // it holds communities
  const before = readSecrets(dir);

  addHost(dir, 'nms85', { address: '192.0.2.85', roles: ['poller'], agent: { distributed_poller_group: [1] } });
  const hostsText = readFileSync(join(dir, 'hosts.yaml'), 'utf8');
  assert.match(hostsText, /^# A valid inventory; each other folder/, 'comment kept');
  assert.match(hostsText, /nms85:\n {4}address: 192\.0\.2\.85\n {4}roles: \[ poller \]/);
  assert.equal(statSync(join(dir, 'secrets.yaml')).mode & 0o777, 0o600);
  const after = readSecrets(dir);
  assert.equal(after.app_key, before.app_key);
  assert.equal(after.db_passwords.nms83, before.db_passwords.nms83);
  assert.ok(after.db_passwords.nms85.length >= 24);
  assert.throws(() => addHost(dir, 'nms85', { address: '192.0.2.86', roles: ['poller'] }), /already/);

  addDevice(dir, {
    hostname: '192.0.2.120',
    port: 16100,
    poller_group: 1,
    snmp: { version: 'v2c', community: 'public' },
  });
  assert.throws(
    () => addDevice(dir, { hostname: '192.0.2.120', port: 16100, snmp: { version: 'v2c', community: 'x' } }),
    /already/,
  );
  let inv = await loadInventory(dir);
  assert.equal(inv.hosts.length, 4);
  assert.equal(inv.devices.length, 4);

  assert.equal(removeDevice(dir, '192.0.2.120'), 1);
  removeHost(dir, 'nms85');
  setDbPassword(dir, 'nms84', 'a-new-db-password');
  inv = await loadInventory(dir);
  assert.equal(inv.hosts.length, 3);
  assert.equal(inv.devices.length, 3);
  assert.equal(inv.secrets.db_passwords.nms84, 'a-new-db-password');
  assert.equal(inv.secrets.db_passwords.nms85, undefined);

  // Removing the only poller of group 1 leaves devices of group 1 unserved: the loader says so.
  removeHost(dir, 'nms84');
  removeHost(dir, 'nms83');
  await assert.rejects(
    loadInventory(dir),
    (e: unknown) =>
      e instanceof InventoryError && /poller group 1 has devices but no host with role poller/.test(e.message),
  );
});
