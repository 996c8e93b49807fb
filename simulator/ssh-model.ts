// What a simulated device's SSH CLI says, as pure functions of (seed, device, generation, time):
// its login (per device, from the seed), and its configuration in the syntax of its family
// (IOS `show running-config`, Junos `show configuration | display set`, RouterOS `/export`).
// Every read carries one line that changes with the clock (IOS's ntp clock-period, Junos's and
// RouterOS's header timestamp); the rest changes only when the generation is bumped.
import { familyOf, type Family } from './families.js';
import { hash, portAlias, sysLocation, sysName, COMMUNITY } from './model.js';

/** The families whose simulated devices answer SSH. */
export const SSH_FAMILIES: readonly Family[] = ['ios', 'junos', 'routeros'];
export const SSH_USER = 'nmsbackup';

export function hasSshCli(device: number): boolean {
  return SSH_FAMILIES.includes(familyOf(device));
}

/** Device i's SSH login: user `nmsbackup`, a password derived from the seed and the index. */
export function sshCredentials(device: number, seed: number): { username: string; password: string } {
  const h = hash(seed, device, 0x55a, 0x77).toString(36) + hash(device, seed, 0x99).toString(36);
  return { username: SSH_USER, password: `sim-${h}` };
}

/** The command that prints the configuration, per family. */
export const CONFIG_COMMANDS: Record<Family, string | undefined> = {
  linux: undefined,
  ios: 'show running-config',
  junos: 'show configuration | display set',
  routeros: '/export',
};

export interface ConfigView {
  device: number;
  seed: number;
  /** Bumped by `nms-sim config-change`; starts at 0. */
  generation: number;
  /** When the generation last changed (ms since the epoch). */
  changedMs: number;
  nowMs: number;
}

const PORTS_SHOWN = 4;
const PORT_LIST = Array.from({ length: PORTS_SHOWN }, (_, k) => k + 1);
const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
const safe = (s: string) => s.replace(/["\\<>&']/g, '_');

function ios(v: ConfigView): string[] {
  const name = safe(sysName(v.device));
  const body = [
    '!',
    `! Last configuration change at ${stamp(v.changedMs)} UTC by admin`,
    '!',
    'version 15.2',
    'service timestamps log datetime msec',
    `hostname ${name}`,
    '!',
    `banner motd ^C config generation ${v.generation} ^C`,
    ...PORT_LIST.flatMap((p) => [
      `interface GigabitEthernet1/0/${p}`,
      ...(portAlias(v.device, p, v.seed) ? [` description ${safe(portAlias(v.device, p, v.seed))}`] : []),
      ' switchport mode access',
      '!',
    ]),
    `snmp-server community ${COMMUNITY} RO`,
    `snmp-server location ${safe(sysLocation(v.device))}`,
    // the clock's drift correction: a different number on every read
    `ntp clock-period ${17179869 + (v.nowMs % 997)}`,
    'end',
  ];
  const size = body.join('\n').length;
  return ['Building configuration...', '', `Current configuration : ${size} bytes`, ...body];
}

function junos(v: ConfigView): string[] {
  const name = safe(sysName(v.device));
  return [
    `## Last commit: ${stamp(v.nowMs)} UTC by admin`,
    'set version 21.4R1.9',
    `set system host-name ${name}`,
    `set system login message "config generation ${v.generation}"`,
    'set system services ssh',
    ...PORT_LIST.map((p) => {
      const alias = portAlias(v.device, p, v.seed);
      return `set interfaces ge-0/0/${p - 1} description "${alias ? safe(alias) : 'unused'}"`;
    }),
    `set snmp location "${safe(sysLocation(v.device))}"`,
    `set snmp community ${COMMUNITY} authorization read-only`,
  ];
}

function routeros(v: ConfigView): string[] {
  const name = safe(sysName(v.device));
  return [
    `# ${stamp(v.nowMs)} by RouterOS 7.12.1`,
    `# software id = SIM${v.device}`,
    '/interface ethernet',
    ...PORT_LIST.map((p) => {
      const alias = portAlias(v.device, p, v.seed);
      return `set [ find default-name=ether${p} ] comment="${alias ? safe(alias) : 'unused'}"`;
    }),
    '/snmp',
    `set enabled=yes location="${safe(sysLocation(v.device))}"`,
    '/system identity',
    `set name=${name}`,
    '/system note',
    `set note="config generation ${v.generation}"`,
  ];
}

/** The configuration text device `v.device` prints, or undefined for a family without SSH. */
export function deviceConfig(v: ConfigView): string | undefined {
  switch (familyOf(v.device)) {
    case 'ios':
      return ios(v).join('\n') + '\n';
    case 'junos':
      return junos(v).join('\n') + '\n';
    case 'routeros':
      return routeros(v).join('\n') + '\n';
    default:
      return undefined;
  }
}
