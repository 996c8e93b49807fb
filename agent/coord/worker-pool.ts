// The workers of one agent: a BullMQ Worker per job type and poller group this node serves.
// Each job takes a per-device lock (second guard behind the queue's de-duplication), runs the
// injected handler with an AbortSignal and a deadline well under the frequency, and reports what
// it did. BullMQ's own lock and stalled check are tuned so a killed agent's jobs are taken over
// within a cycle.
import { EventEmitter, setMaxListeners } from 'node:events';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';
import type { Logger } from '../../lib/log.js';
import type { CoordKeys, JobType } from './keys.js';
import { closeOrDisconnect } from './bounded.js';
import { ownerToken, releaseLock, renewOrRetakeLock } from './lock.js';
import { claimDevice, finishDevice } from './device-claim.js';

/** Does the work of one job. Must stop soon after `signal` aborts. */
export type JobHandler = (type: JobType, deviceId: number, signal: AbortSignal) => Promise<void>;

export type JobOutcome = 'ok' | 'error' | 'timeout' | 'skipped';

export interface JobRecord {
  type: JobType;
  group: number;
  deviceId: number;
  outcome: JobOutcome;
  startedAt: number;
  durationMs: number;
  /** Why it failed ('error', 'timeout') or was skipped ('busy': running elsewhere; 'stale': queued before its last run ended). */
  error?: string;
}

export interface PoolSettings {
  workers: (type: JobType) => number;
  /** Frequency of the job type in seconds. */
  frequency: (type: JobType) => number;
  /** service_poller_down_retry in seconds. */
  downRetry: () => number;
}

export interface WorkerPoolOptions {
  connection: ConnectionOptions;
  /** Command connection for device locks (shared; not closed here). */
  redis: Redis;
  keys: CoordKeys;
  nodeId: string;
  pollerName: string;
  groups: number[];
  types: JobType[];
  settings: PoolSettings;
  handler: JobHandler;
  log: Logger;
  /** Deadline of one job as a fraction of its type's frequency. Default 0.75. */
  deadlineFraction?: number;
  /** How long a handler may run on after its signal aborted before the job is given up. Default 2000 ms. */
  abortGraceMs?: number;
  /**
   * BullMQ lockDuration and per-device lock ttl in ms (both renewed at half of it). Default:
   * frequency / 10, within 2 s..30 s. A killed agent's jobs go back to waiting after about
   * lockDuration + stalledInterval.
   */
  lockDurationMs?: (type: JobType) => number;
  /** BullMQ stalledInterval in ms. Default: the lock duration. */
  stalledIntervalMs?: (type: JobType) => number;
}

export const DEFAULT_WORKER_POOL_OPTIONS = { deadlineFraction: 0.75, abortGraceMs: 2000 };

export function defaultLockDurationMs(frequencySeconds: number): number {
  return Math.min(30_000, Math.max(2_000, Math.round((frequencySeconds * 1000) / 10)));
}

/** How long the done marker of a run is kept: longer than a job can wait in a queue. */
export function doneMarkerMs(frequencySeconds: number): number {
  return Math.max(60_000, 2 * frequencySeconds * 1000);
}

class JobTimeout extends Error {}

/** Events: 'job' (JobRecord), 'error' (Error). */
export class WorkerPool extends EventEmitter {
  private readonly o: WorkerPoolOptions & typeof DEFAULT_WORKER_POOL_OPTIONS;
  private readonly workers: { type: JobType; group: number; worker: Worker }[] = [];
  private readonly shutdown = new AbortController();
  private closed?: Promise<void>;
  /** Jobs running now. */
  active = 0;
  /** When a job last started or finished, per job type (or the pool started): the watchdog's progress marks. */
  private readonly progress = new Map<JobType, number>();

  constructor(options: WorkerPoolOptions) {
    super();
    this.o = { ...DEFAULT_WORKER_POOL_OPTIONS, ...options };
    // Every running job listens on the shutdown signal: hundreds are normal, not a leak.
    setMaxListeners(0, this.shutdown.signal);
    if (!(this.o.deadlineFraction > 0 && this.o.deadlineFraction < 1))
      throw new Error(`WorkerPoolOptions.deadlineFraction must be between 0 and 1 (got ${this.o.deadlineFraction})`);
  }

  private lockMs(type: JobType): number {
    return this.o.lockDurationMs?.(type) ?? defaultLockDurationMs(this.o.settings.frequency(type));
  }

  start(): void {
    for (const type of this.o.types) {
      for (const group of this.o.groups) {
        const lockDuration = this.lockMs(type);
        const worker = new Worker(
          this.o.keys.queueName(type, group),
          (job, _token, signal) => this.process(type, group, job, signal),
          {
            connection: this.o.connection,
            prefix: this.o.keys.bullPrefix,
            name: `${this.o.pollerName}/${this.o.nodeId}`,
            concurrency: Math.max(1, this.o.settings.workers(type)),
            lockDuration,
            stalledInterval: this.o.stalledIntervalMs?.(type) ?? lockDuration,
            // A job stalls once per lost worker; several in a row is a sick job, not a sick worker.
            maxStalledCount: 5,
            drainDelay: 2,
            removeOnComplete: { count: 0 },
            removeOnFail: { count: 0 },
          },
        );
        worker.on('error', (err) => this.emit('error', err));
        // A job whose worker died (lock expired) goes back to waiting: worth a line in the log.
        worker.on('stalled', (jobId) =>
          this.o.log.warn('job_stalled', { queue: this.o.keys.queueName(type, group), job_id: jobId }),
        );
        // 'failed' covers handler errors and timeouts, which process() already reported.
        this.workers.push({ type, group, worker });
      }
      this.progress.set(type, Date.now());
    }
  }

  /** When a job of this type last started or finished. */
  lastProgress(type: JobType): number {
    return this.progress.get(type) ?? Date.now();
  }

  /** A job's deadline in ms, after which it is aborted (and given up abortGraceMs later). */
  deadlineMs(type: JobType): number {
    return this.o.settings.frequency(type) * 1000 * this.o.deadlineFraction;
  }

  /** Applies a changed service_<type>_workers without restarting. */
  applyConcurrency(): void {
    for (const w of this.workers) w.worker.concurrency = Math.max(1, this.o.settings.workers(w.type));
  }

  /** Total configured worker slots of a job type on this node (LibreNMS's `workers`). */
  slots(type: JobType): number {
    return this.workers.filter((w) => w.type === type).reduce((n, w) => n + w.worker.concurrency, 0);
  }

  get servedQueues(): string[] {
    return this.workers.map((w) => this.o.keys.queueName(w.type, w.group));
  }

  private async process(type: JobType, group: number, job: Job, bullSignal?: AbortSignal): Promise<void> {
    const deviceId = Number(job.data?.deviceId);
    const startedAt = Date.now();
    this.progress.set(type, startedAt);
    const record = (outcome: JobOutcome, error?: string) => {
      this.progress.set(type, Date.now());
      this.emit('job', {
        type,
        group,
        deviceId,
        outcome,
        startedAt,
        durationMs: Date.now() - startedAt,
        error,
      } satisfies JobRecord);
    };
    if (!Number.isInteger(deviceId)) {
      record('error', 'job without a device id');
      return;
    }
    const key = this.o.keys.deviceLock(type, deviceId);
    const token = ownerToken(this.o.nodeId);
    const lockMs = this.lockMs(type);
    const claim = await claimDevice(
      this.o.redis,
      this.o.keys,
      type,
      deviceId,
      token,
      lockMs,
      Number(job.data?.readAt) || 0,
    );
    if (claim !== 'claimed') {
      // Running elsewhere, or queued from a read taken before its last run ended: not twice.
      record('skipped', claim);
      return;
    }
    this.active++;
    const ac = new AbortController();
    const abort = (reason: unknown) => {
      if (!ac.signal.aborted) ac.abort(reason);
    };
    const onShutdown = () => abort(new Error('agent shutting down'));
    const onBull = () => abort(new Error('job cancelled'));
    this.shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    bullSignal?.addEventListener('abort', onBull, { once: true });
    const freq = this.o.settings.frequency(type);
    const deadline = setTimeout(
      () => abort(new JobTimeout(`deadline of ${Math.round(freq * this.o.deadlineFraction)} s passed`)),
      freq * 1000 * this.o.deadlineFraction,
    );
    const renew = setInterval(() => {
      renewOrRetakeLock(this.o.redis, key, token, lockMs)
        .then(
          (r) =>
            r !== 'renewed' &&
            this.o.log.warn(r === 'retaken' ? 'device_lock_retaken' : 'device_lock_lost', {
              type,
              device_id: deviceId,
            }),
        )
        .catch(() => {});
    }, lockMs / 2);
    let outcome: JobOutcome = 'error';
    let error: string | undefined;
    let returned = false;
    try {
      await this.runHandler(type, deviceId, ac.signal);
      outcome = 'ok';
      returned = true;
    } catch (err) {
      returned = finishedHandler.has(ac.signal);
      outcome = ac.signal.reason instanceof JobTimeout ? 'timeout' : 'error';
      error = (err as Error)?.message ?? String(err);
      throw err;
    } finally {
      clearTimeout(deadline);
      clearInterval(renew);
      this.shutdown.signal.removeEventListener('abort', onShutdown);
      bullSignal?.removeEventListener('abort', onBull);
      this.active--;
      // A failed run leaves no done marker, so the device is queued again while still due; a
      // handler still running past its grace keeps the lock until it expires on its own.
      if (outcome === 'ok')
        await finishDevice(this.o.redis, this.o.keys, type, deviceId, token, doneMarkerMs(freq)).catch(() => {});
      else if (returned) await releaseLock(this.o.redis, key, token).catch(() => {});
      // Reported once the device is released, so listeners see the finished state.
      record(outcome, error);
    }
  }

  /** Runs the handler; after an abort it gets abortGraceMs to return before the job is given up. */
  private runHandler(type: JobType, deviceId: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let grace: NodeJS.Timeout | undefined;
      const onAbort = () => {
        grace = setTimeout(
          () => reject(new JobTimeout(`handler did not stop within ${this.o.abortGraceMs} ms of abort`)),
          this.o.abortGraceMs,
        );
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.o.handler(type, deviceId, signal).then(
        () => {
          finishedHandler.add(signal);
          clearTimeout(grace);
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        (err) => {
          finishedHandler.add(signal);
          clearTimeout(grace);
          signal.removeEventListener('abort', onAbort);
          reject(signal.aborted && signal.reason instanceof JobTimeout ? signal.reason : err);
        },
      );
    });
  }

  /**
   * Stops taking jobs and waits for running ones up to `deadlineMs`; then aborts them, and
   * after their grace closes without waiting (BullMQ's close() alone would wait forever).
   */
  close(deadlineMs = 10_000): Promise<void> {
    this.closed ??= (async () => {
      const graceful = Promise.allSettled(this.workers.map((w) => w.worker.close()));
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((r) => (timer = setTimeout(() => r('expired'), deadlineMs)));
      if ((await Promise.race([graceful, expired])) === 'expired') {
        this.o.log.warn('drain_deadline', { active: this.active });
        this.shutdown.abort();
        for (const w of this.workers) w.worker.cancelAllJobs('agent shutting down');
        const forced = new Promise((r) => setTimeout(r, this.o.abortGraceMs + 200));
        await Promise.race([graceful, forced]);
        await closeOrDisconnect(
          this.workers.map((w) => ({ close: () => w.worker.close(true), disconnect: () => w.worker.disconnect() })),
        );
      }
      clearTimeout(timer);
    })();
    return this.closed;
  }
}

/** Signals whose handler has returned (so a late abort does not count as a runaway handler). */
const finishedHandler = new WeakSet<AbortSignal>();
