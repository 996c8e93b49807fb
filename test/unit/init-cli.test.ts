// `nms init inventory` without questions, through the real CLI (after `node scripts/build.mjs`):
// IPv6 addresses for pollers, a .gitignore for the secrets and keys, snake_case JSON keys.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { parsePollerSpec } from '../../cli/commands/init.js';
import { writeTestKey } from '../helpers/ssh-key.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NMS = process.env.NMS_TEST_BIN ?? join(ROOT, 'bin/nms.js');
let work: string;

before(() => {
  assert.ok(existsSync(join(ROOT, 'dist/nms.mjs')), 'run `node scripts/build.mjs` first');
  work = mkdtempSync(join(tmpdir(), 'nms-init-cli-'));
  writeTestKey(join(work, 'id_ed25519'));
});
after(() => rmSync(work, { recursive: true, force: true }));

function init(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const argv = [
    NMS,
    'init',
    'inventory',
    ...args,
    '--dir',
    work,
    '--yes',
    '--ssh-key',
    join(work, 'id_ed25519'),
    '--json',
  ];
  const r = spawnSync(process.execPath, argv, {
    cwd: work,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--poller takes IPv6 addresses, in brackets or alone', () => {
  assert.deepEqual(parsePollerSpec('p1=[2001:db8::5]:0,1:poller,discovery'), {
    name: 'p1',
    address: '2001:db8::5',
    groups: '0,1',
    roles: 'poller,discovery',
  });
  assert.deepEqual(parsePollerSpec('p1=2001:db8::5'), { name: 'p1', address: '2001:db8::5' });
  assert.deepEqual(parsePollerSpec('p1=192.0.2.5:2'), { name: 'p1', address: '192.0.2.5', groups: '2' });
  assert.throws(() => parsePollerSpec('p1=[2001:db8::5'), /expected NAME=ADDRESS/);
  assert.throws(() => parsePollerSpec('p1=192.0.2.5:0:poller:extra'), /expected NAME=ADDRESS/);

  const r = init(
    'v6',
    '--master-address',
    '2001:db8::82',
    '--poller',
    'p1=[2001:db8::83]:0,1:poller,discovery',
    '--poller',
    'p2=2001:db8::84',
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const hosts = parse(readFileSync(join(work, 'v6/hosts.yaml'), 'utf8')) as {
    hosts: Record<string, { address: string; agent?: { distributed_poller_group: number[] } }>;
  };
  assert.equal(hosts.hosts.p1.address, '2001:db8::83');
  assert.deepEqual(hosts.hosts.p1.agent?.distributed_poller_group, [0, 1]);
  assert.equal(hosts.hosts.p2.address, '2001:db8::84');
});

test(
  'init writes a .gitignore that keeps the secrets, devices and private keys out of git, and keeps an ' +
    'existing one',
  () => {
    const r = init('gi', '--master-address', '192.0.2.82');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const ignore = readFileSync(join(work, 'gi/.gitignore'), 'utf8').split('\n');
    for (const line of ['secrets.yaml', 'devices.yaml', 'id_*', '!id_*.pub']) assert.ok(ignore.includes(line), line);
    // git itself agrees
    const git = spawnSync('git', ['-c', 'init.defaultBranch=main', 'init', '-q', join(work, 'gi')], {
      encoding: 'utf8',
    });
    assert.equal(git.status, 0, git.stderr);
    const ignored = spawnSync(
      'git',
      [
        '-C',
        join(work, 'gi'),
        'check-ignore',
        'secrets.yaml',
        'devices.yaml',
        'id_ed25519',
        'id_ed25519.pub',
        'hosts.yaml',
      ],
      { encoding: 'utf8' },
    );
    assert.deepEqual(ignored.stdout.trim().split('\n'), ['secrets.yaml', 'devices.yaml', 'id_ed25519']);
    const again = init('gi', '--master-address', '192.0.2.82', '--force');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).wrote_gitignore, false, "an existing .gitignore is the user's");
  },
);

test('--json keys are snake_case', () => {
  const r = init('keys', '--master-address', '192.0.2.90');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(j.kept_secrets, false);
  assert.equal(j.wrote_gitignore, true);
  const camel: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (/[a-z][A-Z]/.test(k)) camel.push(k);
        walk(x);
      }
  };
  walk(j);
  assert.deepEqual(camel, []);
});
