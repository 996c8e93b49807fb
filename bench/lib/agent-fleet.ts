// The processes of the agent bench: real `nms-agent run` daemons (the bundle in dist/, started
// with the unit's Node flags and environment), each with its own .env and config.yaml, and a
// private Redis and memcached so that their CPU is the bench's own. Stopped by their pids.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { agentNodeStart } from './fleet.js';
import { ROOT } from './report.js';
import { peakRssMiB, resetPeakRss, sleep } from './proc.js';

/** A daemon we started, stopped by its pid (SIGTERM, then SIGKILL after `graceMs`). */
export class Daemon {
  protected child?: ChildProcess;
  stderrTail = '';
  get pid(): number {
    if (!this.child?.pid) throw new Error('not started');
    return this.child.pid;
  }
  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }
  protected launch(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
    const c = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    c.stderr!.on('data', (d) => (this.stderrTail = (this.stderrTail + d).slice(-4000)));
    c.stdout!.resume();
    this.child = c;
    return c;
  }
  async stop(graceMs = 20_000): Promise<void> {
    const c = this.child;
    if (!c || !this.running) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }
}

/**
 * The simulator with every device on a loopback address of its own (127.77.0.0/16 by
 * lib/device-addresses.ts), all on one port: no port range to collide with other benches or with
 * the ephemeral ports of the agents' own sockets, however many devices. Serves devices
 * firstDevice..firstDevice+devices-1 (a share of a larger fleet: see SimulatorSet).
 */
export class OwnAddressSimulator extends Daemon {
  constructor(
    readonly devices: number,
    readonly base = '127.77.0.0',
    readonly port = 1161,
    readonly firstDevice = 0,
  ) {
    super();
  }
  async start(): Promise<void> {
    // no SSH CLI: the benches poll SNMP only (and two benches side by side would share port 22)
    const args = ['serve', '--address', this.base, '--own-addresses', '--first-port', String(this.port), '--no-ssh'];
    if (this.firstDevice > 0) args.push('--first-device', String(this.firstDevice));
    this.launch(process.execPath, [join(ROOT, 'dist/nms-simulator.mjs'), ...args, '--devices', String(this.devices)]);
    await waitForLine(this.child!, /^ready:/m, 'simulator', 120_000);
  }
}

/**
 * Devices a simulator process serves at most: one socket each, and this machine's open-files hard
 * limit is 20,000 a process (root may not raise it here), so a larger fleet is split.
 */
export const DEVICES_PER_SIMULATOR = 15_000;

/** The fleet's devices served by as many own-address simulators as the open-files limit needs. */
export class SimulatorSet {
  readonly parts: OwnAddressSimulator[] = [];
  constructor(
    readonly devices: number,
    readonly base = '127.77.0.0',
    readonly port = 1161,
    perProcess = DEVICES_PER_SIMULATOR,
  ) {
    for (let first = 0; first < devices; first += perProcess)
      this.parts.push(new OwnAddressSimulator(Math.min(perProcess, devices - first), base, port, first));
  }
  get pids(): number[] {
    return this.parts.map((p) => p.pid);
  }
  async start(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.start()));
  }
  async stop(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.stop().catch(() => {})));
  }
}

/** redis-server in the foreground on a loopback port, no persistence. */
export class BenchRedis extends Daemon {
  constructor(readonly port: number) {
    super();
  }
  async start(): Promise<void> {
    this.launch('redis-server', [
      '--bind',
      '127.0.0.1',
      '--port',
      String(this.port),
      '--save',
      '',
      '--appendonly',
      'no',
    ]);
    await waitForLine(this.child!, /Ready to accept connections/, 'redis-server');
  }
  /** Commands this server has run so far (INFO commandstats, summed). */
  commandCalls(): number {
    const out = execFileSync('redis-cli', ['-p', String(this.port), 'info', 'commandstats'], { encoding: 'utf8' });
    return [...out.matchAll(/calls=(\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
  }
}

/** memcached in the foreground on a loopback port. */
export class BenchMemcached extends Daemon {
  constructor(readonly port: number) {
    super();
  }
  async start(): Promise<void> {
    this.launch('memcached', ['-u', 'nobody', '-l', '127.0.0.1', '-p', String(this.port), '-m', '256']);
    await sleep(300);
    if (!this.running) throw new Error(`memcached did not start: ${this.stderrTail.trim()}`);
  }
}

export interface AgentSpec {
  name: string;
  dir: string;
  db: { port: number; database: string; user: string; password: string };
  redisPort: number;
  memcachedPort: number;
  rrdcached: string;
  appKey: string;
  frequency: number;
  workers: number;
  keyPrefix: string;
  /** RRAs the agent creates files with (NMS_RRD_RRAS): one small RRA, for the disk's sake. */
  rras: string;
}

/** One `nms-agent run`, as the unit starts it. Its JSON log lines are kept for the report. */
export class BenchAgent extends Daemon {
  readonly events: { event: string; [k: string]: unknown }[] = [];
  constructor(readonly spec: AgentSpec) {
    super();
  }

  private writeConfig(): string {
    const s = this.spec;
    mkdirSync(join(s.dir, 'rrd'), { recursive: true });
    mkdirSync(join(s.dir, 'spool'), { recursive: true });
    const env = join(s.dir, '.env');
    const lines = [
      `DB_HOST=127.0.0.1`,
      `DB_PORT=${s.db.port}`,
      `DB_DATABASE=${s.db.database}`,
      `DB_USERNAME=${s.db.user}`,
      `DB_PASSWORD=${s.db.password}`,
      `REDIS_HOST=127.0.0.1`,
      `REDIS_PORT=${s.redisPort}`,
      'REDIS_PASSWORD=',
      'REDIS_DB=0',
      `APP_KEY=${s.appKey}`,
      `NODE_ID=bench-${s.name}`,
      'NMS_USER=nms',
    ];
    writeFileSync(env, lines.join('\n') + '\n', { mode: 0o600 });
    const config = [
      `distributed_poller_name: ${s.name}`,
      'distributed_poller_group: [0]',
      'cluster_address: 127.0.0.1',
      'distributed_poller_memcached_host: 127.0.0.1',
      `distributed_poller_memcached_port: ${s.memcachedPort}`,
      `rrdcached: ${s.rrdcached}`,
      `rrd_dir: ${join(s.dir, 'rrd')}`,
      `spool_dir: ${join(s.dir, 'spool')}`,
      `service_poller_frequency: ${s.frequency}`,
      `service_poller_workers: ${s.workers}`,
      'service_loglevel: INFO',
      'service_watchdog_enabled: false',
      'metrics_port: 0',
    ];
    writeFileSync(join(s.dir, 'config.yaml'), config.join('\n') + '\n');
    return env;
  }

  async start(): Promise<void> {
    const envFile = this.writeConfig();
    const unit = agentNodeStart();
    const env = { ...process.env, ...unit.env, NMS_KEY_PREFIX: this.spec.keyPrefix, NMS_RRD_RRAS: this.spec.rras };
    // NMS_BENCH_AGENT_NODE_FLAGS: extra flags to look inside (e.g. --cpu-prof); not for figures
    const extra = (process.env.NMS_BENCH_AGENT_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
    const c = this.launch(
      process.execPath,
      [...unit.flags, ...extra, join(ROOT, 'dist/nms-agent.mjs'), '--env', envFile, 'run'],
      env,
    );
    // NMS_BENCH_AGENT_STDOUT: a file the agents' standard output is appended to (e.g. --trace-gc's lines)
    const out = process.env.NMS_BENCH_AGENT_STDOUT;
    if (out) c.stdout!.pipe(createWriteStream(`${out}.${this.spec.name}`, { flags: 'a' }));
    createInterface({ input: c.stderr! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      try {
        const rec = JSON.parse(line) as { event: string };
        if (rec.event !== 'job_done' && rec.event !== 'poll_done') this.events.push(rec);
      } catch {
        /* not a log record */
      }
    });
    await waitForLine(c, /"event":"started"/, `nms-agent ${this.spec.name}`, 60_000);
  }
}

function waitForLine(c: ChildProcess, re: RegExp, what: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`${what}: not ready in ${timeoutMs} ms: ${seen.slice(-500)}`)),
      timeoutMs,
    );
    const look = (d: Buffer) => {
      seen = (seen + d).slice(-4000);
      if (re.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    c.stdout!.on('data', look);
    c.stderr!.on('data', look);
    c.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited ${code}: ${seen.slice(-800)}`));
    });
  });
}

/**
 * Each agent's peak RSS so far (MiB), then reset: the first round, when every device is due at
 * once, apart. NaN for an agent whose peak could not be reset (its later peak is then the run's).
 */
export function firstRoundPeaks(agents: BenchAgent[]): number[] {
  return agents.map((a) => {
    const peak = peakRssMiB(a.pid);
    return resetPeakRss(a.pid) ? peak : NaN;
  });
}

/** The agents' logged errors and failures, a line each. */
export function agentErrors(agents: BenchAgent[]): string[] {
  return agents.flatMap((a) =>
    a.events
      .filter((e) => /error|fail/i.test(e.event))
      .map((e) => `${a.spec.name}: ${JSON.stringify(e).slice(0, 200)}`),
  );
}
