// The rows a poll reads back (processors, mempools, storage, sensors, and the texts of state
// sensors), kept in the process between polls and read again only when the device's
// last_discovered changes: discovery is what rewrites them, and the device row that holds the
// time is read at the start of every run. Bounded by the rows kept: about 180 bytes of heap a row
// with texts of its own (measured before shareTexts below), so the default of 100,000 rows holds
// at most some 17 MiB, the rows of 7,000 simulated devices (14 rows each) or 2,000-3,000 typical
// ones. A module's rows are read on its first poll after a change.
// Past the bound, a device idle for `idleMs` (polled elsewhere now) makes room, least recently
// polled first; a device still polled here does not: polls come round in a cycle, and dropping
// the least recently polled would drop the very device due next (every poll a miss once the
// devices' rows pass the bound). The devices that do not fit are read from the database each
// poll, the others keep their rows.
export type StoredKind = 'processors' | 'mempools' | 'storage' | 'sensors' | 'stateTexts';

interface Entry {
  key: number | string;
  rows: Partial<Record<StoredKind, unknown>>;
  /** Rows (and state texts) held. */
  count: number;
  /** When the device's rows were last asked for (ms). */
  usedAt: number;
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

  /**
   * `maxRows`: the bound. `idleMs`: how long a device must have gone unpolled before its rows
   * make room for another's (default 15 min: three 5-minute cycles).
   */
  constructor(
    private readonly maxRows = 100_000,
    private readonly idleMs = 15 * 60_000,
  ) {}

  /** The device's rows of `kind`: kept ones while its last_discovered is the same, else `load()`'s. */
  async rows<T>(device: StoredDevice, kind: StoredKind, load: () => Promise<T>): Promise<T> {
    const key = keyOf(device);
    const now = Date.now();
    let e = this.entries.get(device.device_id);
    this.forget(device.device_id); // re-entered last: the map's order is the order of use
    if (!e || e.key !== key) e = { key, rows: {}, count: 0, usedAt: now };
    e.usedAt = now;
    this.entries.set(device.device_id, e);
    this.total += e.count;
    if (kind in e.rows) return e.rows[kind] as T;
    const v = await load();
    if (this.entries.get(device.device_id) !== e) return v; // dropped or replaced meanwhile
    e.rows[kind] = v;
    e.count += countOf(v);
    this.total += countOf(v);
    if (this.total > this.maxRows) this.makeRoom(device.device_id, Date.now());
    // only rows that stay kept: a device that did not fit reads them again next poll anyway
    if (this.entries.get(device.device_id) === e) shareTexts(v);
    return v;
  }

  /** Drops idle devices, least recently polled first, until the rows fit; else drops `deviceId`'s own. */
  private makeRoom(deviceId: number, now: number): void {
    for (const [id, e] of this.entries) {
      if (this.total <= this.maxRows) return;
      if (id === deviceId || now - e.usedAt < this.idleMs) break; // the map is in order of use
      this.forget(id);
    }
    if (this.total > this.maxRows) this.forget(deviceId);
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

/**
 * One copy of each short text the kept rows repeat. Rows come from the database with strings of
 * their own, and devices of a model repeat the same ones (sensor classes and types, the OIDs of
 * the same sensors): in a heap snapshot of an agent polling 10,000 simulated devices, 43,639
 * copies of "entity-sensor" and 81,820 OIDs of a dozen digits among ~10 MiB of such strings.
 * Bounded: past MAX_SHARED distinct texts, new ones are kept as they came.
 */
const shared = new Map<string, string>();
const MAX_SHARED = 50_000;
const MAX_SHARED_LENGTH = 128;

/** The string fields of an array of plain rows replaced by their shared copies (in place). */
function shareTexts(v: unknown): void {
  if (!Array.isArray(v)) return;
  for (const row of v) {
    if (row === null || typeof row !== 'object' || Object.isFrozen(row)) continue;
    const r = row as Record<string, unknown>;
    for (const k of Object.keys(r)) {
      const x = r[k];
      if (typeof x !== 'string' || x.length > MAX_SHARED_LENGTH) continue;
      const same = shared.get(x);
      if (same !== undefined) r[k] = same;
      else if (shared.size < MAX_SHARED) shared.set(x, x);
    }
  }
}

/** Reads through `ctx.stored` when the run has one, else straight from the database. */
export const storedRows = <T>(
  ctx: { device: StoredDevice; stored?: StoredRows },
  kind: StoredKind,
  load: () => Promise<T>,
): Promise<T> => (ctx.stored ? ctx.stored.rows(ctx.device, kind, load) : load());
