// A private rrdcached for a benchmark: its own loopback port and base directory, started in
// the foreground so that it is ours to stop by pid, and removed with its files afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { RrdcachedClient } from '../../lib/rrdcached.js';
import { cpuSeconds, sleep } from './proc.js';

export interface BenchRrdcachedOptions {
  /** TCP port on 127.0.0.1. Default 42301. */
  port?: number;
  /** Write threads (-t). Default 4, as the deploy template's default. */
  writeThreads?: number;
  /** Journal (-j) on, as deployed. Default true. */
  journal?: boolean;
}

/**
 * -w and -z as the deploy template sets them (templates/rrdcached/rrdcached.hbs): with the journal,
 * a file is written back 1800 to 3600 s after its first value in the cache; without it, after
 * 300 to 360 s.
 */
export function writeTimers(journal: boolean): { timeout: number; jitter: number } {
  return journal ? { timeout: 1800, jitter: 1800 } : { timeout: 300, jitter: 60 };
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
    const timers = writeTimers(this.o.journal ?? true);
    const args = [
      '-g',
      '-b',
      this.baseDir,
      '-B',
      '-F',
      '-R',
      '-w',
      String(timers.timeout),
      '-z',
      String(timers.jitter),
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

  /**
   * Has rrdcached write every value it holds (FLUSHALL) and waits until its queue is empty (at
   * 30,000 devices some 1.5 million files: it may take minutes), so that a measured window holds
   * the write-back of its own values only, whenever the timer would have done it.
   */
  async drain(): Promise<void> {
    const client = new RrdcachedClient({ address: this.address });
    try {
      await client.flushAll();
      const until = Date.now() + 900_000;
      while (((await client.stats()).QueueLength ?? 0) > 0) {
        if (Date.now() > until) throw new Error(`rrdcached on ${this.address} did not write its queue in 900 s`);
        await sleep(100);
      }
    } finally {
      await client.close();
    }
  }

  /**
   * Starts a measured window: what the daemon holds is written back first, and the function
   * returned writes back what came in the window and gives the daemon's CPU seconds since, so
   * that the window holds its own values' write-back, whenever the timer would have done it.
   */
  async window(): Promise<() => Promise<number>> {
    await this.drain();
    const cpu0 = cpuSeconds(this.pid);
    return async () => {
      await this.drain();
      return cpuSeconds(this.pid) - cpu0;
    };
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
