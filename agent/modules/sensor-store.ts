// Storing sensors (LibreNMS's sensors, state_indexes, state_translations,
// sensors_to_state_indexes) and polling them: a GET of the stored OIDs, the definition's
// value_match and conversion applied again, one UPDATE, one RRD point per sensor.
import mysql from 'mysql2/promise';
import { str } from '../snmp/values.js';
import { upsertSql, withRetry } from '../db/index.js';
import { rrdFiles } from '../rrd/layout.js';
import { scaled, type SensorRow } from './sensor-rows.js';
import { getStored, tableOf, valueOf } from './table.js';
import type { ModuleContext } from './types.js';

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
  if (rows.length) {
    await withRetry(() =>
      ctx.db.query(upsertSql('sensors', COLS, 4), [
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
      ]),
    );
  }
  const keep = rows.map((r) => `${r.sensor_class} ${r.sensor_type} ${r.sensor_index}`);
  await withRetry(() =>
    ctx.db.query(
      keep.length
        ? `DELETE FROM sensors
           WHERE device_id = ? AND CONCAT(sensor_class, ' ', sensor_type, ' ', sensor_index) NOT IN (?)`
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

export async function poll(ctx: ModuleContext): Promise<number> {
  const [rows] = await ctx.db.query<mysql.RowDataPacket[]>(
    `SELECT sensor_id, sensor_class, sensor_type, sensor_index, sensor_oid, sensor_divisor, sensor_multiplier
     FROM sensors WHERE device_id = ? AND sensor_deleted = 0`,
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
    const t = tableOf(
      ctx.def.sensors?.filter((d) => d.class === r.sensor_class),
      String(r.sensor_oid),
    );
    const raw = texts.get(`${r.sensor_id} ${str(cell)}`) ?? valueOf(ctx, cell, r.sensor_oid, t);
    if (raw === null) continue;
    const v =
      r.sensor_class === 'state'
        ? raw
        : scaled(raw, Number(r.sensor_divisor) || 1, Number(r.sensor_multiplier) || 1, t?.convert);
    if (v === null) continue;
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
        `UPDATE sensors SET sensor_prev = sensor_current,
         sensor_current = CASE sensor_id ${updates.map(() => 'WHEN ? THEN ?').join(' ')} END
         WHERE sensor_id IN (?)`,
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
    `SELECT l.sensor_id, t.state_descr, t.state_value FROM sensors_to_state_indexes l
     JOIN state_translations t ON t.state_index_id = l.state_index_id WHERE l.sensor_id IN (?)`,
    [ids],
  );
  for (const r of rows) m.set(`${r.sensor_id} ${r.state_descr}`, Number(r.state_value));
  return m;
}
