// The rows a poll reads back (processors, mempools, storage, sensors, and the texts of state
// sensors), kept in the process between polls and read again only when the device's
// last_discovered changes: discovery is what rewrites them, and the device row that holds the
// time is read at the start of every run. Bounded by the rows kept (the devices least recently
// polled are dropped first): about 180 bytes of heap a row, so the default of 100,000 rows holds
// some 17 MiB, the rows of 2,000-3,000 typical devices. A module's rows are read on its first
// poll after a change.
export type StoredKind = 'processors' | 'mempools' | 'storage' | 'sensors' | 'stateTexts';

interface Entry {
  key: number | string;
  rows: Partial<Record<StoredKind, unknown>>;
  /** Rows (and state texts) held. */
  count: number;
}

const countOf = (v: unknown): number => (Array.isArray(v) ? v.length : v instanceof Map ? v.size : 1);

/** The part of a device row the cache is keyed on. */
export interface StoredDevice {
  device_id: number;
  last_discovered?: Date | string | null;
}

const keyOf = (d: StoredDevice): number | string =>
  d.last_discovered instanceof Date ? d.last_discovered.getTime() : String(d.last_discovered ?? '');

export class StoredRows {
  private readonly entries = new Map<number, Entry>();
  private total = 0;

  constructor(private readonly maxRows = 100_000) {}

  /** The device's rows of `kind`: kept ones while its last_discovered is the same, else `load()`'s. */
  async rows<T>(device: StoredDevice, kind: StoredKind, load: () => Promise<T>): Promise<T> {
    const key = keyOf(device);
    let e = this.entries.get(device.device_id);
    this.forget(device.device_id); // re-entered last: the map's order is the order of use
    if (!e || e.key !== key) e = { key, rows: {}, count: 0 };
    this.entries.set(device.device_id, e);
    this.total += e.count;
    if (kind in e.rows) return e.rows[kind] as T;
    const v = await load();
    if (this.entries.get(device.device_id) !== e) return v; // dropped or replaced meanwhile
    e.rows[kind] = v;
    e.count += countOf(v);
    this.total += countOf(v);
    while (this.total > this.maxRows && this.entries.size > 0) this.forget(this.entries.keys().next().value!);
    return v;
  }

  /** Drops a device's rows (after its discovery, which rewrites them). */
  forget(deviceId: number): void {
    const e = this.entries.get(deviceId);
    if (!e) return;
    this.total -= e.count;
    this.entries.delete(deviceId);
  }

  /** Devices and rows held. */
  get size(): { devices: number; rows: number } {
    return { devices: this.entries.size, rows: this.total };
  }
}

/** Reads through `ctx.stored` when the run has one, else straight from the database. */
export const storedRows = <T>(
  ctx: { device: StoredDevice; stored?: StoredRows },
  kind: StoredKind,
  load: () => Promise<T>,
): Promise<T> => (ctx.stored ? ctx.stored.rows(ctx.device, kind, load) : load());
