// The lab's fixed names and addresses (docs/contracts.md "The lab"): one place, so `up`,
// `down`, `status` and leftover cleanup after a crash all agree on what belongs to the lab.
import { UsageError } from '../../lib/errors.js';

/** Lab state, the lab key and each host's overlay layers; fixed so a new clone finds leftovers. */
export const STATE_DIR = '/var/lib/nms-lab';
export const KEY_PATH = `${STATE_DIR}/id_ed25519`;
export const STATE_FILE = `${STATE_DIR}/state.json`;
export const HOSTS_DIR = `${STATE_DIR}/hosts`;
export const INIT_SCRIPT = `${STATE_DIR}/init.sh`;
/** known_hosts of every lab host, extra hosts included (the inventory's has only its own). */
export const ALL_KNOWN_HOSTS = `${STATE_DIR}/known_hosts`;

/** Every network namespace and link the lab makes starts with this; cleanup relies on it. */
export const PREFIX = 'nmslab';
export const BRIDGE = 'nmslab0';
export const BRIDGE_CIDR = '198.18.0.1/24';
export const SUBNET_PREFIX = '198.18.0.';

/** Directories overlaid in every host: the machine's copy is the lower layer. */
export const OVERLAID = ['etc', 'opt', 'usr', 'root', 'home', 'srv', 'var'] as const;

/** The devices host; it answers for every simulated device's own address (DEVICE_NETWORK). */
export const DEVICES_ADDRESS = '198.18.0.200';
/** Every simulated device listens on its own address (lib/device-addresses.ts), this port. */
export const DEVICE_PORT = 161;
export { DEVICE_NETWORK, DEVICE_NETWORK_BASE, deviceAddress, deviceIndexOf } from '../../lib/device-addresses.js';
export const FIRST_EXTRA_OCTET = 50;
export const MAX_POLLERS = FIRST_EXTRA_OCTET - 11;
/** The simulator's own limit (one UDP socket per device). */
export const MAX_DEVICES = 20000;

export type HostKind = 'master' | 'poller' | 'devices' | 'extra';

export interface HostPlan {
  name: string;
  address: string;
  kind: HostKind;
}

export function netnsName(host: string): string {
  return `${PREFIX}-${host}`;
}

/** Machine-side end of a host's veth; named by address octet to stay within IFNAMSIZ (15). */
export function vethName(address: string): string {
  return `${PREFIX}-v${address.split('.')[3]}`;
}

export function hostDir(host: string): string {
  return `${HOSTS_DIR}/${host}`;
}

const HOST_NAME = /^[a-z][a-z0-9-]{0,29}$/;

export function checkHostName(name: string): void {
  if (!HOST_NAME.test(name)) {
    throw new UsageError(
      `host name "${name}" is not valid: use a-z, 0-9 and "-", starting with a letter, at most 30 characters`,
    );
  }
}

/** The hosts of `nms lab up --pollers N`: master .10, pollerN .(10+N), devices .200. */
export function planHosts(pollers: number): HostPlan[] {
  const hosts: HostPlan[] = [{ name: 'master', address: `${SUBNET_PREFIX}10`, kind: 'master' }];
  for (let i = 1; i <= pollers; i++)
    hosts.push({ name: `poller${i}`, address: `${SUBNET_PREFIX}${10 + i}`, kind: 'poller' });
  hosts.push({ name: 'devices', address: DEVICES_ADDRESS, kind: 'devices' });
  return hosts;
}

export function checkShape(pollers: number, devices: number): void {
  if (!Number.isInteger(pollers) || pollers < 0 || pollers > MAX_POLLERS) {
    throw new UsageError(`--pollers must be a whole number from 0 to ${MAX_POLLERS}, got ${pollers}`);
  }
  if (!Number.isInteger(devices) || devices < 0 || devices > MAX_DEVICES) {
    throw new UsageError(`--devices must be a whole number from 0 to ${MAX_DEVICES}, got ${devices}`);
  }
}

/** Next free address for `nms lab add-host`: .50 upwards, below the devices host. */
export function nextExtraAddress(used: string[]): string {
  for (let octet = FIRST_EXTRA_OCTET; octet < 200; octet++) {
    const address = `${SUBNET_PREFIX}${octet}`;
    if (!used.includes(address)) return address;
  }
  throw new UsageError('no free lab address left for an extra host (198.18.0.50-199 are all taken)');
}
