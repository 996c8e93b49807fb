// How the agent's Node is started (memory flags, malloc arenas): the systemd unit, the init
// script and the scale bench's poll worker must agree, and this Node must accept the flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadInventory } from '../../cli/inventory/load.js';
import { buildPlan } from '../../cli/deploy/plan.js';
import { DEBIAN } from '../../cli/deploy/profile.js';
import { TemplateRenderer } from '../../cli/deploy/render.js';
import { agentNodeStart } from '../../bench/lib/fleet.js';

const INV = join(import.meta.dirname, '..', '..', 'inventories', 'seed-example');
const TEMPLATES = join(import.meta.dirname, '..', '..', 'templates');

async function agentFiles(systemd: boolean): Promise<Map<string, string>> {
  const inv = await loadInventory(INV, { checkFiles: false });
  const p = buildPlan({
    inventory: inv,
    host: inv.hosts[1],
    profile: DEBIAN,
    renderer: new TemplateRenderer(TEMPLATES),
    systemd,
    existingNodeId: 'node-x',
    hostNode: '/usr/bin/node',
    agentBundle: Buffer.from('// bundle'),
    localNodePath: process.execPath,
  });
  return new Map(p.files.map((f) => [f.path, f.content.toString('utf8')]));
}

test('the bench reads the flags and environment of the systemd unit template', () => {
  const { flags, env } = agentNodeStart();
  assert.ok(
    flags.some((f) => /^--max-semi-space-size=\d+$/.test(f)),
    flags.join(' '),
  );
  assert.ok(
    flags.some((f) => /^--heap-growing-percent=\d+$/.test(f)),
    flags.join(' '),
  );
  assert.equal(env.MALLOC_ARENA_MAX, '2');
  assert.equal(env.NMS_ENV, undefined);
});

test(
  'the rendered unit and init script start Node with the same flags and environment',
  { timeout: 20_000 },
  async () => {
    const { flags, env } = agentNodeStart();
    const unit = (await agentFiles(true)).get('/etc/systemd/system/nms-agent.service')!;
    const exec = /^ExecStart=(\S+) (.*) (\S+) run$/m.exec(unit);
    assert.ok(exec, unit);
    assert.deepEqual(exec[2].split(' '), flags);
    for (const [k, v] of Object.entries(env)) assert.match(unit, new RegExp(`^Environment=${k}=${v}$`, 'm'));
    const init = (await agentFiles(false)).get('/etc/init.d/nms-agent')!;
    assert.match(init, new RegExp(`^NODE_FLAGS="${flags.join(' ')}"$`, 'm'));
    assert.match(init, /"\$NODE" \$NODE_FLAGS "\$BUNDLE" run &$/m);
    for (const [k, v] of Object.entries(env)) assert.match(init, new RegExp(`^export ${k}=${v}$`, 'm'));
  },
);

test('this Node accepts the flags (a misspelt V8 flag would stop the agent at start)', { timeout: 20_000 }, () => {
  const { flags, env } = agentNodeStart();
  const r = spawnSync(
    process.execPath,
    [...flags, '-e', 'process.stdout.write(String(require("v8").getHeapStatistics().total_available_size > 0))'],
    { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 15_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'true');
  const bad = spawnSync(process.execPath, ['--max-semi-space-sise=4', '-e', '0'], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  assert.notEqual(bad.status, 0, 'a wrong flag must fail, or this test proves nothing');
});
