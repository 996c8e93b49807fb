// Config backup in the inventory (docs/config-backup.md): the devices' SSH logins in
// secrets.yaml (`device_ssh`, by device hostname) and the rules around role `config-backup`:
// one host at most, and every login for a device of devices.yaml.
import type { InventoryProblem } from '../../lib/errors.js';
import { problemAt, type SourceFile } from './source.js';
import type { DeviceSpec, HostSpec, Secrets } from './types.js';

/** The part of load.ts's LoadContext this rule reads (by shape: no import of the loader). */
export interface ConfigBackupRuleInput {
  hosts: HostSpec[];
  raw: { hosts: Record<string, { roles: readonly string[] }> };
  hostsSrc: SourceFile;
  secretsSrc?: SourceFile;
  secrets?: Secrets;
  devices: DeviceSpec[];
}

export function configBackup(ctx: ConfigBackupRuleInput): InventoryProblem[] {
  const out: InventoryProblem[] = [];
  const on = ctx.hosts.filter((h) => h.roles.includes('config-backup'));
  for (const h of on.slice(1))
    out.push(
      problemAt(
        ctx.hostsSrc,
        ['hosts', h.name, 'roles', ctx.raw.hosts[h.name].roles.indexOf('config-backup')],
        `role config-backup is already on host ${on[0].name}: one host keeps the configurations' history`,
      ),
    );
  const logins = ctx.secrets?.device_ssh;
  const src = ctx.secretsSrc;
  if (!src || !logins || typeof logins !== 'object') return out;
  const hostnames = new Set(ctx.devices.map((d) => d.hostname.toLowerCase()));
  for (const name of Object.keys(logins))
    if (!hostnames.has(name.toLowerCase()))
      out.push(problemAt(src, ['device_ssh', name], `${name} is not a device of devices.yaml: remove it`, true));
  if (Object.keys(logins).length && on.length === 0)
    out.push(
      problemAt(src, ['device_ssh'], 'no host has role config-backup: add it to a poller, or remove device_ssh', true),
    );
  return out;
}
