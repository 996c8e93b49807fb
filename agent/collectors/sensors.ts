// ENTITY-SENSOR-MIB sensors: entPhySensorTable values scaled by their scale and precision,
// named by entPhysicalName (entPhysicalDescr when it has none).
import { num, str } from '../snmp/values.js';
import type { Collector, SensorRecord } from './types.js';

const S = '1.3.6.1.2.1.99.1.1.1';
const C = { type: `${S}.1`, scale: `${S}.2`, precision: `${S}.3`, value: `${S}.4`, status: `${S}.5` };
const entPhysicalDescr = '1.3.6.1.2.1.47.1.1.1.1.2';
const entPhysicalName = '1.3.6.1.2.1.47.1.1.1.1.7';
/** entPhySensorType → LibreNMS sensor class. */
const CLASS: Record<number, string> = { 3: 'voltage', 4: 'voltage', 5: 'current', 6: 'power', 7: 'frequency', 8: 'temperature', 9: 'humidity', 10: 'fanspeed', 11: 'airflow', 14: 'dbm' };

export const sensorsCollector: Collector<SensorRecord[]> = {
  name: 'sensors',
  columns: [...Object.values(C), entPhysicalDescr, entPhysicalName],
  process({ columns }) {
    const out: SensorRecord[] = [];
    for (const [index, vb] of columns.get(C.value) ?? []) {
      const sensorClass = CLASS[num(columns.get(C.type)?.get(index)) ?? 0];
      if (!sensorClass || num(columns.get(C.status)?.get(index)) !== 1) continue; // other/unknown types, or not ok
      // scale 9 is units; each step is a factor of 1000 (yocto=1 ... yotta=17)
      const exponent = ((num(columns.get(C.scale)?.get(index)) ?? 9) - 9) * 3 - (num(columns.get(C.precision)?.get(index)) ?? 0);
      const divisor = exponent < 0 ? 10 ** -exponent : 1;
      const multiplier = exponent > 0 ? 10 ** exponent : 1;
      const raw = num(vb);
      const descr = str(columns.get(entPhysicalName)?.get(index)) || str(columns.get(entPhysicalDescr)?.get(index)) || `${sensorClass} ${index}`;
      out.push({ index, sensorClass, descr, value: raw === null ? null : (raw * multiplier) / divisor, oid: `${C.value}.${index}`, divisor, multiplier });
    }
    return out;
  },
};
