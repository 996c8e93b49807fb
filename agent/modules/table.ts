// Reads the rows a definition's table describes: a column walked (index by index), or scalars
// (OIDs ending in `.0`, one row with index 0); description templates; and the numbers in them,
// where a value invalid for its type is skipped and reported once per device.
import { num, str } from '../snmp/values.js';
import type { Cell } from '../snmp/types.js';
import type { SnmpReader } from '../definitions/reader.js';
import type { TableDef } from '../definitions/types.js';
import { withRetry } from '../db/index.js';
import type { ModuleContext, PollStep } from './types.js';

export interface TableData {
  /** Row indexes in walk order. */
  indexes: string[];
  /** The cell of `oid` (a column, or a scalar ending in `.0`) for a row. */
  cell(oid: string, index: string): Cell | undefined;
}

const isScalar = (oid: string) => oid.endsWith('.0');

/**
 * Walks `driver` and the other columns, GETs the scalars. A scalar driver gives one row whose
 * index is `scalarIndex` (the table's place in its definition, so that two scalar tables differ).
 */
export async function readTable(
  reader: SnmpReader,
  driver: string,
  others: (string | undefined)[],
  scalarIndex = '0',
): Promise<TableData> {
  const all = [...new Set([driver, ...others.filter((o): o is string => !!o)])];
  const scalars = all.filter(isScalar);
  const columns = all.filter((o) => !isScalar(o));
  const got = scalars.length ? await reader.get(scalars) : new Map<string, Cell>();
  const walked = columns.length ? await reader.walk(columns) : new Map<string, Map<string, Cell>>();
  const indexes = isScalar(driver) ? (got.has(driver) ? [scalarIndex] : []) : [...(walked.get(driver)?.keys() ?? [])];
  return { indexes, cell: (oid, index) => (isScalar(oid) ? got.get(oid) : walked.get(oid)?.get(index)) };
}

/** The OID of a value as LibreNMS stores it (leading dot). */
export const valueOid = (oid: string, index: string) => (isScalar(oid) ? `.${oid}` : `.${oid}.${index}`);

/** Column OIDs a description template reads (`{{ 1.3.6... }}`). */
export const templateColumns = (t: string | undefined): string[] =>
  [...(t ?? '').matchAll(/\{\{\s*([\d.]+)\s*\}\}/g)].map((m) => m[1]);

/** `{{ $index }}`, `{{ $index:2 }}` (the index's second part), `{{ <oid> }}` filled in. */
export function render(t: string, index: string, data: TableData): string {
  return t
    .replace(/\{\{\s*(\$index(?::(\d+))?|[\d.]+)\s*\}\}/g, (_, k: string, part: string | undefined) => {
      if (part) return index.split('.')[Number(part) - 1] ?? '';
      return k === '$index' ? index : (str(data.cell(k, index)) ?? '');
    })
    .trim();
}

/**
 * A number from a cell, or null. A value that is not a number (text where an integer belongs,
 * as some recordings hold) is logged once per device and OID column, and skipped.
 */
export function numberOf(
  ctx: Pick<ModuleContext, 'log' | 'invalid' | 'device'>,
  cell: Cell | undefined,
  oid: string,
): number | null {
  if (!cell || cell.value === null) return null;
  const n = num(cell);
  if (n === null || !Number.isFinite(n)) {
    if (!ctx.invalid.has(oid)) {
      ctx.invalid.add(oid);
      ctx.log.warn('invalid_value', { device_id: ctx.device.device_id, oid, type: cell.type });
    }
    return null;
  }
  return n;
}

/**
 * The number of a cell of table `t`: read from its text with the table's `value_match` when it
 * has one and the cell is text, else as numberOf does.
 */
export function valueOf(
  ctx: Pick<ModuleContext, 'log' | 'invalid' | 'device' | 'set'>,
  cell: Cell | undefined,
  oid: string,
  t: TableDef | undefined,
): number | null {
  if (t?.value_match && cell && Buffer.isBuffer(cell.value)) {
    const m = ctx.set.regex.get(t.value_match)?.exec(str(cell) ?? '');
    const n = m ? Number(m[1] ?? m[0]) : NaN;
    if (Number.isFinite(n)) return n;
  }
  return numberOf(ctx, cell, oid);
}

/** The table of `list` a stored OID (leading dot) was discovered from. */
export const tableOf = <T extends TableDef>(list: T[] | undefined, stored: string): T | undefined =>
  list?.find((t) => stored === `.${t.oid}` || stored.startsWith(`.${t.oid}.`));

/** GETs stored OIDs (leading dot) for a poll; values by the same dotted OID. */
export async function getStored(reader: SnmpReader, oids: (string | null | undefined)[]): Promise<Map<string, Cell>> {
  const want = [...new Set(oids.filter((o): o is string => !!o).map((o) => o.replace(/^\./, '')))];
  const got = want.length ? await reader.get(want) : new Map<string, Cell>();
  const out = new Map<string, Cell>();
  for (const [k, v] of got) out.set(`.${k}`, v);
  return out;
}

/** A module's whole poll from its two halves: its own GET between them. */
export const pollOf =
  (step: (ctx: ModuleContext) => Promise<PollStep | null>) =>
  async (ctx: ModuleContext): Promise<number> => {
    const s = await step(ctx);
    return s ? s.finish(await getStored(ctx.reader, s.oids)) : 0;
  };

/**
 * A module's write during a poll: queued in the poll's batch when it has one (a statement the
 * server refuses is then logged as the module's failure), else sent now.
 */
export async function moduleWrite(
  ctx: Pick<ModuleContext, 'db' | 'writes' | 'log' | 'device'>,
  module: string,
  sql: string,
  args: unknown[],
): Promise<void> {
  if (!ctx.writes) {
    await withRetry(() => ctx.db.query(sql, args));
    return;
  }
  ctx.writes.add(sql, args, {
    onError: (err) => ctx.log.warn('module_failed', { device_id: ctx.device.device_id, module, error: err.message }),
  });
}

/**
 * Updates several columns of several rows by primary key in one statement (`rows`: [id, ...values
 * in `cols` order]), through moduleWrite.
 */
export async function updateRows(
  ctx: Pick<ModuleContext, 'db' | 'writes' | 'log' | 'device'>,
  table: string,
  pk: string,
  cols: string[],
  rows: (number | string | null)[][],
): Promise<void> {
  if (rows.length === 0) return;
  const sets = cols.map((c) => `${c} = CASE ${pk} ${rows.map(() => 'WHEN ? THEN ?').join(' ')} ELSE ${c} END`);
  const args: unknown[] = [];
  cols.forEach((_, i) => rows.forEach((r) => args.push(r[0], r[i + 1])));
  args.push(rows.map((r) => r[0]));
  await moduleWrite(ctx, table, `UPDATE ${table} SET ${sets.join(', ')} WHERE ${pk} IN (?)`, args);
}

/**
 * What a discovery found of a device module: `values` (rows in the column order of `upsert`,
 * an INSERT ... VALUES ? ON DUPLICATE KEY UPDATE) upserted, then the device's rows whose key
 * (`keyExpr`, SQL over the row) is not among `keys` deleted, as LibreNMS removes what its
 * discovery no longer finds.
 */
export async function replaceRows(
  ctx: Pick<ModuleContext, 'db' | 'device'>,
  table: string,
  upsert: string,
  values: unknown[][],
  keyExpr: string,
  keys: string[],
): Promise<void> {
  const id = ctx.device.device_id;
  if (values.length) await withRetry(() => ctx.db.query(upsert, [values]));
  await withRetry(() =>
    ctx.db.query(
      keys.length
        ? `DELETE FROM ${table} WHERE device_id = ? AND ${keyExpr} NOT IN (?)`
        : `DELETE FROM ${table} WHERE device_id = ?`,
      keys.length ? [id, keys] : [id],
    ),
  );
}

/** What a table's `where` tests for a row: its column's number, or a part of its index. */
function whereValue(w: NonNullable<TableDef['where']>, data: TableData, index: string): number {
  if (w.part) return Number(index.split('.')[w.part - 1]);
  return num(data.cell(w.oid!, index)) ?? NaN;
}

/** False when the row fails the table's skip_zero, skip_descr, keep_descr, where or skip_values rules. */
export function keepRow(
  ctx: Pick<ModuleContext, 'set'>,
  t: TableDef,
  data: TableData,
  index: string,
  value: number,
  descr: string,
): boolean {
  if (t.skip_values?.includes(value)) return false;
  if (t.skip_descr?.some((r) => ctx.set.regex.get(r)!.test(descr))) return false;
  if (t.keep_descr && !t.keep_descr.some((r) => ctx.set.regex.get(r)!.test(descr))) return false;
  if (t.where && !t.where.in.includes(whereValue(t.where, data, index))) return false;
  return !(t.skip_zero ?? []).some((c) => !num(data.cell(c, index)));
}

/** Every column a table definition reads besides its value: template, filters. */
export const extraColumns = (t: TableDef): string[] => [
  ...templateColumns(t.descr),
  ...(t.skip_zero ?? []),
  ...(t.where?.oid ? [t.where.oid] : []),
];
