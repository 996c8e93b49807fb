// storage: disks only (memory is in mempools). The OS's tables from its definition; else
// hrStorageTable's disk types (fixed, network, removable, flash).
import mysql from 'mysql2/promise';
import { upsertSql } from '../db/index.js';
import { rrdFiles } from '../rrd/layout.js';
import { pollOf, replaceRows } from './table.js';
import { storedRows } from './stored.js';
import { hrPool, hrStorage, isDisk, poolsFromDefinition, type PoolRow } from './pools.js';
import { poolOids, pollPools, storePools, type StoredPool } from './mempools.js';
import type { DeviceModule, ModuleContext, PollStep } from './types.js';

export async function discoverStorage(ctx: ModuleContext): Promise<PoolRow[]> {
  const rows: PoolRow[] = [];
  for (const [i, t] of (ctx.def.storage ?? []).entries())
    rows.push(...(await poolsFromDefinition(ctx, t, 'Storage', i)));
  if (rows.length === 0 && !(ctx.def.skip_generic ?? []).includes('hrstorage')) {
    for (const r of await hrStorage(ctx)) if (isDisk(r)) rows.push(hrPool(r, 'hrstorage', r.type));
  }
  return rows;
}

const COLS = [
  'device_id',
  'storage_mib',
  'storage_index',
  'storage_type',
  'storage_descr',
  'storage_units',
  'storage_size',
  'storage_used',
  'storage_free',
  'storage_perc',
  'storage_used_oid',
  'storage_free_oid',
  'storage_perc_oid',
  'storage_deleted',
];

async function save(ctx: ModuleContext, rows: PoolRow[]): Promise<void> {
  const id = ctx.device.device_id;
  await replaceRows(
    ctx,
    'storage',
    upsertSql('storage', COLS, 3),
    rows.map((r) => [
      id,
      r.type,
      r.index,
      r.cls,
      r.descr,
      r.precision,
      r.total,
      r.used,
      r.free,
      Math.round(r.perc),
      r.usedOid,
      r.freeOid,
      r.percOid,
      0,
    ]),
    "CONCAT(storage_mib, ' ', storage_index)",
    rows.map((r) => `${r.type} ${r.index}`),
  );
}

const POOL_COLS = ['storage_used', 'storage_free', 'storage_size', 'storage_perc'];

interface StoredStorage extends StoredPool {
  mib: string;
  descr: string;
}

async function storedStorage(ctx: ModuleContext): Promise<StoredStorage[]> {
  const [rows] = await ctx.db.query<mysql.RowDataPacket[]>(
    `SELECT storage_id AS id, storage_mib AS mib, storage_descr AS descr, storage_perc_oid AS perc,
     storage_used_oid AS used, storage_free_oid AS free, storage_size_oid AS totalOid, storage_units AS prec,
     storage_size AS total FROM storage WHERE device_id = ? AND storage_deleted = 0`,
    [ctx.device.device_id],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    mib: String(r.mib),
    descr: String(r.descr),
    perc: r.perc,
    used: r.used,
    free: r.free,
    totalOid: r.totalOid,
    precision: Number(r.prec),
    total: Number(r.total),
  }));
}

async function pollStep(ctx: ModuleContext): Promise<PollStep | null> {
  const stored = await storedRows(ctx, 'storage', () => storedStorage(ctx));
  if (stored.length === 0) return null;
  return {
    oids: poolOids(stored),
    async finish(values) {
      const got = pollPools(ctx, stored, values);
      return storePools(ctx, 'storage', 'storage_id', POOL_COLS, got, (r) =>
        rrdFiles.storage(ctx.host, r.descr, r.mib),
      );
    },
  };
}

export const storageModule: DeviceModule = {
  name: 'storage',
  async discover(ctx) {
    const rows = await discoverStorage(ctx);
    await save(ctx, rows);
    return rows.length;
  },
  poll: pollOf(pollStep),
  pollStep,
};
