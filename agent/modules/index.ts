// The device modules a discovery or poll runs after `os` (and ports, which the Poller runs
// itself), in order, and the switch that turns a module off: per OS with the definition's
// `disabled_modules`, per device with LibreNMS's devices_attribs `discover_<module>` /
// `poll_<module>` set to '0' (or '1' to turn on what the OS turns off).
import type { OsDefinition } from '../definitions/types.js';
import { mempoolsModule } from './mempools.js';
import { processorsModule } from './processors.js';
import { sensorsModule } from './sensors.js';
import { storageModule } from './storage.js';
import type { DeviceModule } from './types.js';
import { TABLE_MODULES } from './tables.js';

/** Every module of issue 12 by LibreNMS's name, whoever implements it. */
export const MODULE_NAMES = [
  'os',
  'ports',
  'processors',
  'mempools',
  'storage',
  'sensors',
  'entity-physical',
  'ipv4-addresses',
  'discovery-protocols',
  'ucd-diskio',
] as const;

/** Modules run through the generic loop, in order. Other branches add theirs here. */
export const DEVICE_MODULES: DeviceModule[] = [
  processorsModule,
  mempoolsModule,
  storageModule,
  sensorsModule,
  ...TABLE_MODULES,
];

/** Per-device switches as read from devices_attribs: `poll_<module>` / `discover_<module>` → '0' | '1'. */
export type ModuleAttribs = Map<string, string>;

export function moduleEnabled(
  name: string,
  kind: 'poll' | 'discovery',
  def: OsDefinition | undefined,
  attribs?: ModuleAttribs,
): boolean {
  const own = attribs?.get(`${kind === 'poll' ? 'poll' : 'discover'}_${name}`);
  if (own === '0') return false;
  if (own === '1') return true;
  return !(def?.disabled_modules ?? []).includes(name);
}

/** Parses `type=value,type=value` (the GROUP_CONCAT the device select reads). */
export function parseAttribs(v: unknown): ModuleAttribs {
  const m: ModuleAttribs = new Map();
  if (typeof v !== 'string' || v === '') return m;
  for (const e of v.split(',')) {
    const i = e.indexOf('=');
    if (i > 0) m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

export type { DeviceModule, ModuleContext } from './types.js';
