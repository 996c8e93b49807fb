// mempools: memory pools, out of storage as LibreNMS keeps them. The OS's tables; else
// hrStorageTable's memory rows (type hrstorage); else UCD-SNMP-MIB memory (type ucd).
import mysql from 'mysql2/promise';
import { upsertSql } from '../db/index.js';
import type { RrdPoint } from '../rrd/writer.js';
import { rrdFiles } from '../rrd/layout.js';
import { numberOf, pollOf, replaceRows, updateRows } from './table.js';
import { storedRows } from './stored.js';
import type { Cell } from '../snmp/types.js';
import {
  hrPool,
  hrStorage,
  memoryClass,
  poolsFromDefinition,
  poolValues,
  separateBuffers,
  type PoolRow,
} from './pools.js';
import type { DeviceModule, ModuleContext, PollStep } from './types.js';

const UCD = '1.3.6.1.4.1.2021.4';
const U = {
  totalSwap: `${UCD}.3.0`,
  availSwap: `${UCD}.4.0`,
  totalReal: `${UCD}.5.0`,
  availReal: `${UCD}.6.0`,
  buffer: `${UCD}.14.0`,
  cached: `${UCD}.15.0`,
};

async function ucd(ctx: ModuleContext): Promise<PoolRow[]> {
  const got = await ctx.reader.get(Object.values(U));
  const n = (oid: string) => numberOf(ctx, got.get(oid), oid);
  const real = n(U.totalReal);
  if (real === null || real <= 0) return [];
  const row = (
    index: string,
    cls: string,
    descr: string,
    raw: { used?: string; free?: string },
    totalKb: number,
  ): PoolRow | null => {
    const v = poolValues(
      { perc: null, used: raw.used ? n(raw.used) : null, free: raw.free ? n(raw.free) : null, total: totalKb },
      1024,
      null,
    );
    return (
      v && {
        index,
        type: 'ucd',
        cls,
        descr,
        precision: 1024,
        percOid: null,
        usedOid: raw.used ? `.${raw.used}` : null,
        freeOid: raw.free ? `.${raw.free}` : null,
        totalOid: null,
        ...v,
      }
    );
  };
  const swap = n(U.totalSwap);
  return [
    row('1', 'system', 'Physical memory', { free: U.availReal }, real),
    swap && swap > 0 ? row('2', 'swap', 'Swap space', { free: U.availSwap }, swap) : null,
    got.has(U.buffer) ? row('3', 'buffers', 'Memory buffers', { used: U.buffer }, real) : null,
    got.has(U.cached) ? row('4', 'cached', 'Cached memory', { used: U.cached }, real) : null,
  ].filter((r): r is PoolRow => r !== null);
}

export async function discoverMempools(ctx: ModuleContext): Promise<PoolRow[]> {
  const rows: PoolRow[] = [];
  for (const [i, t] of (ctx.def.mempools ?? []).entries())
    rows.push(...(await poolsFromDefinition(ctx, t, 'system', i)));
  const skip = new Set(ctx.def.skip_generic ?? []);
  if (rows.length === 0 && !skip.has('hrstorage')) {
    for (const r of await hrStorage(ctx)) {
      const cls = memoryClass(r);
      if (cls) rows.push(hrPool(r, 'hrstorage', cls));
    }
  }
  if (rows.length === 0 && !skip.has('ucd')) rows.push(...(await ucd(ctx)));
  separateBuffers(rows);
  return rows;
}

const COLS = [
  'device_id',
  'mempool_index',
  'mempool_type',
  'mempool_class',
  'mempool_descr',
  'mempool_precision',
  'mempool_perc_oid',
  'mempool_used_oid',
  'mempool_free_oid',
  'mempool_total_oid',
  'mempool_total',
  'mempool_used',
  'mempool_free',
  'mempool_perc',
  'mempool_deleted',
];

async function save(ctx: ModuleContext, rows: PoolRow[]): Promise<void> {
  const id = ctx.device.device_id;
  await replaceRows(
    ctx,
    'mempools',
    upsertSql('mempools', COLS, 3),
    rows.map((r) => [
      id,
      r.index,
      r.type,
      r.cls,
      r.descr.slice(0, 255),
      r.precision,
      r.percOid,
      r.usedOid,
      r.freeOid,
      r.totalOid,
      r.total,
      r.used,
      r.free,
      Math.round(r.perc),
      0,
    ]),
    "CONCAT(mempool_type, ' ', mempool_index)",
    rows.map((r) => `${r.type} ${r.index}`),
  );
}

/** A stored pool as a poll reads it back. */
export interface StoredPool {
  id: number;
  perc: string | null;
  used: string | null;
  free: string | null;
  totalOid: string | null;
  precision: number;
  total: number;
}

/** The OIDs a poll of stored pools reads. */
export const poolOids = (rows: StoredPool[]) => rows.flatMap((r) => [r.perc, r.used, r.free, r.totalOid]);

/** The stored pools' values from a poll's GET (mempools or storage rows). */
export function pollPools<R extends StoredPool>(
  ctx: ModuleContext,
  rows: R[],
  values: Map<string, Cell>,
): { row: R; v: NonNullable<ReturnType<typeof poolValues>> }[] {
  const n = (oid: string | null) => (oid ? numberOf(ctx, values.get(oid), oid) : null);
  const out = [];
  for (const row of rows) {
    const raw = { perc: n(row.perc), used: n(row.used), free: n(row.free), total: n(row.totalOid) };
    if (raw.perc === null && raw.used === null && raw.free === null) continue;
    const v = poolValues(raw, row.precision, row.total || null);
    if (v) out.push({ row, v });
  }
  return out;
}

const POOL_COLS = ['mempool_used', 'mempool_free', 'mempool_total', 'mempool_perc'];

/**
 * The end of a pool poll (mempools or storage): the RRD points (used, free), the rows' used,
 * free, total and percentage (`cols`, in that order) in one UPDATE, and the total carried back
 * into the kept rows, as the row now holds it (a pool without a total OID falls back on it).
 */
export async function storePools<R extends StoredPool>(
  ctx: ModuleContext,
  table: string,
  pk: string,
  cols: string[],
  got: { row: R; v: NonNullable<ReturnType<typeof poolValues>> }[],
  fileOf: (row: R) => RrdPoint['def'],
): Promise<number> {
  const now = Date.now() / 1000;
  for (const { row, v } of got) ctx.points.push({ def: fileOf(row), time: now, values: [v.used, v.free] });
  const rows = got.map(({ row, v }) => [row.id, v.used, v.free, v.total, Math.round(v.perc)]);
  await updateRows(ctx, table, pk, cols, rows);
  for (const { row, v } of got) row.total = v.total;
  return got.length;
}

interface StoredMempool extends StoredPool {
  type: string;
  cls: string;
  descr: string;
  idx: string;
}

async function storedMempools(ctx: ModuleContext): Promise<StoredMempool[]> {
  const [rows] = await ctx.db.query<mysql.RowDataPacket[]>(
    `SELECT mempool_id AS id, mempool_type AS type, mempool_class AS cls, mempool_descr AS descr,
     mempool_index AS idx, mempool_perc_oid AS perc, mempool_used_oid AS used, mempool_free_oid AS free,
     mempool_total_oid AS totalOid, mempool_precision AS prec, mempool_total AS total
     FROM mempools WHERE device_id = ? AND mempool_deleted = 0`,
    [ctx.device.device_id],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    type: String(r.type),
    cls: String(r.cls),
    descr: String(r.descr),
    idx: String(r.idx),
    perc: r.perc,
    used: r.used,
    free: r.free,
    totalOid: r.totalOid,
    precision: Number(r.prec),
    total: Number(r.total),
  }));
}

async function pollStep(ctx: ModuleContext): Promise<PollStep | null> {
  const stored = await storedRows(ctx, 'mempools', () => storedMempools(ctx));
  if (stored.length === 0) return null;
  return {
    oids: poolOids(stored),
    async finish(values) {
      const got = pollPools(ctx, stored, values);
      const flat = got.map(({ row, v }) => ({ row, type: row.type, cls: row.cls, descr: row.descr, ...v }));
      separateBuffers(flat);
      got.forEach((g, i) =>
        Object.assign(g.v, { total: flat[i].total, used: flat[i].used, free: flat[i].free, perc: flat[i].perc }),
      );
      return storePools(ctx, 'mempools', 'mempool_id', POOL_COLS, got, (r) =>
        rrdFiles.mempool(ctx.host, r.type, r.cls, r.idx),
      );
    },
  };
}

export const mempoolsModule: DeviceModule = {
  name: 'mempools',
  async discover(ctx) {
    const rows = await discoverMempools(ctx);
    await save(ctx, rows);
    return rows.length;
  },
  poll: pollOf(pollStep),
  pollStep,
};
