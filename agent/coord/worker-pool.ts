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
import type { ServiceSettings } from '../../lib/node-config.js';
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
  /**
   * Why it failed ('error', 'timeout') or was skipped ('busy': running elsewhere; 'stale': queued
   * before its last run ended).
   */
  error?: string;
}

/** What the pool needs of a job type's settings: lib/node-config's serviceOf gives it. */
export type JobService = Pick<ServiceSettings, 'workers' | 'frequency' | 'deadlineMs'>;

export interface WorkerPoolOptions {
  connection: ConnectionOptions;
  /** Command connection for device locks (shared; not closed here). */
  redis: Redis;
  keys: CoordKeys;
  nodeId: string;
  pollerName: string;
  groups: number[];
  types: JobType[];
  /** Workers, frequency (s) and deadline (ms) of a job type, read again at each use (a reload changes them). */
  service: (type: JobType) => JobService;
  handler: JobHandler;
  log: Logger;
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

export const DEFAULT_WORKER_POOL_OPTIONS = { abortGraceMs: 2000 };

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
  }

  private lockMs(type: JobType): number {
    return this.o.lockDurationMs?.(type) ?? defaultLockDurationMs(this.o.service(type).frequency);
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
            concurrency: Math.max(1, this.o.service(type).workers),
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
    return this.o.service(type).deadlineMs;
  }

  /** Applies a changed service_<type>_workers without restarting. */
  applyConcurrency(): void {
    for (const w of this.workers) w.worker.concurrency = Math.max(1, this.o.service(w.type).workers);
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
    const record = (outcome: JobOutcome, error?: string) =>
      this.record(type, group, deviceId, startedAt, outcome, error);
    if (!Number.isInteger(deviceId)) return record('error', 'job without a device id');
    const token = ownerToken(this.o.nodeId);
    const lockMs = this.lockMs(type);
    const readAt = Number(job.data?.readAt) || 0;
    const claim = await claimDevice(this.o.redis, this.o.keys, type, deviceId, token, lockMs, readAt);
    // Running elsewhere, or queued from a read taken before its last run ended: not twice.
    if (claim !== 'claimed') return record('skipped', claim);
    this.active++;
    const watch = this.watch(type, deviceId, token, lockMs, bullSignal);
    let outcome: JobOutcome = 'error';
    let error: string | undefined;
    let returned = false;
    try {
      await this.runHandler(type, deviceId, watch.signal);
      outcome = 'ok';
      returned = true;
    } catch (err) {
      returned = finishedHandler.has(watch.signal);
      outcome = watch.signal.reason instanceof JobTimeout ? 'timeout' : 'error';
      error = (err as Error)?.message ?? String(err);
      throw err;
    } finally {
      watch.dispose();
      this.active--;
      // A failed run leaves no done marker, so the device is queued again while still due; a
      // handler still running past its grace keeps the lock until it expires on its own.
      const freq = this.o.service(type).frequency;
      if (outcome === 'ok')
        await finishDevice(this.o.redis, this.o.keys, type, deviceId, token, doneMarkerMs(freq)).catch(() => {});
      else if (returned) await releaseLock(this.o.redis, this.o.keys.deviceLock(type, deviceId), token).catch(() => {});
      // Reported once the device is released, so listeners see the finished state.
      record(outcome, error);
    }
  }

  /** Emits a job's record and marks progress for the watchdog. */
  private record(
    type: JobType,
    group: number,
    deviceId: number,
    startedAt: number,
    outcome: JobOutcome,
    error?: string,
  ): void {
    this.progress.set(type, Date.now());
    const durationMs = Date.now() - startedAt;
    this.emit('job', { type, group, deviceId, outcome, startedAt, durationMs, error } satisfies JobRecord);
  }

  /**
   * What a claimed job runs under: one signal that aborts on shutdown, on BullMQ's cancel or at
   * the deadline, and the renewal of the device lock. dispose() ends all of it.
   */
  private watch(
    type: JobType,
    deviceId: number,
    token: string,
    lockMs: number,
    bullSignal?: AbortSignal,
  ): { signal: AbortSignal; dispose(): void } {
    const ac = new AbortController();
    const abort = (reason: unknown) => {
      if (!ac.signal.aborted) ac.abort(reason);
    };
    const onShutdown = () => abort(new Error('agent shutting down'));
    const onBull = () => abort(new Error('job cancelled'));
    this.shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    bullSignal?.addEventListener('abort', onBull, { once: true });
    const deadlineMs = this.o.service(type).deadlineMs;
    const deadline = setTimeout(
      () => abort(new JobTimeout(`deadline of ${Math.round(deadlineMs / 1000)} s passed`)),
      deadlineMs,
    );
    const key = this.o.keys.deviceLock(type, deviceId);
    const renew = setInterval(() => {
      renewOrRetakeLock(this.o.redis, key, token, lockMs)
        .then((r) => {
          if (r === 'renewed') return;
          const event = r === 'retaken' ? 'device_lock_retaken' : 'device_lock_lost';
          this.o.log.warn(event, { type, device_id: deviceId });
        })
        .catch(() => {});
    }, lockMs / 2);
    const dispose = () => {
      clearTimeout(deadline);
      clearInterval(renew);
      this.shutdown.signal.removeEventListener('abort', onShutdown);
      bullSignal?.removeEventListener('abort', onBull);
    };
    return { signal: ac.signal, dispose };
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
