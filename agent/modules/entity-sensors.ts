// ENTITY-SENSOR-MIB sensors (type entity-sensor) for every device that answers it: class from
// entPhySensorType, value scaled by entPhySensorScale and entPhySensorPrecision, named after the entity.
import { num, str } from '../snmp/values.js';
import { numberOf, readTable, valueOid } from './table.js';
import { DEFAULT_LIMITS, scale, type SensorRow } from './sensor-rows.js';
import type { ModuleContext } from './types.js';

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
export async function entitySensors(ctx: ModuleContext): Promise<SensorRow[]> {
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
    const current = scale(raw, divisor, multiplier);
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
