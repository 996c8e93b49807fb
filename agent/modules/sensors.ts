// sensors: numeric and state sensors. The OS's tables from its definition (class, value OID,
// description, divisor/multiplier, limits as numbers or OIDs, state texts) plus ENTITY-SENSOR-MIB
// (type entity-sensor) for every device that answers it. State sensors keep LibreNMS's
// state_indexes / state_translations / sensors_to_state_indexes. A poll GETs the stored OIDs.
import { discoverSensors } from './sensor-defs.js';
import { poll, pollStep, save } from './sensor-store.js';
import type { DeviceModule } from './types.js';

export { discoverSensors } from './sensor-defs.js';
export type { SensorRow } from './sensor-rows.js';

export const sensorsModule: DeviceModule = {
  name: 'sensors',
  async discover(ctx) {
    const rows = await discoverSensors(ctx);
    await save(ctx, rows);
    return rows.length;
  },
  poll,
  pollStep,
};
