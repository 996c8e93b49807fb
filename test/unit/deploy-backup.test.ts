// Deploy with role config-backup: the host's layout gets git and the repository's directory,
// and the MariaDB host's device step writes the devices' SSH logins (secrets.yaml `device_ssh`),
// encrypted, only when they differ from the stored ones, with "SSH logins of N" in its title.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadInventory } from '../../cli/inventory/load.js';
import type { HostSpec, Inventory } from '../../cli/inventory/types.js';
import { planLayout } from '../../cli/deploy/layout.js';
import { deviceOperations } from '../../cli/deploy/decide-db.js';
import { DEBIAN } from '../../cli/deploy/profile.js';
import { encrypt } from '../../lib/crypto.js';

const INV = join(import.meta.dirname, '..', '..', 'inventories', 'seed-example');

function layoutOf(inv: Inventory, host: HostSpec) {
  return planLayout({
    inventory: inv,
    host,
    profile: DEBIAN,
    systemd: false,
    agentBundle: Buffer.from('// the agent bundle\n'),
    localNodePath: '/nonexistent/node',
  });
}

test('role config-backup: git and /var/lib/nms/config-backup (nms:nms 0750); without it neither', async () => {
  const inv = await loadInventory(INV, { checkFiles: false });
  const poller = inv.hosts.find((h) => h.name === 'nms83')!;
  const plain = layoutOf(inv, poller);
  assert.ok(!plain.packages.includes('git'));
  assert.ok(!plain.dirs.some((d) => d.path.endsWith('/config-backup')));
  const backup = layoutOf(inv, { ...poller, roles: [...poller.roles, 'config-backup'] });
  assert.ok(backup.packages.includes('git'));
  assert.deepEqual(
    backup.dirs.find((d) => d.path === '/var/lib/nms/config-backup'),
    { path: '/var/lib/nms/config-backup', mode: 0o750, owner: 'nms', group: 'nms' },
  );
});

test('the devices step writes a changed SSH login, encrypted, and says so in its title', async () => {
  const inv = await loadInventory(INV, { checkFiles: false });
  const dev = inv.devices[0];
  const password = 'Backup-pass-7';
  inv.secrets.device_ssh = { [dev.hostname]: { username: 'backup', password } };
  const key = `${dev.hostname}:${dev.port}`;

  const fresh = deviceOperations(inv, [], false, {}, undefined);
  const op = fresh.ops.find((o) => o.title.startsWith('devices:'))!;
  assert.match(op.title, /, SSH logins of 1$/);
  assert.match(String(op.stdin), /INSERT INTO config_backups/);
  assert.ok(!String(op.stdin).includes(password), 'the SQL holds the password encrypted only');

  const stored = { username: 'backup', port: 22, password: encrypt(inv.secrets.app_key, password) };
  const same = deviceOperations(inv, [], false, {}, { [key]: stored });
  assert.ok(!same.ops.some((o) => o.title.includes('SSH logins')));
  assert.ok(!same.ops.some((o) => String(o.stdin).includes('config_backups')));
});
