// Sensors from an OS's definition: one row per index of each table (class, value OID,
// description, divisor/multiplier, conversion, limits as numbers or OIDs, state texts), a table
// counted (`count_rows`), then ENTITY-SENSOR-MIB unless the OS skips it.
import type { Cell } from '../snmp/types.js';
import { str } from '../snmp/values.js';
import type { SensorDef } from '../definitions/types.js';
import { CISCO_ENTITY_SENSOR, ENTITY_SENSOR, entitySensors } from './entity-sensors.js';
import { DEFAULT_LIMITS, NO_LIMITS, scaled, type SensorRow } from './sensor-rows.js';
import { extraColumns, keepRow, numberOf, readTable, render, valueOf, valueOid, type TableData } from './table.js';
import type { ModuleContext } from './types.js';

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

/** A limit: a number as written, or the table's column at this index, scaled as the value is. */
function limitOf(ctx: ModuleContext, t: SensorDef, l: number | string | undefined, data: TableData, index: string) {
  if (l === undefined) return null;
  if (typeof l === 'number') return l;
  const raw = numberOf(ctx, data.cell(l, index), l);
  return raw === null ? null : scaled(raw, t.divisor ?? 1, t.multiplier ?? 1, t.convert);
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

async function fromDefinition(ctx: ModuleContext, t: SensorDef, position: number): Promise<SensorRow[]> {
  if (t.count_rows) return countRows(ctx, t, position);
  const data = await readTable(ctx.reader, t.oid, [...extraColumns(t), ...limitOids(t)], String(position));
  const out: SensorRow[] = [];
  const state = t.class === 'state';
  for (const index of data.indexes) {
    const cell = data.cell(t.oid, index);
    const raw = stateByText(t.states, cell) ?? valueOf(ctx, cell, t.oid, t);
    if (raw === null) continue;
    const descr = t.descr ? render(t.descr, index, data) : `${t.class} ${index}`;
    if (!keepRow(ctx, t, data, index, raw, descr)) continue;
    const current = state ? raw : scaled(raw, t.divisor ?? 1, t.multiplier ?? 1, t.convert);
    if (current === null) continue;
    const dflt = DEFAULT_LIMITS[t.class]?.(current);
    out.push({
      sensor_class: t.class,
      sensor_type: t.type ?? ctx.def.os,
      sensor_index: index,
      sensor_oid: valueOid(t.oid, index),
      sensor_descr: descr,
      sensor_divisor: state ? 1 : (t.divisor ?? 1),
      sensor_multiplier: state ? 1 : (t.multiplier ?? 1),
      sensor_current: current,
      sensor_limit: limitOf(ctx, t, t.high_limit, data, index) ?? dflt?.[1] ?? null,
      sensor_limit_low: limitOf(ctx, t, t.low_limit, data, index) ?? dflt?.[0] ?? null,
      sensor_limit_warn: limitOf(ctx, t, t.warn_limit, data, index),
      sensor_limit_low_warn: limitOf(ctx, t, t.low_warn_limit, data, index),
      entPhysicalIndex: null,
      ...(state ? { states: t.states } : {}),
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
  let hint: Map<string, number> | undefined;
  if ((ctx.def.use_generic ?? []).includes('cisco-entity-sensor')) {
    const cisco = await entitySensors(ctx, CISCO_ENTITY_SENSOR);
    rows.push(...cisco.rows);
    hint = cisco.types;
  }
  if (!(ctx.def.skip_generic ?? []).includes('entity-sensor'))
    rows.push(...(await entitySensors(ctx, ENTITY_SENSOR, hint)).rows);
  return rows;
}
