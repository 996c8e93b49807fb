// The watchdog in child processes (no services): a blocked event loop is killed from the
// watchdog thread, a failing self-check exits 70, and under systemd (NOTIFY_SOCKET) READY=1 and
// WATCHDOG=1 go out through `systemd-notify` (a stand-in script on PATH records its arguments).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;

function runChild(body: string, env: NodeJS.ProcessEnv = {}) {
  const script = `import { Watchdog } from './agent/daemon/watchdog.ts';
import { createLogger } from './lib/log.ts';
const log = createLogger('test');
${body}`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, ...env },
  });
}

test('a blocked event loop is killed by the watchdog thread', { timeout: 30_000 }, () => {
  const r = runChild(`const w = new Watchdog({ log, check: () => undefined, loopStuckMs: 1500, intervalMs: 200 });
w.start();
setTimeout(() => { const end = Date.now() + 8000; while (Date.now() < end) {} process.exit(0); }, 300);`);
  assert.equal(r.signal, 'SIGKILL', `status ${r.status} stderr ${r.stderr}`);
  assert.match(r.stderr, /"event":"event_loop_stuck"/);
});

test('a failing self-check exits 70 with the reason logged', { timeout: 30_000 }, () => {
  const r = runChild(`let n = 0;
const w = new Watchdog({ log, check: () => (++n >= 3 ? 'workers stuck' : undefined), intervalMs: 100 });
w.start();
setInterval(() => {}, 1000);`);
  assert.equal(r.status, 70, r.stderr);
  assert.match(r.stderr, /"event":"agent_stuck","reason":"workers stuck"/);
});

test('under systemd it notifies READY=1 and WATCHDOG=1 at half of WATCHDOG_USEC', { timeout: 30_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nms-watchdog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'notify.log');
  writeFileSync(join(dir, 'systemd-notify'), `#!/bin/sh\necho "$@" >> ${out}\n`);
  chmodSync(join(dir, 'systemd-notify'), 0o755);
  const r = runChild(
    `const w = new Watchdog({ log, check: () => undefined });
w.start();
setTimeout(() => w.close().then(() => setTimeout(() => process.exit(0), 300)), 1300);`,
    { NOTIFY_SOCKET: '/run/fake-notify', WATCHDOG_USEC: '1000000', PATH: `${dir}:${process.env.PATH}` },
  );
  assert.equal(r.status, 0, r.stderr);
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.match(lines[0], /^--pid=\d+ READY=1$/);
  assert.ok(lines.filter((l) => l.endsWith('WATCHDOG=1')).length >= 1, lines.join('|'));
  assert.match(lines.at(-1)!, /STOPPING=1$/);
});
