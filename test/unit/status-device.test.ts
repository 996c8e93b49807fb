// `nms device add|list|remove` on a copy of the fixture inventory: the YAML edits keep the
// file valid (a change that would not validate is undone), secrets stay out of list output and
// may come from the environment.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { deviceAdd, deviceList, deviceRemove, rawDevice } from '../../cli/commands/device.js';
import { InventoryError, UsageError } from '../../lib/errors.js';
import { loadInventory } from '../../cli/inventory/load.js';
import { writeTestKey } from '../helpers/ssh-key.js';

let dir: string;
before(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'nms-device-')), 'inv');
  cpSync(new URL('../fixtures/inventories/base', import.meta.url).pathname, dir, { recursive: true });
  writeTestKey(join(dir, 'id_ed25519'));
  chmodSync(join(dir, 'secrets.yaml'), 0o600);
  if (existsSync(join(dir, 'devices.yaml'))) chmodSync(join(dir, 'devices.yaml'), 0o600); // it holds communities
});
after(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

describe('nms device', () => {
  it('adds a v2c device with the community from the environment, keeping comments', async () => {
    const before = readFileSync(join(dir, 'hosts.yaml'), 'utf8');
    process.env.NMS_SNMP_COMMUNITY = 'env-community';
    try {
      const d = await deviceAdd({ inventory: dir, hostname: '192.0.2.150', port: 1161, group: 1 });
      assert.deepEqual(
        [d.hostname, d.port, d.poller_group, d.snmp],
        ['192.0.2.150', 1161, 1, { version: 'v2c', community: 'env-community' }],
      );
    } finally {
      delete process.env.NMS_SNMP_COMMUNITY;
    }
    const inv = await loadInventory(dir);
    assert.equal(inv.devices.length, 4);
    assert.equal(readFileSync(join(dir, 'hosts.yaml'), 'utf8'), before, 'hosts.yaml untouched');
  });

  it('refuses a duplicate and a v2c device without a community', async () => {
    await assert.rejects(
      deviceAdd({ inventory: dir, hostname: '192.0.2.150', port: 1161, community: 'x' }),
      UsageError,
    );
    assert.throws(() => rawDevice({ inventory: dir, hostname: 'a' }, {}), /needs a community/);
  });

  it('undoes an add that leaves the inventory invalid (v3 passphrase too short)', async () => {
    const text = readFileSync(join(dir, 'devices.yaml'), 'utf8');
    await assert.rejects(
      deviceAdd({
        inventory: dir,
        hostname: 'sw9.example.net',
        version: 'v3',
        authname: 'u',
        authpass: 'short',
        authalgo: 'SHA',
        cryptopass: 'alsoshort',
        cryptoalgo: 'AES',
      }),
      (err: unknown) => err instanceof InventoryError && /not added/.test(err.message) && /authpass/.test(err.message),
    );
    assert.equal(readFileSync(join(dir, 'devices.yaml'), 'utf8'), text, 'devices.yaml as before');
  });

  it('lists devices without secrets, and the CLI prints JSON', async () => {
    const list = await deviceList(dir);
    assert.equal(list.length, 4);
    assert.ok(!JSON.stringify(list).includes('community'), 'no secret field');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'device', 'list', '-i', dir, '--json'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), list);
    assert.ok(!r.stdout.includes('fixture-community') && !r.stdout.includes('env-community'));
  });

  it('removes by hostname and port, and says so when there is nothing to remove', async () => {
    assert.equal(await deviceRemove({ inventory: dir, hostname: '192.0.2.150', port: 1161 }), 1);
    assert.equal((await loadInventory(dir)).devices.length, 3);
    await assert.rejects(deviceRemove({ inventory: dir, hostname: '192.0.2.150' }), /no device 192.0.2.150/);
  });
});
