// scripts/check-skips.mjs on the TAP that node's own test runner writes: a skip fails a CI run
// unless the allow-list names it with a reason; a failed setup (`before` throws) is a failure,
// never a skip. The TAP comes from real `node --test` runs of small test files.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/check-skips.mjs');
let work: string;
let tap: string;

function nodeTap(name: string, body: string): { code: number; tap: string } {
  const file = join(work, `${name}.test.mjs`);
  writeFileSync(file, body);
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT; // run as a fresh runner, not as a child of this one
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], { encoding: 'utf8', env });
  const out = join(work, `${name}.tap`);
  writeFileSync(out, r.stdout);
  return { code: r.status ?? -1, tap: out };
}

function check(list: string, ci: boolean): { code: number; out: string } {
  const listFile = join(work, `list-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(listFile, list);
  const env = { ...process.env, CI: ci ? 'true' : '' };
  const r = spawnSync(process.execPath, [SCRIPT, listFile, tap], { encoding: 'utf8', env });
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'nms-skips-'));
  tap = nodeTap(
    'skips',
    `import { describe, it } from 'node:test';
describe('lab suite', () => {
  it('needs the lab', (t) => t.skip('no lab here'));
  it('runs', () => {});
});
`,
  ).tap;
});
after(() => rmSync(work, { recursive: true, force: true }));

test('in CI, a skip that is not on the allow-list fails the run and is named with its reason', () => {
  const r = check('', true);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /SKIPPED IN CI.*lab suite > needs the lab \(no lab here\)/);
});

test('in CI, a listed skip with a reason passes; the list line without a reason does not', () => {
  assert.equal(check('# comment\nlab suite > needs the lab | the lab needs root\n', true).code, 0);
  const r = check('lab suite > needs the lab\n', true);
  assert.equal(r.code, 1);
  assert.match(r.out, /has no reason/);
});

test('outside CI, skips are printed and do not fail', () => {
  const r = check('', false);
  assert.equal(r.code, 0);
  assert.match(r.out, /skipped: lab suite > needs the lab/);
});

test('a setup that throws fails the tests of its suite (it is not a skip)', () => {
  const r = nodeTap(
    'setup',
    `import { before, describe, it } from 'node:test';
describe('deployed', () => {
  before(() => { throw new Error('deploy failed (4)'); });
  it('is healthy', () => {});
});
`,
  );
  assert.notEqual(r.code, 0, 'the runner exits non-zero');
  const out = readFileSync(r.tap, 'utf8');
  // node 20 reports the suite's tests as cancelled (scripts/test.sh counts them as failed)
  assert.match(out, /^# cancelled [1-9]/m);
  assert.match(out, /^# skipped 0/m);
});
