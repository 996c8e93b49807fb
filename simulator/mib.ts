// The simulated MIB: one sorted OID layout per device shape (32/64-bit counters × CPU count),
// shared by every device of that shape; the values are computed on demand (values.ts) from
// model.ts. Memory is O(shapes × objects), not O(devices × objects).
import { encodeOid } from './ber.js';
import { cpuCount, has64BitCounters, PORTS } from './model.js';
import { SENSORS, storages } from './health.js';
import { FAMILIES, familyObjects, familyOf, type Family } from './families.js';
import {
  C_ENT_PHYSICAL,
  C_ENT_SENSOR,
  C_FAMILY,
  C_HR_DEVICE,
  C_HR_MEMSIZE,
  C_HR_PROCESSOR,
  C_HR_STORAGE,
  C_HR_UPTIME,
  C_IF,
  C_IF_NUMBER,
  C_IFX,
  C_SYS,
  COUNTER_BY_CODE,
  CPU_DEVICE_BASE,
} from './values.js';

export { CPU_DEVICE_BASE, sysDescr, writeValue, type DeviceView } from './values.js';

/** A shape's objects in OID order; entry k is (oids[k], code[k], row[k]). */
export interface Layout {
  oids: Uint32Array[];
  /** The OID as a complete BER TLV, copied as is into responses. */
  oidBer: Buffer[];
  code: Uint16Array;
  row: Int32Array;
  /** Length of the object's OID without its instance part (for noSuchInstance vs noSuchObject). */
  baseLen: Uint8Array;
  /** 1 where the value is a Counter64 (SNMPv1 cannot carry it). */
  is64: Uint8Array;
}

const MIB2 = [1, 3, 6, 1, 2, 1];
const SYSTEM = [...MIB2, 1];
const IF_TABLE = [...MIB2, 2, 2, 1];
const IFX_TABLE = [...MIB2, 31, 1, 1, 1];
const HR = [...MIB2, 25];
const HR_STORAGE = [...HR, 2, 3, 1];
const HR_DEVICE = [...HR, 3, 2, 1];
const HR_PROCESSOR = [...HR, 3, 3, 1];
const ENT_PHYSICAL = [...MIB2, 47, 1, 1, 1, 1];
const ENT_SENSOR = [...MIB2, 99, 1, 1, 1];

function compareOid(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
export { compareOid };

function buildLayout(has64: boolean, cpus: number, family: Family): Layout {
  const items: { oid: number[]; code: number; row: number; baseLen: number }[] = [];
  const scalar = (base: number[], code: number) =>
    items.push({ oid: [...base, 0], code, row: 0, baseLen: base.length });
  const column = (table: number[], col: number, code: number, rows: number[]) => {
    for (const r of rows) items.push({ oid: [...table, col, r], code, row: r, baseLen: table.length + 1 });
  };
  for (let s = 1; s <= 7; s++) scalar([...SYSTEM, s], C_SYS + s);
  scalar([...MIB2, 2, 1], C_IF_NUMBER);
  const ports = Array.from({ length: PORTS }, (_, k) => k + 1);
  for (let col = 1; col <= 22; col++) column(IF_TABLE, col, C_IF + col, ports);
  for (let col = 1; col <= 19; col++) {
    if (!has64 && col >= 6 && col <= 13) continue;
    column(IFX_TABLE, col, C_IFX + col, ports);
  }
  scalar([...HR, 1, 1], C_HR_UPTIME);
  scalar([...HR, 2, 2], C_HR_MEMSIZE);
  const storageRows = storages(0).map((s) => s.index);
  for (let col = 1; col <= 7; col++) column(HR_STORAGE, col, C_HR_STORAGE + col, storageRows);
  const cpuRows = Array.from({ length: cpus }, (_, k) => CPU_DEVICE_BASE + k);
  for (let col = 1; col <= 6; col++) column(HR_DEVICE, col, C_HR_DEVICE + col, cpuRows);
  for (let col = 1; col <= 2; col++) column(HR_PROCESSOR, col, C_HR_PROCESSOR + col, cpuRows);
  const physRows = [1, ...SENSORS.map((s) => s.index)];
  for (let col = 2; col <= 7; col++) column(ENT_PHYSICAL, col, C_ENT_PHYSICAL + col, physRows);
  const sensorRows = SENSORS.map((s) => s.index);
  for (let col = 1; col <= 8; col++) column(ENT_SENSOR, col, C_ENT_SENSOR + col, sensorRows);
  familyObjects(family).forEach((o, k) =>
    items.push({ oid: o.oid, code: C_FAMILY + 100 * FAMILIES.indexOf(family) + k, row: 0, baseLen: o.baseLen }),
  );

  items.sort((a, b) => compareOid(a.oid, b.oid));
  const n = items.length;
  const layout: Layout = {
    oids: items.map((it) => Uint32Array.from(it.oid)),
    oidBer: items.map((it) => encodeOid(it.oid)),
    code: new Uint16Array(n),
    row: new Int32Array(n),
    baseLen: new Uint8Array(n),
    is64: new Uint8Array(n),
  };
  items.forEach((it, k) => {
    layout.code[k] = it.code;
    layout.row[k] = it.row;
    layout.baseLen[k] = it.baseLen;
    layout.is64[k] = COUNTER_BY_CODE.get(it.code)?.bits === 64 ? 1 : 0;
  });
  return layout;
}

const layouts = new Map<string, Layout>();

/** The shared layout of device i's shape (built on first use). */
export function layoutFor(device: number): Layout {
  const has64 = has64BitCounters(device);
  const cpus = cpuCount(device);
  const family = familyOf(device);
  const key = `${has64 ? 64 : 32}:${cpus}:${family}`;
  let layout = layouts.get(key);
  if (!layout) {
    layout = buildLayout(has64, cpus, family);
    layouts.set(key, layout);
  }
  return layout;
}

/** Index of the first entry whose OID is >= oid (layout length if none). */
export function lowerBound(layout: Layout, oid: ArrayLike<number>): number {
  let lo = 0;
  let hi = layout.oids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareOid(layout.oids[mid], oid) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first entry whose OID is > oid (layout length if none). */
export function upperBound(layout: Layout, oid: ArrayLike<number>): number {
  let lo = 0;
  let hi = layout.oids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareOid(layout.oids[mid], oid) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** For a GET of a missing OID: does an object exist whose instance it would be? */
export function isKnownObject(layout: Layout, oid: ArrayLike<number>, at: number): boolean {
  for (const k of [at - 1, at]) {
    if (k < 0 || k >= layout.oids.length) continue;
    const base = layout.oids[k];
    const len = layout.baseLen[k];
    if (oid.length <= len) continue;
    let same = true;
    for (let i = 0; i < len && same; i++) same = base[i] === oid[i];
    if (same) return true;
  }
  return false;
}
