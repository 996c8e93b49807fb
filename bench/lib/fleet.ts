// The processes a poll bench runs beside the thing it measures: the simulated fleet
// (dist/nms-simulator.mjs) and the nms poll worker (bench/lib/poll-worker.ts). Both are
// spawned here and stopped by their pids.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { build } from 'esbuild';
import { compileDefinitions, readDefinitionTexts } from '../../agent/definitions/loader.js';
import { ROOT } from './report.js';
import type { CycleResult, WorkerSetup } from './poll-worker.js';

export class SimulatorProcess {
  private child?: ChildProcess;
  constructor(
    readonly devices: number,
    readonly firstPort: number,
  ) {}

  get pid(): number {
    return this.child!.pid!;
  }

  async start(): Promise<void> {
    const c = spawn(
      process.execPath,
      [
        join(ROOT, 'dist/nms-simulator.mjs'),
        'serve',
        '--address',
        '127.0.0.1',
        '--devices',
        String(this.devices),
        '--first-port',
        String(this.firstPort),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = c;
    let err = '';
    c.stderr!.on('data', (d) => (err = (err + d).slice(-2000)));
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: c.stdout! }).on('line', (l) => l.startsWith('ready:') && resolve());
      c.once('exit', (code) => reject(new Error(`simulator exited ${code}: ${err.trim()}`)));
    });
  }

  async close(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await gone;
  }
}

let bundled: Promise<string> | undefined;

/** The worker bundled like dist/nms-agent.mjs (no tsx loader in the measured process). */
function bundleWorker(): Promise<string> {
  bundled ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nms-bench-build-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const outfile = join(dir, 'poll-worker.mjs');
    await build({
      entryPoints: [join(ROOT, 'bench/lib/poll-worker.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      logLevel: 'warning',
      external: ['cpu-features', '*.node'],
      // the OS definitions inside the bundle, checked, as scripts/build.mjs puts them in the agent's
      define: { __NMS_DEFINITIONS__: JSON.stringify(compileDefinitions(readDefinitionTexts())) },
      banner: {
        js: [
          "import { createRequire as __cr } from 'node:module';",
          "import { fileURLToPath as __fu } from 'node:url';",
          'const require = __cr(import.meta.url);',
          'const __filename = __fu(import.meta.url);',
          "const __dirname = __fu(new URL('.', import.meta.url));",
        ].join(' '),
      },
    });
    return outfile;
  })();
  return bundled;
}

/**
 * How the deployed agent starts Node: the flags between `{{agent.node}}` and `{{agent.bundle}}`
 * on ExecStart, and the Environment= lines (NMS_ENV aside), read from the systemd unit template
 * so that the measured worker runs under exactly what a poller host runs.
 */
export function agentNodeStart(template = join(ROOT, 'templates/nms/nms-agent.service.hbs')): {
  flags: string[];
  env: Record<string, string>;
} {
  const text = readFileSync(template, 'utf8');
  const exec = /^ExecStart=\{\{agent\.node\}\}(.*?)\{\{agent\.bundle\}\}/m.exec(text);
  if (!exec) throw new Error(`${template}: no ExecStart={{agent.node}} ... {{agent.bundle}} line`);
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^Environment=(\w+)=(\S*)$/gm)) if (m[1] !== 'NMS_ENV') env[m[1]] = m[2];
  return { flags: exec[1].trim().split(/\s+/).filter(Boolean), env };
}

export class PollWorker {
  private child?: ChildProcess;
  private waiting?: { resolve: (m: unknown) => void; reject: (e: Error) => void };

  get pid(): number {
    return this.child!.pid!;
  }

  async start(): Promise<void> {
    // profiles are read by file: the unbundled sources (through tsx) keep each package's name
    const profiling = Boolean(process.env.NMS_BENCH_CPU_PROF);
    const entry = profiling ? join(ROOT, 'bench/lib/poll-worker.ts') : await bundleWorker();
    // NMS_BENCH_AGENT_START=plain: a bare `node` as before the unit had flags (to measure what they buy)
    const agent = process.env.NMS_BENCH_AGENT_START === 'plain' ? { flags: [], env: {} } : agentNodeStart();
    // NMS_BENCH_WORKER_NODE_FLAGS: extra flags to look inside (e.g. --trace-gc) or to try; not for figures
    const extra = (process.env.NMS_BENCH_WORKER_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
    const c = fork(entry, [], {
      execArgv: [...agent.flags, ...extra, ...(profiling ? ['--import', 'tsx'] : [])],
      env: { ...process.env, ...agent.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = c;
    c.on('message', (m: { type: string; message?: string }) => {
      const w = this.waiting;
      this.waiting = undefined;
      if (m.type === 'error') w?.reject(new Error(`poll worker: ${m.message}`));
      else w?.resolve(m);
    });
    c.once('exit', (code) => this.waiting?.reject(new Error(`poll worker exited ${code}`)));
    await this.next();
  }

  private next<T>(): Promise<T> {
    return new Promise<T>((resolve, reject) => (this.waiting = { resolve: resolve as (m: unknown) => void, reject }));
  }

  async setup(s: Omit<WorkerSetup, 'type'>): Promise<CycleResult> {
    const p = this.next<{ discovery: CycleResult }>();
    this.child!.send({ type: 'setup', ...s });
    return (await p).discovery;
  }

  /** Polls every device once: all at once, or one started every 1/rate s. */
  async cycle(rate = 0): Promise<CycleResult> {
    const p = this.next<CycleResult>();
    this.child!.send({ type: 'cycle', rate });
    return p;
  }

  async close(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.send({ type: 'close' });
    const t = setTimeout(() => c.kill('SIGKILL'), 20000);
    await gone;
    clearTimeout(t);
  }
}
