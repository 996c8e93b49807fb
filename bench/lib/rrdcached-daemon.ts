// A private rrdcached for a benchmark: its own loopback port and base directory, started in
// the foreground so that it is ours to stop by pid, and removed with its files afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { sleep } from './proc.js';

export interface BenchRrdcachedOptions {
  /** TCP port on 127.0.0.1. Default 42301. */
  port?: number;
  /** Write threads (-t). Default 4, as the deploy template's default. */
  writeThreads?: number;
  /** Journal (-j) on, as deployed. Default true. */
  journal?: boolean;
}

export class BenchRrdcached {
  readonly dir: string;
  readonly baseDir: string;
  readonly port: number;
  private child?: ChildProcess;

  constructor(private readonly o: BenchRrdcachedOptions = {}) {
    this.port = o.port ?? 42301;
    this.dir = mkdtempSync(join(tmpdir(), 'nms-bench-rrd-'));
    this.baseDir = join(this.dir, 'rrd');
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number {
    if (!this.child?.pid) throw new Error('rrdcached not started');
    return this.child.pid;
  }

  async start(): Promise<void> {
    const args = [
      '-g',
      '-b',
      this.baseDir,
      '-B',
      '-F',
      '-R',
      '-w',
      '300',
      '-z',
      '60',
      '-t',
      String(this.o.writeThreads ?? 4),
      '-p',
      join(this.dir, 'pid'),
    ];
    if (this.o.journal ?? true) args.push('-j', join(this.dir, 'journal'));
    args.push('-l', this.address);
    mkdirSync(this.baseDir);
    if (this.o.journal ?? true) mkdirSync(join(this.dir, 'journal'));
    this.child = spawn('rrdcached', args, { stdio: ['ignore', 'ignore', 'ignore'] });
    for (let i = 0; i < 100; i++) {
      if (await canConnect(this.port)) return;
      if (this.child.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`rrdcached did not listen on ${this.address} (port taken?)`);
  }

  async close(): Promise<void> {
    const c = this.child;
    if (c && c.exitCode === null) {
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([gone, sleep(10000)]);
      if (c.exitCode === null) c.kill('SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}
