// Every Redis and memcached key name the agent uses, in one place, so docs/agent-coordination.md,
// `nms status` and the code cannot drift apart. All names start with one prefix (default `nms`;
// tests set NMS_KEY_PREFIX to keep runs apart on shared servers).
import type { ServiceType } from '../../lib/node-config.js';

export type JobType = ServiceType;
export const JOB_TYPES: readonly JobType[] = ['poller', 'discovery', 'ping', 'services'];
/** Job types whose job is a whole poller group (its id is the group number), not one device. */
export const GROUP_JOB_TYPES: readonly JobType[] = ['ping', 'services'];

export const DEFAULT_KEY_PREFIX = 'nms';

/** The prefix from NMS_KEY_PREFIX, else `nms`. Only letters, digits, `_`, `-`, `.`, `:`. */
export function keyPrefixFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const p = env.NMS_KEY_PREFIX;
  if (p === undefined || p === '') return DEFAULT_KEY_PREFIX;
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(p))
    throw new Error(`NMS_KEY_PREFIX must be 1-64 of [A-Za-z0-9_.:-] (got ${JSON.stringify(p)})`);
  return p;
}

export class CoordKeys {
  constructor(readonly prefix: string = DEFAULT_KEY_PREFIX) {}

  // ---- Redis ----
  /** The dispatcher (master) lock: value `<poller_name>-<node_id>-<uuid>`, PX service_master_timeout. */
  get dispatcherLock(): string {
    return `${this.prefix}:dispatcher`;
  }
  /** JSON of the last dispatch tick: {node_id, poller_name, at, jobs}; read by `nms status`. */
  get dispatcherTick(): string {
    return `${this.prefix}:dispatcher:tick`;
  }
  /** Per-device lock, the second guard behind BullMQ's de-duplication. */
  deviceLock(type: JobType, deviceId: number): string {
    return `${this.prefix}:lock:${type}:${deviceId}`;
  }
  /** Redis-clock epoch ms when the device's last successful run of this type ended (stale-job check). */
  deviceDone(type: JobType, deviceId: number): string {
    return `${this.prefix}:done:${type}:${deviceId}`;
  }
  /** BullMQ's `prefix` option: its keys are `<prefix>:bull:<queue>:…`. */
  get bullPrefix(): string {
    return `${this.prefix}:bull`;
  }
  /** BullMQ queue name of one job type and poller group. */
  queueName(type: JobType, group: number): string {
    return `${type}-${group}`;
  }

  /**
   * Sorted set of the spooled RRD records of one device key (its RRD directory): `<node_id>|<time>`,
   * score the poll time.
   */
  rrdSpoolDevice(deviceKey: string): string {
    return `${this.prefix}:rrdspool:dev:${deviceKey}`;
  }
  /** Liveness marker of a node that holds spooled RRD records (PX 30 s, refreshed while it does). */
  rrdSpoolNode(nodeId: string): string {
    return `${this.prefix}:rrdspool:node:${nodeId}`;
  }
  /** Set with every node marker (same TTL): absent, no node holds spooled RRD records. */
  get rrdSpoolAny(): string {
    return `${this.prefix}:rrdspool:any`;
  }

  // ---- memcached ----
  /** Registry entry of one node (JSON {@link import('../registry/registry.js').NodeEntry}), TTL = 3 heartbeats. */
  node(nodeId: string): string {
    return `${this.prefix}:node:${nodeId}`;
  }
  /** JSON array of node ids that have registered (best effort; entries expire on their own). */
  get nodeIndex(): string {
    return `${this.prefix}:nodes`;
  }
  /** Which node last ran this job type for the device, when and how long. */
  deviceRecord(type: JobType, deviceId: number): string {
    return `${this.prefix}:device:${deviceId}:${type}`;
  }
}

/** Parses a queue name made by {@link CoordKeys.queueName}. */
export function parseQueueName(name: string): { type: JobType; group: number } | undefined {
  const m = /^(poller|discovery|ping|services)-(\d+)$/.exec(name);
  return m ? { type: m[1] as JobType, group: Number(m[2]) } : undefined;
}
