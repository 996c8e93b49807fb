// Every collector, in the order a poll runs them.
import type { Collector } from './types.js';
import { systemCollector } from './system.js';
import { portsCollector } from './ports.js';

// processors, mempools, storage and sensors are device modules (agent/modules/), driven by the OS definitions
export const COLLECTORS: Collector<unknown>[] = [systemCollector, portsCollector];

export * from './types.js';
export * from './runner.js';
export { systemCollector, detectReboot } from './system.js';
export { portsCollector, portStatsCollector } from './ports.js';
