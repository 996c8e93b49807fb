// The init script's supervisor (no systemd), run for real with sh: the deployed script with a
// stand-in for Node that either runs until SIGTERM or dies at once. kill -9 → a new agent about a
// second later; dying on start → restarted with 1, 2, 4 s delays and a state the doctor calls a
// crash loop; SIGTERM to the supervisor → passed on to the agent, state `stopped`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory } from '../../cli/inventory/load.js';
import { buildPlan } from '../../cli/deploy/plan.js';
import { DEBIAN } from '../../cli/deploy/profile.js';
import { TemplateRenderer } from '../../cli/deploy/render.js';
import { judgeSupervisor, judgeSystemd, parseSupervisorState, SUPERVISOR_STATE } from '../../lib/supervisor.js';
import { checkSupervision } from '../../agent/doctor/supervision.js';

const ROOT = join(import.meta.dirname, '..', '..');

async function initScript(): Promise<string> {
  const inv = await loadInventory(join(ROOT, 'inventories', 'seed-example'), { checkFiles: false });
  const p = buildPlan({
    inventory: inv,
    host: inv.hosts[1],
    profile: DEBIAN,
    renderer: new TemplateRenderer(join(ROOT, 'templates')),
    systemd: false,
    existingNodeId: 'n',
    hostNode: '/usr/bin/node',
    agentBundle: Buffer.from('//'),
    localNodePath: process.execPath,
  });
  return p.files.find((f) => f.path === '/etc/init.d/nms-agent')!.content.toString('utf8');
}

interface Rig {
  dir: string;
  state: string;
  sup: ChildProcess;
  log: () => string;
  pids: () => number[];
}

/** Starts `sh <init script> supervise` with NODE a stand-in whose behaviour `mode` sets. */
async function rig(mode: 'run' | 'crash'): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'nms-sup-'));
  const fake = join(dir, 'node');
  writeFileSync(join(dir, 'mode'), mode);
  // the trap before the pid: once the test sees the pid, a SIGTERM is always recorded
  writeFileSync(
    fake,
    `#!/bin/sh\ntrap 'echo "term $*" >> ${dir}/events; exit 0' TERM\necho $$ >> ${dir}/pids\n[ "$(cat ` +
      `${dir}/mode)" = crash ] && exit 3\nwhile :; do sleep 0.1; done\n`,
  );
  chmodSync(fake, 0o755);
  const script = (await initScript())
    .replace(/^NODE=.*$/m, `NODE=${fake}`)
    .replace(/^STATE=.*$/m, `STATE=${dir}/state`);
  assert.ok(script.includes(`STATE=${dir}/state`) && script.includes(`NODE=${fake}`));
  writeFileSync(join(dir, 'init'), script);
  let out = '';
  const sup = spawn('sh', [join(dir, 'init'), 'supervise'], { stdio: ['ignore', 'pipe', 'pipe'] });
  sup.stdout!.on('data', (d) => (out += d));
  sup.stderr!.on('data', (d) => (out += d));
  const pids = () =>
    existsSync(join(dir, 'pids'))
      ? readFileSync(join(dir, 'pids'), 'utf8').split('\n').filter(Boolean).map(Number)
      : [];
  return { dir, state: join(dir, 'state'), sup, log: () => out, pids };
}

async function until<T>(what: string, f: () => T | undefined | false, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const readState = (r: Rig) => (existsSync(r.state) ? parseSupervisorState(readFileSync(r.state, 'utf8')) : undefined);

async function stop(r: Rig): Promise<void> {
  const exited = new Promise((res) => r.sup.once('exit', res));
  r.sup.kill('SIGTERM');
  await exited;
}

test(
  'kill -9 of the agent: a new one a second later; SIGTERM reaches the agent and stops all',
  { timeout: 30_000 },
  async (t) => {
    const r = await rig('run');
    t.after(() => rmSync(r.dir, { recursive: true, force: true }));
    const first = await until('first agent', () => readState(r)?.state === 'running' && r.pids()[0]);
    const t0 = Date.now();
    process.kill(first, 'SIGKILL');
    const second = await until('restarted', () => r.pids()[1]);
    const took = Date.now() - t0;
    assert.ok(took < 5000, `restarted after ${took} ms`);
    const s = await until('state running again', () => (readState(r)?.child === second ? readState(r) : undefined));
    assert.equal(s.restarts, 1);
    assert.equal(s.failures, 1);
    assert.equal(s.lastExit, 137, 'killed by signal 9');
    assert.match(r.log(), /"event":"agent_exited","status":137,.*"restart_in_s":1/);
    assert.equal(judgeSupervisor(s, true, Math.floor(Date.now() / 1000)).ok, true);
    await stop(r);
    assert.match(readFileSync(join(r.dir, 'events'), 'utf8'), /term/);
    assert.equal(readState(r)?.state, 'stopped');
    assert.throws(() => process.kill(second, 0), 'the agent is gone');
  },
);

test(
  'an agent that dies on start is restarted 1, 2, 4 s later and judged a crash loop',
  { timeout: 40_000 },
  async (t) => {
    const r = await rig('crash');
    t.after(() => rmSync(r.dir, { recursive: true, force: true }));
    const s = await until(
      'three failures',
      () => ((readState(r)?.failures ?? 0) >= 3 ? readState(r) : undefined),
      20_000,
    );
    const delays = [...r.log().matchAll(/"restart_in_s":(\d+)/g)].map((m) => Number(m[1]));
    assert.deepEqual(delays.slice(0, 3), [1, 2, 4]);
    assert.equal(s.lastExit, 3);
    const v = judgeSupervisor(s, true, Math.floor(Date.now() / 1000));
    assert.equal(v.crashLoop, true);
    assert.match(v.detail, /^crash loop: the agent stopped 3 times in a row/);
    // the doctor's check reads the same file
    const d = await checkSupervision({ statePath: r.state, systemd: false });
    assert.equal(d.crashLoop, true);
    const t0 = Date.now();
    await stop(r); // during the 4 s pause: the pause is cut short
    assert.ok(Date.now() - t0 < 3000, 'stopped without waiting out the back-off');
    assert.equal(readState(r)?.state, 'stopped');
  },
);

test('a dead supervisor and systemd states are judged too', async () => {
  const s = parseSupervisorState(
    'pid=999999\nchild=\nstate=running\nstarted_at=100\nrestarts=0\nfailures=0\nlast_exit=\nlast_exit_at=\n' +
      'delay=0\nupdated_at=100\n',
  );
  assert.equal(s.child, null);
  const dead = judgeSupervisor(s, false, 200);
  assert.equal(dead.ok, false);
  assert.match(dead.detail, /supervisor \(pid 999999\) is gone/);
  // stopped on purpose (`/etc/init.d/nms-agent stop`): not a supervision fault; doctor then names the agent down
  const stopped = parseSupervisorState(
    'pid=999999\nchild=\nstate=stopped\nstarted_at=100\nrestarts=0\nfailures=0\nlast_exit=\nlast_exit_at=\n' +
      'delay=0\nupdated_at=100\n',
  );
  assert.equal(judgeSupervisor(stopped, false, 200).ok, true);
  assert.equal(
    judgeSystemd('ActiveState=activating\nSubState=auto-restart\nNRestarts=7\nExecMainStatus=2\n').crashLoop,
    true,
  );
  assert.equal(judgeSystemd('ActiveState=active\nSubState=running\nNRestarts=1\nExecMainStatus=0\n').ok, true);
  assert.equal(judgeSystemd('ActiveState=failed\nSubState=failed\nNRestarts=0\nExecMainStatus=1\n').ok, false);
  assert.throws(() => parseSupervisorState('garbage'));
  assert.equal(SUPERVISOR_STATE, '/var/lib/nms/supervisor/state');
  assert.equal(spawnSync('sh', ['-n'], { input: await initScript() }).status, 0);
});
