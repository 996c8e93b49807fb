// The watchdog. Under systemd (NOTIFY_SOCKET set) it sends READY/WATCHDOG/STOPPING through
// `systemd-notify` (Node has no unix datagram sockets) while the self-check passes, and systemd
// restarts the unit when the pings stop (the unit needs NotifyAccess=all). Without systemd the
// self-check ends the process with a non-zero code when the agent is stuck, for the init script's
// supervisor to restart it. A thread outside the event loop catches a loop that never yields,
// which no timer inside the loop can see.
import { execFile } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../lib/log.js';

export interface WatchdogOptions {
  log: Logger;
  /** Returns why the agent is stuck, or undefined when it is healthy. */
  check: () => string | undefined;
  /** Self-check period in ms. Default: half of systemd's WATCHDOG_USEC, else 5000. */
  intervalMs?: number;
  /** Event loop blocked this long ends the process. Default 60000. */
  loopStuckMs?: number;
  /** Exit code when stuck. Default 70 (EX_SOFTWARE). */
  exitCode?: number;
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_WATCHDOG_OPTIONS = { loopStuckMs: 60_000, exitCode: 70 };

// Runs in a worker thread: reads the main loop's last beat from shared memory. An ES module in a
// data: URL, so it loads the same under the bundle, tsx and `--input-type=module`.
const THREAD_SRC = `
import { workerData } from 'node:worker_threads';
import { writeSync } from 'node:fs';
const beat = new Float64Array(workerData.buf);
setInterval(() => {
  const age = Date.now() - beat[0];
  if (age > workerData.stuckMs) {
    const line = { t: new Date().toISOString(), level: 'ERROR', c: 'agent.watchdog' };
    Object.assign(line, { event: 'event_loop_stuck', ms: age });
    writeSync(2, JSON.stringify(line) + '\\n');
    process.kill(workerData.pid, 'SIGKILL');
  }
}, Math.min(1000, workerData.stuckMs / 4)); // not unref'd: it is what keeps this thread alive
`;

export class Watchdog {
  private readonly o: WatchdogOptions & typeof DEFAULT_WATCHDOG_OPTIONS;
  private timer?: NodeJS.Timeout;
  private beatTimer?: NodeJS.Timeout;
  private thread?: Worker;
  private beat?: Float64Array;
  private readonly notifySocket?: string;
  private notifyBroken = false;

  constructor(options: WatchdogOptions) {
    this.o = { ...DEFAULT_WATCHDOG_OPTIONS, ...options };
    const env = options.env ?? process.env;
    this.notifySocket = env.NOTIFY_SOCKET || undefined;
    const usec = Number(env.WATCHDOG_USEC);
    this.o.intervalMs ??= Number.isFinite(usec) && usec > 0 ? Math.max(500, usec / 2000) : 5000;
  }

  get usesSystemd(): boolean {
    return this.notifySocket !== undefined;
  }

  start(): void {
    const buf = new SharedArrayBuffer(8);
    this.beat = new Float64Array(buf);
    this.beat[0] = Date.now();
    this.thread = new Worker(new URL(`data:text/javascript,${encodeURIComponent(THREAD_SRC)}`), {
      workerData: { buf, stuckMs: this.o.loopStuckMs, pid: process.pid },
    });
    this.thread.unref();
    this.thread.on('error', (err) => this.o.log.warn('watchdog_thread_error', { err }));
    this.beatTimer = setInterval(() => {
      if (this.beat) this.beat[0] = Date.now();
    }, 1000);
    this.beatTimer.unref();
    this.notify('READY=1');
    this.timer = setInterval(() => this.round(), this.o.intervalMs);
    this.timer.unref();
  }

  private round(): void {
    const stuck = this.o.check();
    if (!stuck) {
      this.notify('WATCHDOG=1');
      return;
    }
    this.o.log.error('agent_stuck', { reason: stuck, exit_code: this.o.exitCode });
    // Under systemd, stop pinging and let it restart us; exiting too makes the restart prompt.
    process.exit(this.o.exitCode);
  }

  /** Sends one sd_notify message when running under systemd; a missing binary is logged once. */
  notify(message: string): void {
    if (!this.notifySocket || this.notifyBroken) return;
    execFile('systemd-notify', [`--pid=${process.pid}`, message], { timeout: 5000 }, (err) => {
      if (err && !this.notifyBroken) {
        this.notifyBroken = (err as NodeJS.ErrnoException).code === 'ENOENT';
        this.o.log.warn('systemd_notify_failed', { message, err });
      }
    });
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.beatTimer) clearInterval(this.beatTimer);
    this.timer = this.beatTimer = undefined;
    this.notify('STOPPING=1');
    await this.thread?.terminate();
    this.thread = undefined;
  }
}
