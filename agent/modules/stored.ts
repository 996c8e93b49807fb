// The rows a poll reads back (processors, mempools, storage, sensors, and the texts of state
// sensors), kept in the process between polls and read again only when the device's
// last_discovered changes: discovery is what rewrites them, and the device row that holds the
// time is read at the start of every run. Bounded by the number of devices kept (the oldest
// is dropped first); a module's rows are read on its first poll after a change.
export type StoredKind = 'processors' | 'mempools' | 'storage' | 'sensors' | 'stateTexts';

interface Entry {
  key: number | string;
  rows: Partial<Record<StoredKind, unknown>>;
}

/** The part of a device row the cache is keyed on. */
export interface StoredDevice {
  device_id: number;
  last_discovered?: Date | string | null;
}

const keyOf = (d: StoredDevice): number | string =>
  d.last_discovered instanceof Date ? d.last_discovered.getTime() : String(d.last_discovered ?? '');

export class StoredRows {
  private readonly entries = new Map<number, Entry>();

  constructor(private readonly maxDevices = 20_000) {}

  /** The device's rows of `kind`: kept ones while its last_discovered is the same, else `load()`'s. */
  async rows<T>(device: StoredDevice, kind: StoredKind, load: () => Promise<T>): Promise<T> {
    const key = keyOf(device);
    let e = this.entries.get(device.device_id);
    if (!e || e.key !== key) {
      this.entries.delete(device.device_id);
      if (this.entries.size >= this.maxDevices) this.entries.delete(this.entries.keys().next().value!);
      e = { key, rows: {} };
      this.entries.set(device.device_id, e);
    }
    if (kind in e.rows) return e.rows[kind] as T;
    const v = await load();
    e.rows[kind] = v;
    return v;
  }

  /** Drops a device's rows (after its discovery, which rewrites them). */
  forget(deviceId: number): void {
    this.entries.delete(deviceId);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Reads through `ctx.stored` when the run has one, else straight from the database. */
export const storedRows = <T>(
  ctx: { device: StoredDevice; stored?: StoredRows },
  kind: StoredKind,
  load: () => Promise<T>,
): Promise<T> => (ctx.stored ? ctx.stored.rows(ctx.device, kind, load) : load());
