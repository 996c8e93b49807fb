// Every collector, in the order a poll runs them.
import type { Collector } from './types.js';
import { systemCollector } from './system.js';
import { portsCollector } from './ports.js';
import { entityPhysicalCollector } from './entity-physical.js';
import { ipv4AddressesCollector } from './ipv4-addresses.js';
import { discoveryProtocolsCollector } from './discovery-protocols.js';
import { ucdDiskioCollector } from './ucd-diskio.js';

// processors, mempools, storage and sensors are device modules (agent/modules/), driven by the OS definitions;
// the table modules (agent/modules/tables.ts) run these four collectors at discovery (ucd-diskio also at each poll)
export const COLLECTORS: Collector<unknown>[] = [
  systemCollector,
  portsCollector,
  entityPhysicalCollector,
  ipv4AddressesCollector,
  discoveryProtocolsCollector,
  ucdDiskioCollector,
];

export * from './types.js';
export * from './runner.js';
export { systemCollector, detectReboot } from './system.js';
export { portsCollector, portStatsCollector } from './ports.js';
export { entityPhysicalCollector } from './entity-physical.js';
export { ipv4AddressesCollector } from './ipv4-addresses.js';
export { discoveryProtocolsCollector } from './discovery-protocols.js';
export { ucdDiskioCollector } from './ucd-diskio.js';
