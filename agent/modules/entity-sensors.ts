// ENTITY-SENSOR-MIB sensors (type entity-sensor) for every device that answers it, and
// CISCO-ENTITY-SENSOR-MIB's table of the same shape (type cisco-entity-sensor) for the OSes that
// ask for it: class from the sensor's type, value scaled by its scale and precision, named after
// the entity.
import { num, str } from '../snmp/values.js';
import { numberOf, readTable, valueOid } from './table.js';
import { DEFAULT_LIMITS, scale, type SensorRow } from './sensor-rows.js';
import type { ModuleContext } from './types.js';

/** A sensor table of ENTITY-SENSOR-MIB's shape: type, scale, precision, value, status (columns 1-5). */
export interface SensorMib {
  base: string;
  /** sensor_type of its rows. */
  type: string;
  /** A row without a status counts (CISCO-ENTITY-SENSOR-MIB agents often leave it out). */
  statusOptional: boolean;
}
export const ENTITY_SENSOR: SensorMib = { base: '1.3.6.1.2.1.99.1.1.1', type: 'entity-sensor', statusOptional: false };
export const CISCO_ENTITY_SENSOR: SensorMib = {
  base: '1.3.6.1.4.1.9.9.91.1.1.1.1',
  type: 'cisco-entity-sensor',
  statusOptional: true,
};
const columns = (b: string) => ({
  type: `${b}.1`,
  scale: `${b}.2`,
  precision: `${b}.3`,
  value: `${b}.4`,
  status: `${b}.5`,
});
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

/**
 * The sensors of one table, values scaled by their scale (units = 9, each step ×1000) and
 * precision. `typeHint`: for a row whose type says "other", the type another table gives the
 * same entity (IOS-XE's optics are "other" in ENTITY-SENSOR-MIB, dBm in Cisco's). Returns the
 * rows and every row's type.
 */
export async function entitySensors(
  ctx: ModuleContext,
  mib: SensorMib = ENTITY_SENSOR,
  typeHint?: Map<string, number>,
): Promise<{ rows: SensorRow[]; types: Map<string, number> }> {
  const ESC = columns(mib.base);
  const data = await readTable(ctx.reader, ESC.value, [
    ESC.type,
    ESC.scale,
    ESC.precision,
    ESC.status,
    ENT_DESCR,
    ENT_NAME,
  ]);
  const out: SensorRow[] = [];
  const types = new Map<string, number>();
  for (const index of data.indexes) {
    let type = num(data.cell(ESC.type, index)) ?? 0;
    if (type === 1) type = typeHint?.get(index) ?? type;
    types.set(index, type);
    const cls = ES_CLASS[type];
    const status = num(data.cell(ESC.status, index));
    if (!cls || (status === null ? !mib.statusOptional : status !== 1)) continue; // other/unknown types, not ok
    const raw = numberOf(ctx, data.cell(ESC.value, index), ESC.value);
    if (raw === null) continue;
    const exponent = ((num(data.cell(ESC.scale, index)) ?? 9) - 9) * 3 - (num(data.cell(ESC.precision, index)) ?? 0);
    const divisor = exponent < 0 ? 10 ** -exponent : 1;
    const multiplier = exponent > 0 ? 10 ** exponent : 1;
    const descr = str(data.cell(ENT_NAME, index)) || str(data.cell(ENT_DESCR, index)) || `${cls} ${index}`;
    const current = scale(raw, divisor, multiplier);
    const dflt = DEFAULT_LIMITS[cls]?.(current);
    out.push({
      sensor_class: cls,
      sensor_type: mib.type,
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
  return { rows: out, types };
}
