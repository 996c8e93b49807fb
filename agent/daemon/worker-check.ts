// The watchdog's view of the workers: are they stuck? Probed every 15 s from the queue counts;
// while Redis is down nothing is concluded (an outage is not a reason to restart).
import type { JobType } from '../coord/keys.js';
import type { QueueStats } from '../coord/queue-stats.js';
import type { WorkerPool } from '../coord/worker-pool.js';

export const WORKER_CHECK_MS = 15_000;

/**
 * Workers are stuck when a queue they serve has jobs waiting and no job of that type started
 * or finished for longer than a job may take (its deadline) plus a minute: every job ends by
 * then, so a free slot should have taken one. Undefined when fine.
 */
export function stuckWorkers(
  types: JobType[],
  counts: Record<string, { waiting: number }>,
  lastProgress: (t: JobType) => number,
  deadlineMs: (t: JobType) => number,
  now: number,
): string | undefined {
  for (const type of types) {
    const waiting = Object.entries(counts)
      .filter(([q]) => q.startsWith(`${type}-`))
      .reduce((n, [, c]) => n + c.waiting, 0);
    const idle = now - lastProgress(type);
    if (waiting > 0 && idle > deadlineMs(type) + 60_000)
      return `${waiting} ${type} job(s) waiting and none taken for ${Math.round(idle / 1000)} s`;
  }
  return undefined;
}

/** Probes one pool's queues every WORKER_CHECK_MS; `stuck` is the last finding. */
export class WorkerCheck {
  private timer?: NodeJS.Timeout;
  /** Why the watchdog should restart us, or undefined. */
  stuck?: string;

  constructor(
    private readonly pool: WorkerPool,
    private readonly stats: QueueStats,
    private readonly types: JobType[],
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.probe(), WORKER_CHECK_MS);
  }

  async probe(): Promise<void> {
    let counts: Record<string, { waiting: number }>;
    try {
      counts = await this.stats.counts(this.pool.servedQueues);
    } catch {
      return;
    }
    const pool = this.pool;
    this.stuck = stuckWorkers(
      this.types,
      counts,
      (t) => pool.lastProgress(t),
      (t) => pool.deadlineMs(t),
      Date.now(),
    );
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stuck = undefined;
  }
}
