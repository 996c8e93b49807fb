// Every collector, in the order a poll runs them.
import type { Collector } from './types.js';
import { systemCollector } from './system.js';
import { portsCollector } from './ports.js';
import { processorsCollector } from './processors.js';
import { storageCollector } from './storage.js';
import { sensorsCollector } from './sensors.js';

export const COLLECTORS: Collector<unknown>[] = [systemCollector, portsCollector, processorsCollector, storageCollector, sensorsCollector];

export * from './types.js';
export * from './runner.js';
export { systemCollector, detectReboot } from './system.js';
export { portsCollector, portStatsCollector } from './ports.js';
export { processorsCollector } from './processors.js';
export { storageCollector } from './storage.js';
export { sensorsCollector } from './sensors.js';
