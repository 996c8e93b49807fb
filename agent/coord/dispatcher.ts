// The dispatcher: one agent of the cluster, elected through a Redis lock, turns due devices
// (MariaDB, LibreNMS's rule) into BullMQ jobs, one per device, in the queue of the device's job
// type and poller group. The job id is the device id, so a device already waiting or running is
// not queued again. The tick is the only scheduler: no BullMQ job schedulers per device.
import { EventEmitter } from 'node:events';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { Logger } from '../../lib/log.js';
import type { CoordKeys, JobType } from './keys.js';
import { closeOrDisconnect, within } from './bounded.js';
import { acquireLock, ownerToken, releaseLock, renewLock } from './lock.js';
import { findDueDevices, type DueDevice } from './due.js';
import { redisNow } from './device-claim.js';

/** The settings the dispatcher reads on every tick (so SIGHUP changes apply at once). */
export interface DispatchSettings {
  pollerFrequency: number;
  discoveryFrequency: number;
  downRetry: number;
  /** service_master_timeout in seconds: the dispatcher lock's ttl. */
  masterTimeout: number;
  /** service_ping_frequency in seconds: a ping round per poller group this often (0: none). */
  pingFrequency?: number;
  /** service_services_frequency in seconds: a round of service checks per poller group (0: none). */
  servicesFrequency?: number;
}

export interface DispatcherOptions {
  /** Command connection for the lock (shared; not closed by the dispatcher). */
  redis: Redis;
  /** Options BullMQ uses to open its own queue connections. */
  connection: ConnectionOptions;
  db: Pool;
  keys: CoordKeys;
  nodeId: string;
  pollerName: string;
  settings: () => DispatchSettings;
  log: Logger;
  /** Time between ticks in ms. Default 1000. */
  tickMs?: number;
  /**
   * A device queued less than this long ago is not offered again (saves a de-duplicated add
   * per waiting device per tick). Default: half the poller frequency or down retry, at most
   * 30 s. After Redis loses its data the devices are queued again once this has passed.
   */
  redispatchMs?: number;
}

export const DEFAULT_DISPATCHER_OPTIONS = { tickMs: 1000 };

/** Jobs added in one BullMQ addBulk. */
const ADD_SLICE = 500;

export interface TickResult {
  master: boolean;
  due: number;
  queued: number;
}

/** Events: 'elected', 'lost', 'tick' (TickResult), 'error' (Error). */
export class Dispatcher extends EventEmitter {
  readonly token: string;
  private readonly o: DispatcherOptions & { tickMs: number };
  private readonly queues = new Map<string, Queue>();
  /** Per queue: device id -> when it was last offered (or found still queued). */
  private readonly recent = new Map<string, Map<number, number>>();
  /** When each group job type was last offered (ping and services rounds). */
  private readonly groupRounds = new Map<JobType, number>();
  private timer?: NodeJS.Timeout;
  private master = false;
  private closing = false;
  private running?: Promise<void>;
  /** Jobs added since start (for metrics). */
  dispatched = 0;

  constructor(options: DispatcherOptions) {
    super();
    this.o = { ...DEFAULT_DISPATCHER_OPTIONS, ...options };
    if (!(this.o.tickMs >= 50)) throw new Error(`DispatcherOptions.tickMs must be at least 50 (got ${this.o.tickMs})`);
    this.token = ownerToken(`${options.pollerName}-${options.nodeId}`);
  }

  get isMaster(): boolean {
    return this.master;
  }

  start(): void {
    this.closing = false;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .then((r) => void this.emit('tick', r))
        .catch((err) => void this.emit('error', err))
        .finally(() => {
          this.running = undefined;
          if (!this.closing) this.schedule(this.o.tickMs);
        });
    }, ms);
  }

  /** One election round and, when master, one dispatch round. Public for tests. */
  async tick(): Promise<TickResult> {
    const s = this.o.settings();
    const ttl = s.masterTimeout * 1000;
    const key = this.o.keys.dispatcherLock;
    const was = this.master;
    try {
      this.master = was
        ? await renewLock(this.o.redis, key, this.token, ttl)
        : await acquireLock(this.o.redis, key, this.token, ttl);
    } catch (err) {
      // Without Redis nobody can dispatch; stop believing we are master until a renewal works.
      this.master = false;
      if (was) this.emit('lost');
      throw err;
    }
    if (this.master && !was) {
      // `recent` is kept: after Redis lost its data, running jobs get a window to take their
      // device locks again before their devices are queued anew.
      this.emit('elected');
    } else if (!this.master && was) this.emit('lost');
    if (!this.master) return { master: false, due: 0, queued: 0 };
    // Stamp the read on Redis's clock before it happens: a worker skips the job if the device's
    // last run ended after this (the read may have missed that run's update).
    const readAt = await redisNow(this.o.redis);
    const due = await findDueDevices(this.o.db, {
      pollerFrequency: s.pollerFrequency,
      discoveryFrequency: s.discoveryFrequency,
      downRetry: s.downRetry,
      // Under the lock's ttl, so a hung query cannot outlive this dispatcher's mandate by much.
      timeoutMs: Math.min(10_000, ttl / 2),
    });
    const queued = (await this.enqueue(due, s, readAt)) + (await this.enqueueRounds(s, readAt));
    await this.o.redis.set(
      this.o.keys.dispatcherTick,
      JSON.stringify({
        node_id: this.o.nodeId,
        poller_name: this.o.pollerName,
        at: Date.now(),
        due: due.length,
        queued,
      }),
      'PX',
      Math.max(ttl, 10_000),
    );
    return { master: true, due: due.length, queued };
  }

  private async enqueue(due: DueDevice[], s: DispatchSettings, readAt: number): Promise<number> {
    const now = Date.now();
    const window = this.o.redispatchMs ?? Math.min(30_000, s.pollerFrequency * 500, s.downRetry * 500);
    const byQueue = new Map<string, { type: JobType; ids: number[]; recheck: number[] }>();
    const add = (type: JobType, d: DueDevice) => {
      const name = this.o.keys.queueName(type, d.group);
      let recent = this.recent.get(name);
      if (!recent) this.recent.set(name, (recent = new Map()));
      const at = recent.get(d.deviceId);
      if (at !== undefined && now - at < window) return;
      let e = byQueue.get(name);
      if (!e) byQueue.set(name, (e = { type, ids: [], recheck: [] }));
      (at === undefined ? e.ids : e.recheck).push(d.deviceId);
    };
    for (const d of due) {
      if (d.discover) add('discovery', d);
      if (d.poll) add('poller', d);
    }
    // Offered before and still due: whose job is gone (failed, skipped, lost with Redis's data)?
    // One EXISTS a device instead of BullMQ's add script; a job still there is left alone.
    for (const [name, e] of byQueue) {
      if (e.recheck.length > 0) e.ids.push(...(await this.gone(name, e.recheck, now)));
    }
    this.forget(now, window);
    let n = 0;
    for (const [name, { type, ids }] of byQueue) {
      if (ids.length === 0) continue;
      const recent = this.recent.get(name)!;
      // In slices: a whole fleet due at once (start, a new cycle) is not one pipeline of
      // 10,000 jobs held in memory together.
      for (let i = 0; i < ids.length; i += ADD_SLICE) {
        const slice = ids.slice(i, i + ADD_SLICE);
        for (const id of slice) recent.set(id, now);
        try {
          await this.queue(name).addBulk(
            slice.map((id) => ({ name: type, data: { deviceId: id, readAt }, opts: { jobId: jobIdOf(id) } })),
          );
          n += slice.length;
        } catch (err) {
          for (const id of slice) recent.delete(id);
          throw err;
        }
      }
    }
    this.dispatched += n;
    return n;
  }

  /** Of these devices offered before, those whose job is no longer in Redis; the others are stamped `now`. */
  private async gone(name: string, ids: number[], now: number): Promise<number[]> {
    const queue = this.queue(name);
    const recent = this.recent.get(name)!;
    const out: number[] = [];
    // in slices, as the adds: a fleet-wide backlog is not one pipeline of 10,000 commands in memory
    for (let i = 0; i < ids.length; i += ADD_SLICE) {
      const slice = ids.slice(i, i + ADD_SLICE);
      const pipe = this.o.redis.pipeline();
      for (const id of slice) pipe.exists(queue.toKey(jobIdOf(id)));
      const res = (await pipe.exec()) ?? [];
      slice.forEach((id, j) => {
        const [err, n] = res[j] ?? [new Error('no reply'), 0];
        if (err) throw err;
        if (n === 0) out.push(id);
        else recent.set(id, now);
      });
    }
    return out;
  }

  /** Drops the stamps of devices not offered for a while (no longer due: their runs are done). */
  private forget(now: number, window: number): void {
    for (const recent of this.recent.values()) for (const [id, at] of recent) if (now - at >= window) recent.delete(id);
  }

  /**
   * Ping and service rounds: one job per poller group and type every frequency seconds, id
   * `g<group>`, so a round still waiting or running is not queued twice. The job's deviceId is
   * the group (the worker's lock and done marker are then per group).
   */
  private async enqueueRounds(s: DispatchSettings, readAt: number): Promise<number> {
    const now = Date.now();
    const due = (
      [
        ['ping', s.pingFrequency ?? 0],
        ['services', s.servicesFrequency ?? 0],
      ] as const
    ).filter(([type, freq]) => freq > 0 && now - (this.groupRounds.get(type) ?? 0) >= freq * 1000);
    if (due.length === 0) return 0;
    let n = 0;
    for (const [type] of due) {
      const groups = await roundGroups(this.o.db, type);
      for (const g of groups) {
        const queue = this.queue(this.o.keys.queueName(type, g));
        await queue.add(type, { deviceId: g, group: g, readAt }, { jobId: `g${g}` });
        n++;
      }
      this.groupRounds.set(type, now);
    }
    this.dispatched += n;
    return n;
  }

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, {
        connection: this.o.connection,
        prefix: this.o.keys.bullPrefix,
        defaultJobOptions: { removeOnComplete: true, removeOnFail: true, attempts: 1 },
        // Nothing reads BullMQ's event stream (no QueueEvents): keep it short in Redis (default 10,000).
        streams: { events: { maxLen: 100 } },
      });
      q.on('error', (err) => this.emit('error', err));
      this.queues.set(name, q);
    }
    return q;
  }

  /** Stops ticking and hands the dispatcher lock back so another agent takes over at once. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    // A tick stuck on a Redis that is down must not hold the stop.
    if (this.running)
      await within(
        this.running.catch(() => {}),
        2000,
      );
    if (this.master) {
      this.master = false;
      await within(
        releaseLock(this.o.redis, this.o.keys.dispatcherLock, this.token).catch((err) =>
          this.o.log.warn('dispatcher_release_failed', { err }),
        ),
        2000,
      );
    }
    await closeOrDisconnect([...this.queues.values()]);
    this.queues.clear();
  }
}

/** Poller groups with something to do for a round: enabled devices (ping), enabled service checks (services). */
async function roundGroups(db: Pool, type: 'ping' | 'services'): Promise<number[]> {
  const sql =
    type === 'ping'
      ? 'SELECT DISTINCT poller_group AS g FROM devices WHERE disabled = 0'
      : 'SELECT DISTINCT d.poller_group AS g FROM services s JOIN devices d ON d.device_id = s.device_id ' +
        'WHERE s.service_disabled = 0 AND d.disabled = 0';
  const [rows] = await db.query<RowDataPacket[]>({ sql, timeout: 10_000 });
  return rows.map((r) => Number(r.g));
}

/** BullMQ refuses integer custom ids; `d<id>` keeps it readable. */
export function jobIdOf(deviceId: number): string {
  return `d${deviceId}`;
}
