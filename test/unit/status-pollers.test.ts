// add-poller / remove-poller without a cluster: what they refuse, and that a refused or failed
// add leaves the inventory as it was. The SSH failure is real (a closed port on loopback).
import { after, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseDocument } from 'yaml';
import { addPoller } from '../../cli/pollers/add.js';
import { groupsLeftWithoutPoller, removePoller, uninstallAgentScript } from '../../cli/pollers/remove.js';
import { joinStage } from '../../cli/pollers/wait.js';
import { loadInventory } from '../../cli/inventory/load.js';
import { InventoryError, UsageError } from '../../lib/errors.js';
import { analyse } from '../../agent/cluster-view/analyse.js';
import { writeTestKey } from '../helpers/ssh-key.js';

const root = mkdtempSync(join(tmpdir(), 'nms-pollers-'));
let dir: string;
let n = 0;
const snapshot = () => ['hosts.yaml', 'secrets.yaml', 'devices.yaml'].map((f) => readFileSync(join(dir, f), 'utf8'));

beforeEach(() => {
  dir = join(root, `inv${n++}`);
  cpSync(new URL('../fixtures/inventories/base', import.meta.url).pathname, dir, { recursive: true });
  writeTestKey(join(dir, 'id_ed25519'));
  chmodSync(join(dir, 'secrets.yaml'), 0o600);
  if (existsSync(join(dir, 'devices.yaml'))) chmodSync(join(dir, 'devices.yaml'), 0o600); // it holds communities
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('remove-poller refuses before touching anything', () => {
  it('refuses a host that runs the cluster services', async () => {
    const was = snapshot();
    await assert.rejects(
      removePoller({ inventory: dir, name: 'nms82' }),
      (e: unknown) => e instanceof UsageError && /runs the cluster's web, mariadb/.test(e.message),
    );
    assert.deepEqual(snapshot(), was);
  });

  it('refuses (without --force) to leave a group with devices and no poller, naming it', async () => {
    // nms83 serves only group 0: nms84 is group 1's last poller (and its only discovery host)
    const hosts = readFileSync(join(dir, 'hosts.yaml'), 'utf8').replace(
      /(nms83:[\s\S]*?distributed_poller_group: )\[0, 1\]/,
      '$1[0]',
    );
    writeFileSync(join(dir, 'hosts.yaml'), hosts);
    const inv = await loadInventory(dir);
    // group 0 keeps pollers (nms82, nms83) but loses its only discovery host
    assert.deepEqual(groupsLeftWithoutPoller(inv, 'nms84'), [
      { group: 0, devices: 1, role: 'discovery' },
      { group: 1, devices: 2, role: 'poller' },
    ]);
    assert.deepEqual(groupsLeftWithoutPoller(inv, 'nms83'), []);
    const was = snapshot();
    await assert.rejects(
      removePoller({ inventory: dir, name: 'nms84' }),
      (e: unknown) =>
        e instanceof UsageError &&
        /poller group 1 \(2 devices\) with no poller host/.test(e.message) &&
        /--force/.test(e.hint ?? ''),
    );
    assert.deepEqual(snapshot(), was);
  });

  it('refuses an unknown host', async () => {
    await assert.rejects(removePoller({ inventory: dir, name: 'nope' }), /nope is not in/);
  });

  it('stops and removes the agent with a script sh accepts', () => {
    const r = spawnSync('sh', ['-n'], { input: uninstallAgentScript(), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(uninstallAgentScript(), /\/etc\/init.d\/nms-agent stop/);
  });
});

describe('add-poller leaves the inventory consistent when it cannot go on', () => {
  it('undoes a host that does not validate (address of another host)', async () => {
    const was = snapshot();
    await assert.rejects(
      addPoller({ inventory: dir, name: 'nms85', address: '192.0.2.83', groups: [1] }),
      (e: unknown) => e instanceof InventoryError && /nms85 was not added/.test(e.message),
    );
    assert.deepEqual(snapshot(), was);
  });

  it('refuses a name already in the inventory and cluster roles', async () => {
    await assert.rejects(addPoller({ inventory: dir, name: 'nms83', address: '192.0.2.99' }), /already in/);
    await assert.rejects(
      addPoller({ inventory: dir, name: 'nms85', address: '192.0.2.85', roles: ['redis'] }),
      /--roles takes poller, discovery and ping only/,
    );
  });

  it('takes the host out again when SSH fails (a closed port), db password included', { timeout: 30_000 }, async () => {
    const was = snapshot();
    await assert.rejects(
      addPoller({ inventory: dir, name: 'nms85', address: '127.0.0.1', sshPort: 1, groups: [1] }),
      (e: unknown) =>
        /cannot reach nms85 over SSH/.test((e as Error).message) &&
        /taken out of the inventory/.test((e as UsageError).hint ?? ''),
    );
    assert.deepEqual(snapshot(), was);
    assert.equal(
      parseDocument(readFileSync(join(dir, 'secrets.yaml'), 'utf8')).getIn(['db_passwords', 'nms85']),
      undefined,
    );
  });
});

describe('waiting for a new poller', () => {
  const view = (state: string, jobs: number) =>
    analyse({
      now: 1_000_000,
      pollerFrequency: 30,
      downRetry: 60,
      graceSeconds: 30,
      masterName: 'm',
      sources: { mariadb: { ok: true, ms: 1 }, redis: { ok: true, ms: 1 }, memcached: { ok: true, ms: 1 } },
      registry: [
        {
          node_id: 'n3',
          poller_name: 'poller3',
          version: '0.1.0',
          pid: 1,
          groups: [0],
          roles: ['poller'],
          queues: [],
          dispatcher: false,
          state,
          started_at: 990_000,
          heartbeat_at: 999_000,
          heartbeat_interval_ms: 6000,
          jobs_ok: jobs,
          jobs_failed: 0,
        },
      ],
      reports: [],
      dispatcherHolder: 'x',
      dispatcherTick: { at: 999_500 },
      groupDevices: [{ group: 0, devices: 4 }],
      queues: null,
      devices: null,
      overdue: [],
      errors: [],
    });
  it('goes waiting → registered → polling, and reports a refusal', () => {
    assert.equal(joinStage(view('working', 0), 'poller4').stage, 'waiting');
    assert.equal(joinStage(view('working', 0), 'poller3').stage, 'registered');
    assert.equal(joinStage(view('working', 3), 'poller3').stage, 'polling');
    assert.deepEqual(
      [
        joinStage(view('app_key_mismatch', 0), 'poller3').stage,
        joinStage(view('app_key_mismatch', 0), 'poller3').refusing,
      ],
      ['waiting', 'app_key_mismatch'],
    );
    assert.equal(joinStage(view('starting', 0), 'poller3').refusing, undefined);
  });
});
