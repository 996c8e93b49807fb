// The agent takes the built-in prototypes out of V8's setup mode once its modules have loaded
// (lib/v8-prototypes.ts): ioredis leaves String.prototype a dictionary, and the agent's string
// methods were 11 % of its CPU through generic loads. Checked in a child Node with V8's natives
// syntax, which only a flag allows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

function fastAfter(body: string): { string: boolean; writable: boolean } {
  const script = [
    "import { Writable } from 'node:stream';",
    body,
    'console.log(JSON.stringify({ string: %HasFastProperties(String.prototype), ' +
      'writable: %HasFastProperties(Writable.prototype) }));',
  ].join('\n');
  const r = spawnSync(
    process.execPath,
    ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: ROOT, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test('settlePrototypes makes String.prototype and Writable.prototype fast after ioredis and a subclass', () => {
  const load = "await import('ioredis');\nclass Unused extends Writable {}\nvoid Unused;";
  const settle = "const { settlePrototypes } = await import('./lib/v8-prototypes.ts');\nsettlePrototypes();";
  // what the agent's modules do to them (the reason for the call), then the call
  assert.deepEqual(fastAfter(load), { string: false, writable: false });
  assert.deepEqual(fastAfter(`${load}\n${settle}`), { string: true, writable: true });
});

test("the agent's entry calls settlePrototypes after its imports", async () => {
  const { readFileSync } = await import('node:fs');
  const main = readFileSync(join(ROOT, 'agent/main.ts'), 'utf8');
  const call = main.indexOf('settlePrototypes();');
  assert.ok(call > 0, 'agent/main.ts calls settlePrototypes()');
  assert.ok(call > main.lastIndexOf('\nimport '), 'the call comes after every import');
});
