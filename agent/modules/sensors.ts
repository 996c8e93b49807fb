// sensors: numeric and state sensors. The OS's tables from its definition (class, value OID,
// description, divisor/multiplier, limits as numbers or OIDs, state texts) plus ENTITY-SENSOR-MIB
// (type entity-sensor) for every device that answers it. State sensors keep LibreNMS's
// state_indexes / state_translations / sensors_to_state_indexes. A poll GETs the stored OIDs.
import mysql from 'mysql2/promise';
import { num, str } from '../snmp/values.js';
import type { Cell } from '../snmp/types.js';
import { withRetry } from '../db/index.js';
import { rrdFiles } from '../rrd/layout.js';
import type { SensorDef } from '../definitions/types.js';
import { extraColumns, getStored, keepRow, numberOf, readTable, render, valueOid, type TableData } from './table.js';
import type { DeviceModule, ModuleContext } from './types.js';

export interface SensorRow {
  sensor_class: string;
  sensor_type: string;
  sensor_index: string;
  sensor_oid: string;
  sensor_descr: string;
  sensor_divisor: number;
  sensor_multiplier: number;
  sensor_current: number | null;
  sensor_limit: number | null;
  sensor_limit_low: number | null;
  sensor_limit_warn: number | null;
  sensor_limit_low_warn: number | null;
  entPhysicalIndex: string | null;
  /** State sensors: their texts (state_name is sensor_type). */
  states?: SensorDef['states'];
}

/** Limits from the first reading when the device gives none (LibreNMS's defaults): [low, high]. */
const DEFAULT_LIMITS: Record<string, (v: number) => [number, number]> = {
  temperature: (v) => [v - 10, v + 20],
  fanspeed: (v) => [round2(v * 0.8), round2(v * 1.8)],
};
const round2 = (x: number) => Math.round(x * 100) / 100;

const scaled = (raw: number, divisor: number, multiplier: number) => (raw * multiplier) / divisor;

/** Some agents answer a state as its text (`ready`): the state whose text it is, else null. */
function stateByText(states: SensorDef['states'], cell: Cell | undefined): number | null {
  if (!states || !cell || !Buffer.isBuffer(cell.value)) return null;
  const text = str(cell);
  return states.find((s) => s.descr === text)?.value ?? null;
}

const OIDISH = /^\d+(\.\d+)+$/;
const limitOids = (t: SensorDef) =>
  [t.high_limit, t.low_limit, t.warn_limit, t.low_warn_limit].filter(
    (l): l is string => typeof l === 'string' && OIDISH.test(l),
  );

function limitOf(
  ctx: ModuleContext,
  l: number | string | undefined,
  data: TableData,
  index: string,
  divisor: number,
  multiplier: number,
): number | null {
  if (l === undefined) return null;
  if (typeof l === 'number') return l;
  const raw = numberOf(ctx, data.cell(l, index), l);
  return raw === null ? null : scaled(raw, divisor, multiplier);
}

/** A `count_rows` table: one sensor, the number of rows the table has (none when it has none). */
async function countRows(ctx: ModuleContext, t: SensorDef, position: number): Promise<SensorRow[]> {
  const data = await readTable(ctx.reader, t.oid, []);
  if (data.indexes.length === 0) return [];
  return [
    {
      ...NO_LIMITS,
      sensor_class: t.class,
      sensor_type: t.type ?? ctx.def.os,
      sensor_index: String(position),
      sensor_oid: `.${t.oid}`,
      sensor_descr: t.descr ?? `${t.class} ${position}`,
      sensor_divisor: 1,
      sensor_multiplier: 1,
      sensor_current: data.indexes.length,
      entPhysicalIndex: null,
    },
  ];
}

const NO_LIMITS = { sensor_limit: null, sensor_limit_low: null, sensor_limit_warn: null, sensor_limit_low_warn: null };

async function fromDefinition(ctx: ModuleContext, t: SensorDef, position: number): Promise<SensorRow[]> {
  if (t.count_rows) return countRows(ctx, t, position);
  const data = await readTable(ctx.reader, t.oid, [...extraColumns(t), ...limitOids(t)], String(position));
  const out: SensorRow[] = [];
  const divisor = t.divisor ?? 1;
  const multiplier = t.multiplier ?? 1;
  const type = t.type ?? ctx.def.os;
  for (const index of data.indexes) {
    const raw = stateByText(t.states, data.cell(t.oid, index)) ?? numberOf(ctx, data.cell(t.oid, index), t.oid);
    if (raw === null) continue;
    const descr = t.descr ? render(t.descr, index, data) : `${t.class} ${index}`;
    if (!keepRow(ctx, t, data, index, raw, descr)) continue;
    const state = t.class === 'state';
    const current = state ? raw : scaled(raw, divisor, multiplier);
    const dflt = DEFAULT_LIMITS[t.class]?.(current);
    out.push({
      sensor_class: t.class,
      sensor_type: type,
      sensor_index: index,
      sensor_oid: valueOid(t.oid, index),
      sensor_descr: descr,
      sensor_divisor: state ? 1 : divisor,
      sensor_multiplier: state ? 1 : multiplier,
      sensor_current: current,
      sensor_limit: limitOf(ctx, t.high_limit, data, index, divisor, multiplier) ?? dflt?.[1] ?? null,
      sensor_limit_low: limitOf(ctx, t.low_limit, data, index, divisor, multiplier) ?? dflt?.[0] ?? null,
      sensor_limit_warn: limitOf(ctx, t.warn_limit, data, index, divisor, multiplier),
      sensor_limit_low_warn: limitOf(ctx, t.low_warn_limit, data, index, divisor, multiplier),
      entPhysicalIndex: null,
      ...(state ? { states: t.states } : {}),
    });
  }
  return out;
}

const ES = '1.3.6.1.2.1.99.1.1.1';
const ESC = { type: `${ES}.1`, scale: `${ES}.2`, precision: `${ES}.3`, value: `${ES}.4`, status: `${ES}.5` };
const ENT_DESCR = '1.3.6.1.2.1.47.1.1.1.1.2';
const ENT_NAME = '1.3.6.1.2.1.47.1.1.1.1.7';
/** entPhySensorType → LibreNMS sensor class. */
const ES_CLASS: Record<number, string> = {
  3: 'voltage',
  4: 'voltage',
  5: 'current',
  6: 'power',
  7: 'frequency',
  8: 'temperature',
  9: 'humidity',
  10: 'fanspeed',
  11: 'airflow',
  14: 'dbm',
};

/** ENTITY-SENSOR-MIB: values scaled by their scale (units = 9, each step ×1000) and precision. */
async function entitySensors(ctx: ModuleContext): Promise<SensorRow[]> {
  const data = await readTable(ctx.reader, ESC.value, [
    ESC.type,
    ESC.scale,
    ESC.precision,
    ESC.status,
    ENT_DESCR,
    ENT_NAME,
  ]);
  const out: SensorRow[] = [];
  for (const index of data.indexes) {
    const cls = ES_CLASS[num(data.cell(ESC.type, index)) ?? 0];
    if (!cls || num(data.cell(ESC.status, index)) !== 1) continue; // other/unknown types, or not ok
    const raw = numberOf(ctx, data.cell(ESC.value, index), ESC.value);
    if (raw === null) continue;
    const exponent = ((num(data.cell(ESC.scale, index)) ?? 9) - 9) * 3 - (num(data.cell(ESC.precision, index)) ?? 0);
    const divisor = exponent < 0 ? 10 ** -exponent : 1;
    const multiplier = exponent > 0 ? 10 ** exponent : 1;
    const descr = str(data.cell(ENT_NAME, index)) || str(data.cell(ENT_DESCR, index)) || `${cls} ${index}`;
    const current = scaled(raw, divisor, multiplier);
    const dflt = DEFAULT_LIMITS[cls]?.(current);
    out.push({
      sensor_class: cls,
      sensor_type: 'entity-sensor',
      sensor_index: index,
      sensor_oid: valueOid(ESC.value, index),
      sensor_descr: descr,
      sensor_divisor: divisor,
      sensor_multiplier: multiplier,
      sensor_current: current,
      sensor_limit: dflt?.[1] ?? null,
      sensor_limit_low: dflt?.[0] ?? null,
      sensor_limit_warn: null,
      sensor_limit_low_warn: null,
      entPhysicalIndex: index,
    });
  }
  return out;
}

export async function discoverSensors(ctx: ModuleContext): Promise<SensorRow[]> {
  const rows: SensorRow[] = [];
  const seen = new Set<string>();
  for (const [i, t] of (ctx.def.sensors ?? []).entries()) {
    for (const r of await fromDefinition(ctx, t, i)) {
      // two tables of one class and type (an optic's Rx and Tx power) share indexes: the table's place tells them apart
      if (seen.has(`${r.sensor_class} ${r.sensor_type} ${r.sensor_index}`)) r.sensor_index = `${r.sensor_index}.${i}`;
      seen.add(`${r.sensor_class} ${r.sensor_type} ${r.sensor_index}`);
      rows.push(r);
    }
  }
  if (!(ctx.def.skip_generic ?? []).includes('entity-sensor')) rows.push(...(await entitySensors(ctx)));
  return rows;
}

const COLS = [
  'device_id',
  'sensor_class',
  'sensor_type',
  'sensor_index',
  'poller_type',
  'sensor_oid',
  'sensor_descr',
  'sensor_divisor',
  'sensor_multiplier',
  'sensor_current',
  'sensor_limit',
  'sensor_limit_low',
  'sensor_limit_warn',
  'sensor_limit_low_warn',
  'entPhysicalIndex',
  'sensor_deleted',
];

async function save(ctx: ModuleContext, rows: SensorRow[]): Promise<void> {
  const id = ctx.device.device_id;
  if (rows.length) {
    await withRetry(() =>
      ctx.db.query(
        `INSERT INTO sensors (${COLS.join(', ')}) VALUES ? ON DUPLICATE KEY UPDATE ${COLS.slice(4)
          .map((c) => `${c} = VALUES(${c})`)
          .join(', ')}`,
        [
          rows.map((r) => [
            id,
            r.sensor_class,
            r.sensor_type,
            r.sensor_index,
            'snmp',
            r.sensor_oid,
            r.sensor_descr.slice(0, 255),
            r.sensor_divisor,
            r.sensor_multiplier,
            r.sensor_current,
            r.sensor_limit,
            r.sensor_limit_low,
            r.sensor_limit_warn,
            r.sensor_limit_low_warn,
            r.entPhysicalIndex,
            0,
          ]),
        ],
      ),
    );
  }
  const keep = rows.map((r) => `${r.sensor_class} ${r.sensor_type} ${r.sensor_index}`);
  await withRetry(() =>
    ctx.db.query(
      keep.length
        ? "DELETE FROM sensors WHERE device_id = ? AND CONCAT(sensor_class, ' ', sensor_type, ' ', sensor_index) NOT IN (?)"
        : 'DELETE FROM sensors WHERE device_id = ?',
      keep.length ? [id, keep] : [id],
    ),
  );
  await saveStates(
    ctx,
    rows.filter((r) => r.states?.length),
  );
}

/** state_indexes and state_translations per state name, and each state sensor's link to its index. */
async function saveStates(ctx: ModuleContext, rows: SensorRow[]): Promise<void> {
  if (rows.length === 0) return;
  const names = [...new Map(rows.map((r) => [r.sensor_type, r.states!])).entries()];
  await withRetry(() =>
    ctx.db.query('INSERT IGNORE INTO state_indexes (state_name) VALUES ?', [names.map(([n]) => [n])]),
  );
  const [idx] = await ctx.db.query<mysql.RowDataPacket[]>(
    'SELECT state_index_id, state_name FROM state_indexes WHERE state_name IN (?)',
    [names.map(([n]) => n)],
  );
  const idOf = new Map(idx.map((r) => [String(r.state_name), Number(r.state_index_id)]));
  const translations = names.flatMap(([n, states]) => states.map((s) => [idOf.get(n), s.descr, s.value, s.generic]));
  await withRetry(() =>
    ctx.db.query(
      'INSERT INTO state_translations (state_index_id, state_descr, state_value, state_generic_value) VALUES ? ON DUPLICATE KEY UPDATE state_descr = VALUES(state_descr), state_generic_value = VALUES(state_generic_value)',
      [translations],
    ),
  );
  const [sensors] = await ctx.db.query<mysql.RowDataPacket[]>(
    "SELECT sensor_id, sensor_type FROM sensors WHERE device_id = ? AND sensor_class = 'state'",
    [ctx.device.device_id],
  );
  const links = sensors
    .filter((s) => idOf.has(String(s.sensor_type)))
    .map((s) => [Number(s.sensor_id), idOf.get(String(s.sensor_type))]);
  if (links.length)
    await withRetry(() =>
      ctx.db.query('INSERT IGNORE INTO sensors_to_state_indexes (sensor_id, state_index_id) VALUES ?', [links]),
    );
}

async function poll(ctx: ModuleContext): Promise<number> {
  const [rows] = await ctx.db.query<mysql.RowDataPacket[]>(
    'SELECT sensor_id, sensor_class, sensor_type, sensor_index, sensor_oid, sensor_divisor, sensor_multiplier FROM sensors WHERE device_id = ? AND sensor_deleted = 0',
    [ctx.device.device_id],
  );
  if (rows.length === 0) return 0;
  const values = await getStored(
    ctx.reader,
    rows.map((r) => r.sensor_oid as string),
  );
  const texts = await stateTexts(
    ctx,
    rows
      .filter((r) => r.sensor_class === 'state' && Buffer.isBuffer(values.get(r.sensor_oid)?.value))
      .map((r) => Number(r.sensor_id)),
  );
  const updates: (number | null)[][] = [];
  const now = Date.now() / 1000;
  for (const r of rows) {
    const cell = values.get(r.sensor_oid);
    const raw = texts.get(`${r.sensor_id} ${str(cell)}`) ?? numberOf(ctx, cell, r.sensor_oid);
    if (raw === null) continue;
    const v = scaled(raw, Number(r.sensor_divisor) || 1, Number(r.sensor_multiplier) || 1);
    updates.push([Number(r.sensor_id), v]);
    ctx.points.push({
      def: rrdFiles.sensor(ctx.host, String(r.sensor_class), String(r.sensor_index), String(r.sensor_type)),
      time: now,
      values: [v],
    });
  }
  if (updates.length) {
    // assignments run left to right: sensor_prev takes the value before this poll's
    await withRetry(() =>
      ctx.db.query(
        `UPDATE sensors SET sensor_prev = sensor_current, sensor_current = CASE sensor_id ${updates.map(() => 'WHEN ? THEN ?').join(' ')} END WHERE sensor_id IN (?)`,
        [...updates.flat(), updates.map((u) => u[0])],
      ),
    );
  }
  return updates.length;
}

/** For state sensors answered as text: `<sensor_id> <text>` → state value, from their translations. */
async function stateTexts(ctx: ModuleContext, ids: number[]): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  if (ids.length === 0) return m;
  const [rows] = await ctx.db.query<mysql.RowDataPacket[]>(
    `SELECT l.sensor_id, t.state_descr, t.state_value FROM sensors_to_state_indexes l JOIN state_translations t ON t.state_index_id = l.state_index_id WHERE l.sensor_id IN (?)`,
    [ids],
  );
  for (const r of rows) m.set(`${r.sensor_id} ${r.state_descr}`, Number(r.state_value));
  return m;
}

export const sensorsModule: DeviceModule = {
  name: 'sensors',
  async discover(ctx) {
    const rows = await discoverSensors(ctx);
    await save(ctx, rows);
    return rows.length;
  },
  poll,
};
