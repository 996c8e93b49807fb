// mempools and storage: both are pools of bytes with a size, a used and a free amount, read
// from whichever of percent/used/free/total OIDs a table has. The OS's tables come from its
// definition; otherwise HOST-RESOURCES-MIB hrStorageTable (memory types to mempools, disks to
// storage), and for memory UCD-SNMP-MIB's memory scalars.
import { str } from '../snmp/values.js';
import type { PoolDef } from '../definitions/types.js';
import { extraColumns, keepRow, numberOf, readTable, render, valueOid } from './table.js';
import type { ModuleContext } from './types.js';

export interface PoolRow {
  index: string;
  /** mempool_type / storage_mib. */
  type: string;
  /** mempool_class / storage_type. */
  cls: string;
  descr: string;
  precision: number;
  percOid: string | null;
  usedOid: string | null;
  freeOid: string | null;
  totalOid: string | null;
  total: number;
  used: number;
  free: number;
  perc: number;
}

export interface PoolRaw {
  perc: number | null;
  used: number | null;
  free: number | null;
  total: number | null;
}

/** Sizes in bytes from raw values × precision; `knownTotal` when the table gives no size. */
export function poolValues(
  raw: PoolRaw,
  precision: number,
  knownTotal: number | null,
): Pick<PoolRow, 'total' | 'used' | 'free' | 'perc'> | null {
  const p = precision || 1;
  let total =
    raw.total !== null
      ? raw.total * p
      : raw.used !== null && raw.free !== null
        ? (raw.used + raw.free) * p
        : knownTotal;
  if (total === null) total = raw.perc !== null ? 100 : null;
  if (total === null) return null;
  const used =
    raw.used !== null
      ? raw.used * p
      : raw.free !== null
        ? total - raw.free * p
        : raw.perc !== null
          ? (total * raw.perc) / 100
          : null;
  if (used === null) return null;
  const perc = raw.perc !== null ? raw.perc : total > 0 ? (used / total) * 100 : 0;
  return { total: Math.round(total), used: Math.round(used), free: Math.round(total - used), perc };
}

/** Rows of a definition's pool table. */
export async function poolsFromDefinition(
  ctx: ModuleContext,
  t: PoolDef,
  defaultClass: string,
  position = 0,
): Promise<PoolRow[]> {
  const data = await readTable(
    ctx.reader,
    t.oid,
    [t.perc, t.used, t.free, t.total, ...extraColumns(t)],
    String(position),
  );
  const out: PoolRow[] = [];
  const read = (oid: string | undefined, index: string) => (oid ? numberOf(ctx, data.cell(oid, index), oid) : null);
  for (const index of data.indexes) {
    const driver = read(t.oid, index);
    if (driver === null) continue;
    const descr = t.descr ? render(t.descr, index, data) : 'Memory';
    if (!keepRow(ctx, t, data, index, driver, descr)) continue;
    const precision = t.precision ?? 1;
    const v = poolValues(
      { perc: read(t.perc, index), used: read(t.used, index), free: read(t.free, index), total: read(t.total, index) },
      precision,
      null,
    );
    if (v === null) continue;
    const oid = (o: string | undefined) => (o ? valueOid(o, index) : null);
    out.push({
      index,
      type: t.type ?? ctx.def.os,
      cls: t.class ?? defaultClass,
      descr,
      precision,
      percOid: oid(t.perc),
      usedOid: oid(t.used),
      freeOid: oid(t.free),
      totalOid: null,
      ...v,
    });
  }
  return out;
}

const HR = '1.3.6.1.2.1.25.2.3.1';
const HRC = { type: `${HR}.2`, descr: `${HR}.3`, units: `${HR}.4`, size: `${HR}.5`, used: `${HR}.6` };
/** hrStorageTypes by their last arc. */
const HR_TYPES: Record<string, string> = {
  1: 'hrStorageOther',
  2: 'hrStorageRam',
  3: 'hrStorageVirtualMemory',
  4: 'hrStorageFixedDisk',
  5: 'hrStorageRemovableDisk',
  6: 'hrStorageFloppyDisk',
  7: 'hrStorageCompactDisc',
  8: 'hrStorageRamDisk',
  9: 'hrStorageFlashMemory',
  10: 'hrStorageNetworkDisk',
};
const DISK_TYPES = new Set([
  'hrStorageFixedDisk',
  'hrStorageNetworkDisk',
  'hrStorageRemovableDisk',
  'hrStorageFlashMemory',
]);

export interface HrStorageRow {
  index: string;
  type: string;
  descr: string;
  units: number;
  size: number;
  used: number;
}

export async function hrStorage(ctx: ModuleContext): Promise<HrStorageRow[]> {
  const data = await readTable(ctx.reader, HRC.size, [HRC.type, HRC.descr, HRC.units, HRC.used]);
  const out: HrStorageRow[] = [];
  for (const index of data.indexes) {
    const units = numberOf(ctx, data.cell(HRC.units, index), HRC.units);
    const size = numberOf(ctx, data.cell(HRC.size, index), HRC.size);
    const used = numberOf(ctx, data.cell(HRC.used, index), HRC.used);
    if (units === null || size === null || used === null || units <= 0 || size <= 0) continue;
    const type = HR_TYPES[(str(data.cell(HRC.type, index)) ?? '').split('.').pop() ?? ''] ?? 'hrStorageOther';
    out.push({ index, type, descr: str(data.cell(HRC.descr, index)) ?? '', units, size, used });
  }
  return out;
}

export function memoryClass(r: HrStorageRow): string | null {
  if (r.type === 'hrStorageRam') return /buffer/i.test(r.descr) ? 'buffers' : 'system';
  if (r.type === 'hrStorageVirtualMemory') return /swap/i.test(r.descr) ? 'swap' : 'virtual';
  if (r.type === 'hrStorageOther')
    return /buffer/i.test(r.descr)
      ? 'buffers'
      : /cache/i.test(r.descr)
        ? 'cached'
        : /shared/i.test(r.descr)
          ? 'shared'
          : 'system';
  return null;
}

/** Pseudo file systems LibreNMS leaves out of storage. */
const NOT_DISKS = /^(\/dev|\/sys(\/.*)?|\/proc(\/.*)?)$/;
export const isDisk = (r: HrStorageRow) => DISK_TYPES.has(r.type) && !NOT_DISKS.test(r.descr);

/** An hrStorage row as a pool (used from hrStorageUsed; the size kept from discovery). */
export function hrPool(r: HrStorageRow, type: string, cls: string): PoolRow {
  const v = poolValues({ perc: null, used: r.used, free: null, total: r.size }, r.units, null)!;
  return {
    index: r.index,
    type,
    cls,
    descr: r.descr,
    precision: r.units,
    percOid: null,
    usedOid: valueOid(HRC.used, r.index),
    freeOid: null,
    totalOid: null,
    ...v,
  };
}

const NET_SNMP_PARTS = /^(Memory buffers|Cached memory|Shared memory)$/;

/**
 * Net-SNMP counts buffers and cache as used physical memory; LibreNMS shows them apart: the
 * system pool's used loses them, and buffers/cached/shared pools are shares of physical memory.
 */
export function separateBuffers<
  R extends { type: string; cls: string; descr: string; total: number; used: number; free: number; perc: number },
>(rows: R[]): void {
  const system = rows.find(
    (r) => r.cls === 'system' && r.descr === 'Physical memory' && (r.type === 'hrstorage' || r.type === 'ucd'),
  );
  if (!system) return;
  const part = (cls: string) =>
    rows.find((r) => r.cls === cls && r.type === system.type && NET_SNMP_PARTS.test(r.descr));
  for (const cls of ['buffers', 'cached', 'shared']) {
    const r = part(cls);
    if (!r) continue;
    r.total = system.total;
    r.free = r.total - r.used;
    r.perc = r.total > 0 ? (r.used / r.total) * 100 : 0;
  }
  const hidden = (part('buffers')?.used ?? 0) + (part('cached')?.used ?? 0);
  if (hidden > 0 && hidden < system.used) {
    system.used -= hidden;
    system.free = system.total - system.used;
    system.perc = system.total > 0 ? (system.used / system.total) * 100 : 0;
  }
}
