// `nms lab device down|up|snmp-down|snmp-up <n…>`: cuts simulated devices off for tests. Each
// device has an address of its own (198.19.0.0/16) on the devices host; an nftables table there
// drops everything to the addresses in its `down` set (no ICMP, no SNMP) and SNMP to those in
// `snmpdown` (ping still answers). The simulator itself is not touched.
import { UsageError } from '../../lib/errors.js';
import { DEVICE_FILTER_TABLE } from './network.js';
import { deviceAddress, deviceIndexOf, netnsName } from './plan.js';
import { must } from './sys.js';

export const DEVICE_ACTIONS = ['down', 'up', 'snmp-down', 'snmp-up', 'list'] as const;
export type DeviceAction = (typeof DEVICE_ACTIONS)[number];

export interface LabDevicesResult {
  action: DeviceAction;
  changed: { index: number; address: string }[];
  /** Devices that answer nothing now, by index. */
  down: number[];
  /** Devices that answer ping but not SNMP now, by index. */
  snmpDown: number[];
}

/** Device references as given (an index such as 3, or an address such as 198.19.0.4) to indexes. */
export function parseDeviceRefs(refs: string[], devices: number): number[] {
  const out = new Set<number>();
  for (const ref of refs) {
    const i = /^\d+$/.test(ref) ? Number(ref) : deviceIndexOf(ref);
    if (i === undefined || i >= devices) {
      const hint = `give an index from 0 to ${devices - 1} or its address (${deviceAddress(0)}…)`;
      throw new UsageError(`no simulated device "${ref}": ${hint}`);
    }
    out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

/** The nft script of an action: add to a set, or remove (add first, so removing a non-member is no error). */
export function deviceFilterScript(action: Exclude<DeviceAction, 'list'>, addresses: string[]): string {
  if (addresses.length === 0) return '';
  const el = `{ ${addresses.join(', ')} }`;
  const add = (set: string) => `add element ip ${DEVICE_FILTER_TABLE} ${set} ${el}\n`;
  const del = (set: string) => add(set) + `delete element ip ${DEVICE_FILTER_TABLE} ${set} ${el}\n`;
  switch (action) {
    case 'down':
      return add('down');
    case 'snmp-down':
      return add('snmpdown');
    case 'snmp-up':
      return del('snmpdown');
    case 'up':
      return del('down') + del('snmpdown');
  }
}

async function members(set: string): Promise<number[]> {
  const argv = ['netns', 'exec', netnsName('devices'), 'nft', '-j', 'list', 'set', 'ip', DEVICE_FILTER_TABLE, set];
  const out = await must('ip', argv, `reading the ${set} set`);
  const parsed = JSON.parse(out) as { nftables: { set?: { elem?: string[] } }[] };
  const elems = parsed.nftables.find((x) => x.set)?.set?.elem ?? [];
  return elems
    .map((a) => deviceIndexOf(a))
    .filter((i): i is number => i !== undefined)
    .sort((a, b) => a - b);
}

/** Applies an action to devices of a running lab with `devices` simulated devices. */
export async function applyDeviceAction(
  action: DeviceAction,
  refs: string[],
  devices: number,
): Promise<LabDevicesResult> {
  if (action !== 'list' && refs.length === 0) throw new UsageError(`name the devices: nms lab device ${action} 0 1 2`);
  const indexes = action === 'list' ? [] : parseDeviceRefs(refs, devices);
  const changed = indexes.map((index) => ({ index, address: deviceAddress(index) }));
  if (action !== 'list' && changed.length > 0) {
    const script = deviceFilterScript(
      action,
      changed.map((c) => c.address),
    );
    const argv = ['netns', 'exec', netnsName('devices'), 'nft', '-f', '-'];
    await must('ip', argv, `nms lab device ${action}`, { input: script });
  }
  return { action, changed, down: await members('down'), snmpDown: await members('snmpdown') };
}
