// Config backup without services: each OS definition's commands and strip patterns against
// output in the formats the devices print (IOS running-config headers, Junos commit headers,
// RouterOS export headers), the simulator's configurations read at two moments and after a
// change, the inventory rules of role config-backup and deploy's SQL for the SSH logins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSet, readDefinitionTexts } from '../../agent/definitions/loader.js';
import { configFileName, normaliseConfig, stripPatterns } from '../../agent/backup/normalise.js';
import { deviceConfig, sshCredentials, CONFIG_COMMANDS } from '../../simulator/ssh-model.js';
import { familyOf } from '../../simulator/families.js';
import { configBackup, type ConfigBackupRuleInput } from '../../cli/inventory/config-backup.js';
import { sshLoginChanges } from '../../cli/deploy/device-ssh.js';
import { eventDiff } from '../../agent/backup/store.js';
import { encrypt, generateAppKey } from '../../lib/crypto.js';
import type { Inventory } from '../../cli/inventory/types.js';
import { parseSource } from '../../cli/inventory/source.js';

const set = buildSet(readDefinitionTexts());
const strip = (os: string) => stripPatterns(set.byOs.get(os)!.config!.strip ?? []);

test('ios, junos and routeros name the command that prints their configuration', () => {
  assert.deepEqual(set.byOs.get('ios')!.config!.commands, ['show running-config']);
  assert.deepEqual(set.byOs.get('junos')!.config!.commands, ['show configuration | display set']);
  assert.deepEqual(set.byOs.get('routeros')!.config!.commands, ['/export']);
  for (const os of ['ios', 'junos', 'routeros']) assert.doesNotThrow(() => strip(os));
});

test('IOS: the build banner, byte count, change stamps and clock-period go; the configuration stays', () => {
  const raw = [
    'Building configuration...',
    '',
    'Current configuration : 4711 bytes',
    '!',
    '! Last configuration change at 14:02:11 UTC Tue Mar 5 2024 by admin',
    '! NVRAM config last updated at 14:03:00 UTC Tue Mar 5 2024 by admin',
    '!',
    'version 15.2',
    'hostname core-1   ',
    'ntp clock-period 36028797',
    'end',
    '',
  ].join('\r\n');
  assert.equal(normaliseConfig(raw, strip('ios')), '!\n!\nversion 15.2\nhostname core-1\nend\n');
});

test('Junos: the commit header goes; set lines stay', () => {
  const raw = '## Last commit: 2024-03-05 14:02:11 UTC by admin\nset system host-name mx1\nset snmp location "x"\n';
  assert.equal(normaliseConfig(raw, strip('junos')), 'set system host-name mx1\nset snmp location "x"\n');
  const changed = '## Last changed: 2024-03-05 14:02:11 UTC\nset system host-name mx1\n';
  assert.equal(normaliseConfig(changed, strip('junos')), 'set system host-name mx1\n');
});

test('RouterOS: the export time line goes (v6 and v7 date forms); comments that are configuration stay', () => {
  for (const head of ['# mar/05/2024 14:02:11 by RouterOS 6.49.10', '# 2024-03-05 14:02:11 by RouterOS 7.12.1']) {
    const raw = `${head}\n# software id = ABCD-1234\n/system identity\nset name=r1\n`;
    assert.equal(normaliseConfig(raw, strip('routeros')), '# software id = ABCD-1234\n/system identity\nset name=r1\n');
  }
});

test('the simulator: two reads differ, their normalised forms do not; a change differs in its own lines', () => {
  for (const device of [1, 2, 3]) {
    const os = familyOf(device);
    const view = { device, seed: 1, generation: 0, changedMs: Date.UTC(2026, 0, 1) };
    const a = deviceConfig({ ...view, nowMs: Date.UTC(2026, 0, 2, 10, 0, 0, 1) })!;
    const b = deviceConfig({ ...view, nowMs: Date.UTC(2026, 0, 2, 10, 5, 7, 3) })!;
    assert.notEqual(a, b, `${os}: a line changes on every read`);
    assert.equal(normaliseConfig(a, strip(os)), normaliseConfig(b, strip(os)));
    const c = deviceConfig({ ...view, generation: 1, changedMs: Date.UTC(2026, 0, 2), nowMs: 0 })!;
    const before = normaliseConfig(a, strip(os)).split('\n');
    const after = normaliseConfig(c, strip(os)).split('\n');
    assert.equal(before.length, after.length);
    const differ = before.filter((l, i) => l !== after[i]);
    assert.equal(differ.length, 1, `${os}: one line changed`);
    assert.match(differ[0], /config generation 0/);
    assert.ok(CONFIG_COMMANDS[os]);
  }
  assert.equal(deviceConfig({ device: 0, seed: 1, generation: 0, changedMs: 0, nowMs: 0 }), undefined, 'linux');
  assert.notEqual(sshCredentials(1, 1).password, sshCredentials(2, 1).password);
});

test('a device file name is its hostname made safe', () => {
  assert.equal(configFileName('198.19.0.2'), '198.19.0.2');
  assert.equal(configFileName('../etc/passwd'), '__etc_passwd');
  assert.equal(configFileName('a b'), 'a_b');
});

const src = (file: string) => parseSource(file, '{}\n', file.includes('secrets')).src;
function ruleInput(hosts: [string, string[]][], logins: Record<string, { username: string; password: string }>) {
  return {
    hosts: hosts.map(([name, roles]) => ({ name, roles })),
    raw: { hosts: Object.fromEntries(hosts.map(([name, roles]) => [name, { roles }])) },
    hostsSrc: src('hosts.yaml'),
    secretsSrc: src('secrets.yaml'),
    secrets: { device_ssh: logins },
    devices: [{ hostname: '198.19.0.2' }],
  } as unknown as ConfigBackupRuleInput;
}

test('inventory: one host at most has role config-backup; logins only for devices of devices.yaml', () => {
  const login = { username: 'u', password: 'p' };
  const ok = ruleInput([['p1', ['poller', 'config-backup']]], { '198.19.0.2': login });
  assert.deepEqual(configBackup(ok), []);
  const two = configBackup(
    ruleInput(
      [
        ['p1', ['config-backup']],
        ['p2', ['config-backup']],
      ],
      {},
    ),
  );
  assert.equal(two.length, 1);
  assert.match(two[0].message, /role config-backup is already on host p1/);
  const stray = configBackup(ruleInput([['p1', ['config-backup']]], { '10.0.0.1': login }));
  assert.match(stray[0].message, /10\.0\.0\.1 is not a device of devices\.yaml/);
  const none = configBackup(ruleInput([['p1', ['poller']]], { '198.19.0.2': login }));
  assert.match(none[0].message, /no host has role config-backup/);
});

test('deploy writes a login only when it differs, encrypted, and removes one taken out of secrets.yaml', () => {
  const app_key = generateAppKey();
  const password = 'Sw0rdfish-9';
  const inv = {
    secrets: { app_key, device_ssh: { '198.19.0.2': { username: 'backup', password } } },
    devices: [
      { hostname: '198.19.0.2', port: 161 },
      { hostname: '198.19.0.3', port: 161 },
    ],
  } as unknown as Inventory;
  const q = (s: string) => `'${s}'`;
  const first = sshLoginChanges(inv, undefined, q);
  assert.deepEqual(first.changed, ['198.19.0.2:161']);
  assert.ok(!first.sql.includes(password), 'the SQL holds the password encrypted only');
  assert.match(first.sql, /INSERT INTO config_backups/);
  const stored = { username: 'backup', port: 22, password: encrypt(app_key, password) };
  assert.deepEqual(sshLoginChanges(inv, { '198.19.0.2:161': stored }, q), { changed: [], sql: '' });
  const other = sshLoginChanges(inv, { '198.19.0.2:161': { ...stored, password: encrypt(app_key, 'old') } }, q);
  assert.deepEqual(other.changed, ['198.19.0.2:161']);
  const gone = sshLoginChanges(inv, { '198.19.0.2:161': stored, '198.19.0.3:161': stored }, q);
  assert.deepEqual(gone.changed, ['198.19.0.3:161']);
  assert.match(
    gone.sql,
    /^DELETE FROM config_backups WHERE device_id = \(SELECT device_id FROM devices WHERE hostname = '198\.19\.0\.3'/,
  );
});

test('an event keeps a long diff short, cut at a line end', () => {
  const diff = Array.from({ length: 5000 }, (_, i) => `+line ${i} of a long configuration`).join('\n') + '\n';
  const cut = eventDiff(diff);
  assert.ok(cut.length < 15_100);
  assert.match(cut, /\n… \(\d+ characters; the whole diff is in the API\)$/);
  assert.equal(eventDiff('+a\n'), '+a\n');
});
