// The node registry and per-device records in memcached. Each agent writes its own entry with a
// ttl on every heartbeat, so a dead agent disappears by itself; an index key lists the node ids
// seen (memcached cannot enumerate keys). Device records say which node last ran a job type for
// a device, when, and how long it took. memcached is a cache: a failed write is logged by the
// caller and never stops polling.
import memjs from 'memjs';
import type { CoordKeys, JobType } from '../coord/keys.js';
import type { NodeEntry } from '../../lib/contracts/registry.js';

export type { NodeEntry };

export interface DeviceRecord {
  node_id: string;
  poller_name: string;
  /** Epoch ms when the job started. */
  at: number;
  duration_ms: number;
  outcome: string;
}

export interface RegistryOptions {
  host: string;
  port: number;
  keys: CoordKeys;
  /** Per-request timeout in seconds. Default 1. */
  timeoutSeconds?: number;
  /** Ttl of device records in seconds. Default 86400. */
  deviceRecordTtlSeconds?: number;
}

export const DEFAULT_REGISTRY_OPTIONS = { timeoutSeconds: 1, deviceRecordTtlSeconds: 86_400 };

export class Registry {
  private readonly client: memjs.Client;
  private readonly o: RegistryOptions & typeof DEFAULT_REGISTRY_OPTIONS;

  constructor(options: RegistryOptions) {
    this.o = { ...DEFAULT_REGISTRY_OPTIONS, ...options };
    // memjs reconnects on the next request after a failure; one retry keeps a restart invisible.
    this.client = memjs.Client.create(`${options.host}:${options.port}`, {
      retries: 1,
      timeout: this.o.timeoutSeconds,
      conntimeout: this.o.timeoutSeconds,
      keepAlive: true,
      logger: { log: () => {} },
    });
  }

  async heartbeat(entry: NodeEntry): Promise<void> {
    const ttl = Math.max(2, Math.ceil((3 * entry.heartbeat_interval_ms) / 1000));
    await this.client.set(this.o.keys.node(entry.node_id), JSON.stringify(entry), { expires: ttl });
    const ids = await this.nodeIds();
    if (!ids.includes(entry.node_id)) {
      // Read-modify-write without CAS: a lost update is repaired by the other node's next beat.
      await this.client.set(this.o.keys.nodeIndex, JSON.stringify([...ids, entry.node_id]), { expires: 0 });
    }
  }

  async nodeIds(): Promise<string[]> {
    const { value } = await this.client.get(this.o.keys.nodeIndex);
    if (!value) return [];
    try {
      const ids = JSON.parse(value.toString('utf8'));
      return Array.isArray(ids) ? ids.filter((x) => typeof x === 'string') : [];
    } catch {
      return [];
    }
  }

  async node(nodeId: string): Promise<NodeEntry | undefined> {
    const { value } = await this.client.get(this.o.keys.node(nodeId));
    return value ? (JSON.parse(value.toString('utf8')) as NodeEntry) : undefined;
  }

  /** Live entries of every node in the index; ids whose entry expired are dropped from it. */
  async nodes(): Promise<NodeEntry[]> {
    const ids = await this.nodeIds();
    const entries = await Promise.all(ids.map((id) => this.node(id)));
    return entries.filter((e): e is NodeEntry => e !== undefined);
  }

  async deregister(nodeId: string): Promise<void> {
    await this.client.delete(this.o.keys.node(nodeId));
  }

  async recordDevice(type: JobType, deviceId: number, rec: DeviceRecord): Promise<void> {
    await this.client.set(this.o.keys.deviceRecord(type, deviceId), JSON.stringify(rec), {
      expires: this.o.deviceRecordTtlSeconds,
    });
  }

  /**
   * Several device records at once: their requests leave in one socket write (memjs writes each
   * request on its own; the socket is corked for the loop) instead of one write a job.
   */
  async recordDevices(recs: { type: JobType; deviceId: number; rec: DeviceRecord }[]): Promise<void> {
    const servers = (this.client as unknown as { servers?: { _socket?: { cork(): void; uncork(): void } }[] }).servers;
    const socket = servers?.length === 1 ? servers[0]._socket : undefined;
    socket?.cork();
    let sets: Promise<void>[];
    try {
      sets = recs.map((r) => this.recordDevice(r.type, r.deviceId, r.rec));
    } finally {
      socket?.uncork();
    }
    await Promise.all(sets);
  }

  async device(type: JobType, deviceId: number): Promise<DeviceRecord | undefined> {
    const { value } = await this.client.get(this.o.keys.deviceRecord(type, deviceId));
    return value ? (JSON.parse(value.toString('utf8')) as DeviceRecord) : undefined;
  }

  /** A raw GET (the API's /system uses it to see memcached answer). */
  async get(key: string): Promise<Buffer | null> {
    return (await this.client.get(key)).value;
  }

  /** Writes and reads back a probe key: memcached reachable and answering (doctor). */
  async probe(nodeId: string): Promise<void> {
    const key = `${this.o.keys.node(nodeId)}:probe`;
    const stamp = String(Date.now());
    await this.client.set(key, stamp, { expires: 10 });
    const { value } = await this.client.get(key);
    if (value?.toString('utf8') !== stamp) throw new Error('memcached did not return the value just written');
  }

  close(): void {
    this.client.close();
  }
}
