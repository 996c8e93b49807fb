// Every collector, in the order a poll runs them.
import type { Collector } from './types.js';
import { systemCollector } from './system.js';
import { portsCollector } from './ports.js';
import { processorsCollector } from './processors.js';
import { storageCollector } from './storage.js';
import { sensorsCollector } from './sensors.js';
import { entityPhysicalCollector } from './entity-physical.js';
import { ipv4AddressesCollector } from './ipv4-addresses.js';
import { discoveryProtocolsCollector } from './discovery-protocols.js';
import { ucdDiskioCollector } from './ucd-diskio.js';

export const COLLECTORS: Collector<unknown>[] = [systemCollector, portsCollector, processorsCollector, storageCollector, sensorsCollector];
/** Discovery-time modules with LibreNMS's tables (ucd-diskio is also polled). */
COLLECTORS.push(entityPhysicalCollector, ipv4AddressesCollector, discoveryProtocolsCollector, ucdDiskioCollector);

export * from './types.js';
export * from './runner.js';
export { systemCollector, detectReboot } from './system.js';
export { portsCollector, portStatsCollector } from './ports.js';
export { processorsCollector } from './processors.js';
export { storageCollector } from './storage.js';
export { sensorsCollector } from './sensors.js';
export { entityPhysicalCollector } from './entity-physical.js';
export { ipv4AddressesCollector } from './ipv4-addresses.js';
export { discoveryProtocolsCollector } from './discovery-protocols.js';
export { ucdDiskioCollector } from './ucd-diskio.js';
