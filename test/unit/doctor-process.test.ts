// The doctor's liveness check of the agent a registry entry names: a real process runs; once
// killed it does not, at once, whatever the entry's TTL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentProcessAlive } from '../../agent/doctor/process.js';

test('a running nms-agent process is alive; killed, it is not', async () => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '/opt/nms/nms-agent.mjs', 'run'], {
    stdio: 'ignore',
  });
  await once(child, 'spawn');
  try {
    assert.equal(agentProcessAlive(child.pid!), true);
  } finally {
    child.kill('SIGKILL');
  }
  await once(child, 'exit');
  assert.equal(agentProcessAlive(child.pid!), false);
});

test('no pid, or no /proc: not alive, or cannot tell', () => {
  assert.equal(agentProcessAlive(process.pid), true, 'this process runs');
  assert.equal(agentProcessAlive(0), false);
  const empty = mkdtempSync(join(tmpdir(), 'nms-noproc-'));
  try {
    assert.equal(agentProcessAlive(1, empty), undefined);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
