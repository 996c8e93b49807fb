// Storing sensors (LibreNMS's sensors, state_indexes, state_translations,
// sensors_to_state_indexes) and polling them: a GET of the stored OIDs, the definition's
// value_match and conversion applied again, one UPDATE, one RRD point per sensor.
import mysql from 'mysql2/promise';
import { str } from '../snmp/values.js';
import { upsertSql, withRetry } from '../db/index.js';
import { rrdFiles } from '../rrd/layout.js';
import { scaled, type SensorRow } from './sensor-rows.js';
import { moduleWrite, pollOf, replaceRows, tableOf, valueOf } from './table.js';
import { storedRows } from './stored.js';
import type { SensorDef } from '../definitions/types.js';
import type { Cell } from '../snmp/types.js';
import type { ModuleContext, PollStep } from './types.js';

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

export async function save(ctx: ModuleContext, rows: SensorRow[]): Promise<void> {
  const id = ctx.device.device_id;
  await replaceRows(
    ctx,
    'sensors',
    upsertSql('sensors', COLS, 4),
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
    "CONCAT(sensor_class, ' ', sensor_type, ' ', sensor_index)",
    rows.map((r) => `${r.sensor_class} ${r.sensor_type} ${r.sensor_index}`),
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
      `INSERT INTO state_translations (state_index_id, state_descr, state_value, state_generic_value) VALUES ?
       ON DUPLICATE KEY UPDATE state_descr = VALUES(state_descr), state_generic_value = VALUES(state_generic_value)`,
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

interface StoredSensor {
  id: number;
  cls: string;
  type: string;
  index: string;
  oid: string;
  divisor: number;
  multiplier: number;
  /** The definition table it was discovered from (value_match, convert). */
  table: SensorDef | undefined;
}

async function storedSensors(ctx: ModuleContext): Promise<StoredSensor[]> {
  const [rows] = await ctx.db.query<mysql.RowDataPacket[]>(
    `SELECT sensor_id, sensor_class, sensor_type, sensor_index, sensor_oid, sensor_divisor, sensor_multiplier
     FROM sensors WHERE device_id = ? AND sensor_deleted = 0`,
    [ctx.device.device_id],
  );
  const byClass = new Map<string, SensorDef[]>();
  for (const d of ctx.def.sensors ?? []) byClass.set(d.class, [...(byClass.get(d.class) ?? []), d]);
  return rows.map((r) => ({
    id: Number(r.sensor_id),
    cls: String(r.sensor_class),
    type: String(r.sensor_type),
    index: String(r.sensor_index),
    oid: String(r.sensor_oid),
    divisor: Number(r.sensor_divisor) || 1,
    multiplier: Number(r.sensor_multiplier) || 1,
    table: tableOf(byClass.get(String(r.sensor_class)), String(r.sensor_oid)),
  }));
}

async function pollStep(ctx: ModuleContext): Promise<PollStep | null> {
  const rows = await storedRows(ctx, 'sensors', () => storedSensors(ctx));
  if (rows.length === 0) return null;
  return { oids: rows.map((r) => r.oid), finish: (values) => finish(ctx, rows, values) };
}

async function finish(ctx: ModuleContext, rows: StoredSensor[], values: Map<string, Cell>): Promise<number> {
  const texts = rows.some((r) => r.cls === 'state' && Buffer.isBuffer(values.get(r.oid)?.value))
    ? await storedRows(ctx, 'stateTexts', () => stateTexts(ctx, rows))
    : undefined;
  const updates: number[][] = [];
  const now = Date.now() / 1000;
  for (const r of rows) {
    const cell = values.get(r.oid);
    const text =
      texts && r.cls === 'state' && Buffer.isBuffer(cell?.value) ? texts.get(`${r.id} ${str(cell)}`) : undefined;
    const raw = text ?? valueOf(ctx, cell, r.oid, r.table);
    if (raw === null) continue;
    const v = r.cls === 'state' ? raw : scaled(raw, r.divisor, r.multiplier, r.table?.convert);
    if (v === null) continue;
    updates.push([r.id, v]);
    ctx.points.push({ def: rrdFiles.sensor(ctx.host, r.cls, r.index, r.type), time: now, values: [v] });
  }
  if (updates.length) {
    // assignments run left to right: sensor_prev takes the value before this poll's
    await moduleWrite(
      ctx,
      'sensors',
      `UPDATE sensors SET sensor_prev = sensor_current,
       sensor_current = CASE sensor_id ${updates.map(() => 'WHEN ? THEN ?').join(' ')} END
       WHERE sensor_id IN (?)`,
      [...updates.flat(), updates.map((u) => u[0])],
    );
  }
  return updates.length;
}

export const poll = pollOf(pollStep);
export { pollStep };

/**
 * The texts of the device's state sensors: `<sensor_id> <text>` → state value, from their
 * translations (written by discovery, so kept with the rows).
 */
async function stateTexts(ctx: ModuleContext, sensors: StoredSensor[]): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  const ids = sensors.filter((r) => r.cls === 'state').map((r) => r.id);
  if (ids.length === 0) return m;
  const [rows] = await ctx.db.query<mysql.RowDataPacket[]>(
    `SELECT l.sensor_id, t.state_descr, t.state_value FROM sensors_to_state_indexes l
     JOIN state_translations t ON t.state_index_id = l.state_index_id WHERE l.sensor_id IN (?)`,
    [ids],
  );
  for (const r of rows) m.set(`${r.sensor_id} ${r.state_descr}`, Number(r.state_value));
  return m;
}
