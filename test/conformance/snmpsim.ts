// Serves the shared recordings with Debian's snmpsim for the conformance run: several processes
// (snmpsim answers some 300 requests/s each), one loopback address per recording
// (127.0.0.<n>, all on one free UDP port), so that every device has its own hostname and port pair.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, chmodSync, chownSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { promisify } from 'node:util';
import { join } from 'node:path';

const run = promisify(execFile);

export interface SimDevice {
  name: string;
  host: string;
  port: number;
}

export interface Snmpsim {
  devices: SimDevice[];
  close(): Promise<void>;
}

/** A UDP port free on 127.0.0.1 (bound and released). */
async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
  const port = s.address().port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

export async function startSnmpsim(
  recordingsDir: string,
  names: string[],
  processes = 3,
  // NMS_CONFORMANCE_WORK: a directory of one's own when several checkouts run this at once
  // (they shared snmpsim's cache files, and a run broke the other's)
  work = process.env.NMS_CONFORMANCE_WORK ?? '/tmp/nms-conformance',
): Promise<Snmpsim> {
  const data = join(work, 'data');
  mkdirSync(data, { recursive: true });
  // snmpsim reads as nobody: a readable copy outside the repository
  for (const f of readdirSync(recordingsDir)) if (f.endsWith('.snmprec')) cpSync(join(recordingsDir, f), join(data, f));
  chmodSync(work, 0o755);
  const port = await freePort();
  const devices = names.map((name, i) => ({ name, host: `127.0.0.${i + 2}`, port }));
  const asRoot = process.getuid?.() === 0;
  const caches = Array.from({ length: processes }, (_, k) => join(work, `cache-${k}`));
  const spawnAll = (): ChildProcess[] =>
    caches.map((cache, k) => {
      mkdirSync(cache, { recursive: true });
      // a run killed while snmpsim built its index leaves an empty index file that stops the next
      // snmpsimd at start: drop those (snmpsim rebuilds what is missing)
      for (const f of readdirSync(cache)) if (statSync(join(cache, f)).size === 0) rmSync(join(cache, f));
      if (asRoot) chownSync(cache, 65534, 65534);
      const endpoints = devices
        .filter((_, i) => i % processes === k)
        .map((d) => `--agent-udpv4-endpoint=${d.host}:${d.port}`);
      const args = [
        `--data-dir=${data}`,
        `--cache-dir=${cache}`,
        ...endpoints,
        ...(asRoot ? ['--process-user=nobody', '--process-group=nogroup'] : []),
      ];
      return spawn('snmpsimd', args, { stdio: 'ignore', detached: false });
    });
  let children = spawnAll();
  const close = async () => {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))));
  };
  const ready = async () => {
    for (const d of devices.filter((_, i) => i < processes)) await waitFor(d);
  };
  try {
    await ready();
  } catch {
    // once more from empty caches: a cache another run broke in some other way must not fail this one
    await close();
    for (const cache of caches) rmSync(cache, { recursive: true, force: true });
    children = spawnAll();
    try {
      await ready();
    } catch (err) {
      await close();
      throw err;
    }
  }
  return { devices, close };
}

async function waitFor(d: SimDevice): Promise<void> {
  for (let i = 0; i < 240; i++) {
    try {
      await run('snmpget', ['-v2c', '-c', d.name, '-t', '0.5', '-r', '0', `${d.host}:${d.port}`, '1.3.6.1.2.1.1.2.0']);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`snmpsim did not answer for ${d.name} on ${d.host}:${d.port} within 60 s`);
}
