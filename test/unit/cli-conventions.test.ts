// The conventions every `nms` command shares, through the real CLI (`node bin/nms.js`, after
// `node scripts/build.mjs`): the inventory is always named (-i or NMS_INVENTORY, never the lab's
// by default), bad flags exit 2, NO_COLOR is honoured on a terminal, and --json failures print
// one JSON error object on stdout with the same exit code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { jsonKeys } from '../../lib/run.js';
import { join, resolve } from 'node:path';
import { writeTestKey } from '../helpers/ssh-key.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NMS = process.env.NMS_TEST_BIN ?? join(ROOT, 'bin/nms.js');
let work: string;
/** A valid inventory where the old default pointed: inventories/lab of the working directory. */
let lab: string;

before(() => {
  assert.ok(existsSync(join(ROOT, 'dist/nms.mjs')), 'run `node scripts/build.mjs` first');
  work = mkdtempSync(join(tmpdir(), 'nms-cli-conv-'));
  lab = join(work, 'inventories/lab');
  mkdirSync(join(work, 'inventories'));
  cpSync(join(ROOT, 'test/fixtures/inventories/base'), lab, { recursive: true });
  rmSync(join(lab, 'README'), { force: true });
  writeTestKey(join(lab, 'id_ed25519'));
  chmodSync(join(lab, 'secrets.yaml'), 0o600);
  if (existsSync(join(lab, 'devices.yaml'))) chmodSync(join(lab, 'devices.yaml'), 0o600); // it holds communities
});
after(() => rmSync(work, { recursive: true, force: true }));

function nms(
  args: string[],
  env: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string } {
  const base = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } as Record<string, string | undefined>;
  delete base.NMS_INVENTORY;
  const r = spawnSync(process.execPath, [NMS, ...args], {
    cwd: work,
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...base, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ACTS_ON_INVENTORY = [
  ['status'],
  ['status', '--probe'],
  ['add-poller', 'p9', '--address', '192.0.2.9', '--no-wait'],
  ['remove-poller', 'nms83'],
  ['device', 'add', '192.0.2.9', '--community', 'fixture-community'],
  ['device', 'list'],
  ['device', 'remove', '192.0.2.101'],
  ['deploy', '--check'],
  ['inventory', 'check'],
];

test('every command that acts on an inventory refuses to run without -i or NMS_INVENTORY (exit 2)', () => {
  const before = ['hosts.yaml', 'devices.yaml', 'secrets.yaml'].map((f) => readFileSync(join(lab, f), 'utf8'));
  for (const args of ACTS_ON_INVENTORY) {
    const r = nms(args);
    assert.equal(r.code, 2, `nms ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /required option '-i, --inventory <dir>' not specified/, args.join(' '));
  }
  const after = ['hosts.yaml', 'devices.yaml', 'secrets.yaml'].map((f) => readFileSync(join(lab, f), 'utf8'));
  assert.deepEqual(after, before, 'inventories/lab was not touched');
});

test('NMS_INVENTORY stands for -i', () => {
  const r = nms(['device', 'list', '--json'], { NMS_INVENTORY: 'inventories/lab' });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    JSON.parse(r.stdout).map((d: { hostname: string }) => d.hostname),
    ['192.0.2.101', 'switch1.example.net', '192.0.2.103'],
  );
  const c = nms(['inventory', 'check'], { NMS_INVENTORY: 'inventories/lab' });
  assert.equal(c.code, 0, c.stderr);
});

test('bad flags exit 2, as the help says, for subcommands too', () => {
  for (const args of [
    ['deploy'],
    ['deploy', '-i', 'inventories/lab', '--bogus'],
    ['inventory', 'check', '-i', 'inventories/lab', '--bogus'],
    ['device', 'list', '-i', 'inventories/lab', '--nope'],
    ['status', '-i', 'inventories/lab', '--timeout'],
    ['lab', 'up', '--bogus'],
    ['--bogus'],
  ]) {
    const r = nms(args);
    assert.equal(r.code, 2, `nms ${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

/** Runs the CLI in a pseudo-terminal (util-linux `script`); returns everything it printed. */
function inPty(args: string[], env: Record<string, string>): string {
  const cmd = [process.execPath, NMS, ...args].map((a) => `'${a}'`).join(' ');
  const clean = { ...process.env } as Record<string, string | undefined>;
  // chalk turns colour off under an unknown CI (CI=true, as .ci/run sets it): the terminal decides here
  for (const k of ['NO_COLOR', 'FORCE_COLOR', 'NMS_INVENTORY', 'CI']) delete clean[k];
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
    cwd: work,
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...clean, TERM: 'xterm-256color', ...env },
  });
  assert.equal(r.error, undefined, String(r.error));
  return r.stdout;
}

test('NO_COLOR turns colour off on a terminal, for errors too', () => {
  const args = ['inventory', 'check', '-i', 'inventories/none'];
  const coloured = inPty(args, {});
  assert.match(coloured, /error:/);
  assert.ok(coloured.includes('\u001b['), 'on a terminal the error is coloured (the test can see colour)');
  const plain = inPty(args, { NO_COLOR: '1' });
  assert.match(plain, /error:/);
  assert.ok(!plain.includes('\u001b['), `no escape code with NO_COLOR: ${JSON.stringify(plain)}`);
});

test('--json failures print one JSON error object on stdout with the same exit code', () => {
  writeFileSync(join(work, 'bad-hosts.yaml'), 'x');
  const cases: { args: string[]; code: number; kind: string }[] = [
    { args: ['deploy', '--json'], code: 2, kind: 'UsageError' },
    { args: ['device', 'list', '-i', 'inventories/none', '--json'], code: 2, kind: 'InventoryError' },
    { args: ['status', '-i', 'inventories/lab', '--json', '--bogus'], code: 2, kind: 'UsageError' },
  ];
  for (const c of cases) {
    const r = nms(c.args);
    assert.equal(r.code, c.code, `${c.args.join(' ')}: ${r.stderr}`);
    const j = JSON.parse(r.stdout) as { error: { kind: string; message: string; exit_code: number } };
    assert.deepEqual(Object.keys(j), ['error']);
    assert.equal(j.error.kind, c.kind);
    assert.equal(j.error.exit_code, c.code);
    assert.ok(j.error.message.length > 0);
  }
  // An invalid inventory: every problem, located, in the object.
  cpSync(lab, join(work, 'broken'), { recursive: true });
  writeFileSync(
    join(work, 'broken/hosts.yaml'),
    readFileSync(join(lab, 'hosts.yaml'), 'utf8').replace('port: 22,', 'port: 0,'),
  );
  const r = nms(['inventory', 'check', '-i', 'broken', '--json']);
  assert.equal(r.code, 2, r.stderr);
  const j = JSON.parse(r.stdout) as {
    error: { problems: { file: string; line: number; column: number; path: string; message: string }[] };
  };
  assert.deepEqual(
    j.error.problems.map((p) => [p.file, p.line, p.path]),
    [['broken/hosts.yaml', 8, 'defaults.ssh.port']],
  );
});

test('--json output is snake_case whatever the code calls its fields; names that are data stay', () => {
  const out = jsonKeys({
    keptSecrets: true,
    rssKiB: 1,
    exitCode: 0,
    hosts: [{ host: 'nms82', durationMs: 3, timings: { connectMs: 1, factsMs: 2 } }],
    env: { DB_HOST: 'x' },
    when: new Date(0),
  });
  assert.deepEqual(JSON.parse(JSON.stringify(out)), {
    kept_secrets: true,
    rss_kib: 1,
    exit_code: 0,
    hosts: [{ host: 'nms82', duration_ms: 3, timings: { connect_ms: 1, facts_ms: 2 } }],
    env: { DB_HOST: 'x' },
    when: '1970-01-01T00:00:00.000Z',
  });
});
