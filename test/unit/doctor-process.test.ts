// The doctor's liveness check of the agent a registry entry names: a real process whose command
// line names nms-agent runs; once killed (and reaped) it does not, at once, whatever the entry's
// TTL; another program on the pid is not the agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentProcessAlive } from '../../agent/doctor/process.js';

test('a running nms-agent process is alive; killed, it is not', async () => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '/opt/nms/nms-agent.mjs', 'run'], { stdio: 'ignore' });
  await once(child, 'spawn');
  try {
    assert.equal(agentProcessAlive(child.pid!), true);
  } finally {
    child.kill('SIGKILL');
  }
  await once(child, 'exit');
  assert.equal(agentProcessAlive(child.pid!), false);
});

test('another program on the pid, or no pid, is not the agent; without /proc it cannot tell', () => {
  assert.equal(agentProcessAlive(process.pid), false, 'the test runner is not nms-agent');
  assert.equal(agentProcessAlive(0), false);
  const empty = mkdtempSync(join(tmpdir(), 'nms-noproc-'));
  try {
    assert.equal(agentProcessAlive(1, empty), undefined);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
