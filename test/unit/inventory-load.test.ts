// loadInventory's normalised form (defaults, merging, paths, sudo), the examples in the repo,
// and the editor schema kept in step with the code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadInventory } from '../../cli/inventory/load.js';
import { editorSchema } from '../../cli/inventory/schema.js';
import { InventoryError } from '../../lib/errors.js';
import { writeTestKey } from '../helpers/ssh-key.js';

const ROOT = resolve(import.meta.dirname, '../..');
let work: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'nms-inv-load-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

function copy(from: string, name: string): string {
  const dir = join(work, name);
  cpSync(from, dir, { recursive: true });
  writeTestKey(join(dir, 'id_ed25519'));
  chmodSync(join(dir, 'secrets.yaml'), 0o600);
  if (existsSync(join(dir, 'devices.yaml'))) chmodSync(join(dir, 'devices.yaml'), 0o600); // it holds communities
  return dir;
}

test('the base fixture normalises with LibreNMS defaults, merged defaults and resolved paths', async () => {
  const dir = copy(join(ROOT, 'test/fixtures/inventories/base'), 'base');
  const inv = await loadInventory(dir);
  assert.equal(inv.name, 'base');
  assert.equal(inv.dir, dir);
  assert.equal(inv.knownHostsPath, join(dir, 'known_hosts'));
  assert.equal(inv.cluster.name, 'fixture');
  assert.deepEqual(inv.cluster.mariadb, { port: 3306, database: 'nms', bufferPoolMb: 1024 });
  assert.deepEqual(inv.cluster.rrdcached, { port: 42217, writeThreads: 4, journal: true, baseDir: '/var/lib/nms/rrd' });
  assert.equal(inv.cluster.web.serverName, '192.0.2.82', 'server name defaults to the web host address');
  assert.deepEqual(inv.cluster.tls, {});
  const [m, p1, p2] = inv.hosts;
  assert.deepEqual(m.ssh, { user: 'root', port: 22, keyPath: join(dir, 'id_ed25519'), sudo: false });
  assert.deepEqual(
    p2.ssh,
    { user: 'admin', port: 22, keyPath: join(dir, 'id_ed25519'), sudo: true },
    'sudo when the user is not root',
  );
  assert.deepEqual(p1.agent.distributed_poller_group, [0, 1]);
  assert.equal(p1.agent.service_poller_frequency, 300);
  assert.equal(p1.agent.service_discovery_workers, 16);
  assert.equal(p1.agent.service_ping_frequency, 120);
  assert.equal(inv.services.redis.name, 'nms82');
  assert.deepEqual(inv.devices[0], {
    hostname: '192.0.2.101',
    port: 161,
    transport: 'udp',
    poller_group: 0,
    snmp: { version: 'v2c', community: 'fixture-community' },
  });
  assert.equal(inv.devices[2].snmp.version, 'v3');
  assert.deepEqual(Object.keys(inv.secrets.db_passwords), ['nms82', 'nms83', 'nms84']);
});

test('inventories/seed-example validates once its secrets are 0600 and a key exists', async () => {
  const dir = copy(join(ROOT, 'inventories/seed-example'), 'seed-example');
  const inv = await loadInventory(dir);
  assert.deepEqual(
    inv.hosts.map((h) => h.name),
    ['nms82', 'nms83', 'nms84'],
  );
  assert.deepEqual(
    inv.hosts.map((h) => h.roles),
    [['web', 'mariadb', 'rrdcached', 'redis', 'memcached', 'poller'], ['poller'], ['poller', 'discovery']],
  );
  assert.ok(
    inv.hosts.every((h) => h.address.startsWith('192.0.2.')),
    'documentation addresses only',
  );
  assert.equal(inv.hosts[0].agent.service_poller_workers, 8, "the host's own value wins over defaults");
  assert.equal(inv.hosts[1].agent.service_poller_workers, 24);
  assert.ok(inv.devices.length >= 3);
  // As checked out by git (0644) the loader says how to fix it.
  chmodSync(join(dir, 'secrets.yaml'), 0o644);
  await assert.rejects(
    loadInventory(dir),
    (e: unknown) => e instanceof InventoryError && e.exitCode === 2 && /chmod 600 .*secrets\.yaml/.test(e.message),
  );
  await loadInventory(dir, { checkFiles: false });
});

test('inventories/lab-example is a valid topology (its key lives in the lab)', async () => {
  const dir = join(work, 'lab-example');
  cpSync(join(ROOT, 'inventories/lab-example'), dir, { recursive: true });
  const inv = await loadInventory(dir, { checkFiles: false });
  assert.equal(inv.hosts[0].ssh.keyPath, '/var/lib/nms-lab/id_ed25519');
  assert.ok(inv.hosts.every((h) => h.address.startsWith('198.18.0.')));
});

test('problems carry file, line, column and field path, and are not a stack trace', async () => {
  const dir = copy(join(ROOT, 'test/fixtures/inventories/base'), 'positions');
  writeFileSync(join(dir, 'hosts.yaml'), readFileSync(join(dir, 'hosts.yaml'), 'utf8').replace('port: 22', 'port: 0'));
  const err = await loadInventory(dir).catch((e: unknown) => e);
  assert.ok(err instanceof InventoryError);
  assert.deepEqual(err.problems, [
    {
      file: join(dir, 'hosts.yaml'),
      line: 8,
      column: 28,
      path: 'defaults.ssh.port',
      message: 'must be from 1 to 65535 (got 0)',
    },
  ]);
});

test('a missing directory is one clear problem', async () => {
  await assert.rejects(
    loadInventory(join(work, 'nope')),
    (e: unknown) => e instanceof InventoryError && /no such inventory directory/.test(e.message),
  );
});

test('docs/inventory.schema.json is what `nms inventory schema` generates', () => {
  const committed = JSON.parse(readFileSync(join(ROOT, 'docs/inventory.schema.json'), 'utf8'));
  assert.deepEqual(committed, editorSchema(), 'regenerate: nms inventory schema -o docs/inventory.schema.json');
});
