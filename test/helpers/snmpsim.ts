// A private snmpsimd serving LibreNMS's recordings (../shared/librenms-testdata/recordings, read
// in place) on a loopback port: each recording answers v2c with its file name as community.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TESTDATA } from './snmprec.js';

export interface RecordingSim {
  /** 127.0.0.1, 127.0.0.2, ...: one per address asked for, all serving every recording. */
  hosts: string[];
  port: number;
  stop(): void;
}

/** Starts snmpsimd and waits until `probe` (a recording name) answers; the caller stops it. */
export async function startRecordingSim(probe: string, addresses = 1): Promise<RecordingSim> {
  const port = 20000 + (process.pid % 20000);
  const hosts = Array.from({ length: addresses }, (_, i) => `127.0.0.${i + 1}`);
  const cache = mkdtempSync(join(tmpdir(), 'nms-sim-'));
  chmodSync(cache, 0o777);
  const endpoints = hosts.map((h) => `--agent-udpv4-endpoint=${h}:${port}`);
  const args = [`--data-dir=${join(TESTDATA, 'recordings')}`, `--cache-dir=${cache}`, ...endpoints];
  if (process.getuid?.() === 0) args.push('--process-user=nobody', '--process-group=nogroup');
  const child: ChildProcess = spawn('snmpsimd', args, { stdio: 'ignore' });
  const stop = () => {
    child.kill('SIGTERM');
    rmSync(cache, { recursive: true, force: true });
  };
  for (let i = 0; i < 60; i++) {
    try {
      execFileSync('snmpget', ['-v2c', '-c', probe, '-t', '0.5', '-r', '0', `127.0.0.1:${port}`, '1.3.6.1.2.1.1.3.0'], {
        stdio: 'ignore',
      });
      return { hosts, port, stop };
    } catch {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  stop();
  throw new Error(`snmpsimd on 127.0.0.1:${port} did not answer for ${probe}`);
}
