// `nms device add|list|remove`: day-to-day device changes in devices.yaml without editing YAML.
// The inventory stays the source of truth: each change is validated like `nms inventory check`
// (and undone when the result does not validate), then pushed by a deploy of the database
// host, now with --deploy or later by the user. SNMP secrets may come from the environment
// (NMS_SNMP_COMMUNITY, NMS_SNMP_AUTHPASS, NMS_SNMP_CRYPTOPASS) so they stay out of argv.
import type { Command } from 'commander';
import { InventoryError, UsageError } from '../../lib/errors.js';
import { loadInventory, type RawDevice } from '../inventory/load.js';
import { addDevice, privateDevicesFile, removeDevice } from '../inventory/write.js';
import type { DeviceSpec } from '../inventory/types.js';
import { deploy, type DeployResult } from '../deploy/runner.js';
import { formatRecap } from '../deploy/recap.js';
import { output } from '../../lib/run.js';
import { inventoryOption } from './options.js';

export interface DeviceAddOptions {
  inventory: string;
  hostname: string;
  port?: number;
  group?: number;
  transport?: 'udp' | 'udp6';
  /** v1 | v2c | v3. Default v2c. */
  version?: string;
  community?: string;
  authlevel?: string;
  authname?: string;
  authpass?: string;
  authalgo?: string;
  cryptopass?: string;
  cryptoalgo?: string;
}

/** The devices.yaml entry for the flags; secrets fall back to the NMS_SNMP_* variables. */
export function rawDevice(o: DeviceAddOptions, env: NodeJS.ProcessEnv = process.env): RawDevice {
  const version = o.version ?? 'v2c';
  const snmp: Record<string, string> = { version };
  if (version === 'v3') {
    const v3 = {
      authlevel: o.authlevel ?? 'authPriv',
      authname: o.authname,
      authpass: o.authpass ?? env.NMS_SNMP_AUTHPASS,
      authalgo: o.authalgo,
      cryptopass: o.cryptopass ?? env.NMS_SNMP_CRYPTOPASS,
      cryptoalgo: o.cryptoalgo,
    };
    for (const [k, v] of Object.entries(v3)) if (v !== undefined && v !== '') snmp[k] = v;
  } else {
    const community = o.community ?? env.NMS_SNMP_COMMUNITY;
    if (!community)
      throw new UsageError(`a ${version} device needs a community`, {
        hint: 'pass --community, or set NMS_SNMP_COMMUNITY to keep it out of the process list',
      });
    snmp.community = community;
  }
  const d: RawDevice = { hostname: o.hostname, snmp };
  if (o.port !== undefined) d.port = o.port;
  if (o.transport) d.transport = o.transport;
  if (o.group !== undefined) d.poller_group = o.group;
  return d;
}

/** Adds the device; when the inventory then fails validation the device is taken out again. */
export async function deviceAdd(o: DeviceAddOptions): Promise<DeviceSpec> {
  privateDevicesFile(o.inventory);
  const before = await loadInventory(o.inventory);
  const raw = rawDevice(o);
  addDevice(before.dir, raw);
  try {
    const after = await loadInventory(o.inventory);
    return after.devices.find((d) => d.hostname === raw.hostname && d.port === (raw.port ?? 161))!;
  } catch (err) {
    removeDevice(before.dir, raw.hostname, raw.port ?? 161);
    if (err instanceof InventoryError)
      throw new InventoryError(err.problems.map((p) => ({ ...p, message: `${p.message} (the device was not added)` })));
    throw err;
  }
}

export async function deviceRemove(o: { inventory: string; hostname: string; port?: number }): Promise<number> {
  privateDevicesFile(o.inventory);
  const inv = await loadInventory(o.inventory);
  const n = inv.devices.filter((d) => d.hostname === o.hostname && (o.port === undefined || d.port === o.port)).length;
  if (n === 0)
    throw new UsageError(`no device ${o.hostname}${o.port ? `:${o.port}` : ''} in ${inv.name}/devices.yaml`, {
      hint: 'see them with `nms device list`',
    });
  return removeDevice(inv.dir, o.hostname, o.port);
}

/** Devices without their secrets. */
export async function deviceList(
  inventory: string,
): Promise<Array<{ hostname: string; port: number; transport: string; poller_group: number; version: string }>> {
  const inv = await loadInventory(inventory);
  return inv.devices.map((d) => ({
    hostname: d.hostname,
    port: d.port,
    transport: d.transport,
    poller_group: d.poller_group,
    version: d.snmp.version,
  }));
}

/** Pushes devices.yaml to the database (a deploy of the database host; `prune` removes devices no longer listed). */
export async function deployDevices(inventory: string, prune: boolean): Promise<DeployResult> {
  const inv = await loadInventory(inventory);
  return deploy({
    inventory: inv,
    limit: [inv.services.mariadb.name],
    prune,
    onEvent: (h, m) => process.stderr.write(`[${h}] ${m}\n`),
  });
}

function int(flag: string, min: number, max: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new UsageError(`${flag} must be a whole number ${min}-${max} (got ${JSON.stringify(v)})`);
    return n;
  };
}

async function maybeDeploy(
  o: { inventory: string; deploy?: boolean; json?: boolean },
  prune: boolean,
  what: string,
): Promise<void> {
  if (!o.deploy) {
    if (o.json) return;
    process.stdout.write(
      `${what}; push it with \`nms deploy -i ${o.inventory}${prune ? ' --prune' : ''}\` (or add --deploy next time)\n`,
    );
    return;
  }
  const res = await deployDevices(o.inventory, prune);
  if (o.json) process.stderr.write(formatRecap(res));
  else process.stdout.write(`${what}\n` + formatRecap(res));
  process.exitCode = res.exitCode;
}

export function register(program: Command): void {
  const device = program
    .command('device')
    .description('Add, list or remove devices in <inventory>/devices.yaml (the inventory stays the source of truth)');
  registerAdd(device);
  registerList(device);
  registerRemove(device);
}

function registerAdd(device: Command): void {
  device
    .command('add <hostname>')
    .description('add a device to devices.yaml (validated; undone if the inventory would not validate)')
    .addOption(inventoryOption())
    .option('--port <port>', 'SNMP port (default 161)', int('--port', 1, 65535))
    .option('--group <n>', 'poller group (default 0)', int('--group', 0, 65535))
    .option('--transport <t>', 'udp or udp6 (default udp)')
    .option('--snmp-version <v>', 'v1, v2c or v3', 'v2c')
    .option('--community <c>', 'v1/v2c community (or NMS_SNMP_COMMUNITY)')
    .option('--authlevel <l>', 'v3: noAuthNoPriv, authNoPriv or authPriv (default authPriv)')
    .option('--authname <u>', 'v3 user')
    .option('--authpass <p>', 'v3 auth passphrase (or NMS_SNMP_AUTHPASS)')
    .option('--authalgo <a>', 'v3: MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512')
    .option('--cryptopass <p>', 'v3 privacy passphrase (or NMS_SNMP_CRYPTOPASS)')
    .option('--cryptoalgo <a>', 'v3: DES, AES, AES-192, AES-256')
    .option('--deploy', 'push it to the database now (deploy of the database host)')
    .option('--json', 'print the added device as JSON (secrets left out)')
    .addHelpText(
      'after',
      `
Examples:
  NMS_SNMP_COMMUNITY=public nms device add 198.19.0.21 --group 0 -i inventories/lab
  NMS_SNMP_AUTHPASS=... NMS_SNMP_CRYPTOPASS=... nms device add sw1.example.net --snmp-version v3 \\
      --authname nmsv3 --authalgo SHA --cryptoalgo AES --group 1 -i inventories/prod --deploy`,
    )
    .action(
      async (
        hostname: string,
        o: Omit<DeviceAddOptions, 'hostname' | 'version'> & { snmpVersion: string; deploy?: boolean; json?: boolean },
      ) => {
        if (o.transport && o.transport !== 'udp' && o.transport !== 'udp6')
          throw new UsageError('--transport must be udp or udp6');
        const d = await deviceAdd({ ...o, hostname, version: o.snmpVersion });
        const shown = {
          hostname: d.hostname,
          port: d.port,
          transport: d.transport,
          poller_group: d.poller_group,
          version: d.snmp.version,
        };
        if (o.json) output(shown, true, () => '');
        await maybeDeploy(
          o,
          false,
          `added ${d.hostname}:${d.port} (group ${d.poller_group}, ${d.snmp.version}) to devices.yaml`,
        );
      },
    );
}

function formatList(l: Awaited<ReturnType<typeof deviceList>>): string {
  if (l.length === 0) return 'no devices (add one with `nms device add`)\n';
  const row = (d: (typeof l)[number]) =>
    `${d.hostname.padEnd(18)}  ${String(d.port).padEnd(5)}  ${String(d.poller_group).padEnd(5)}  ${d.version}`;
  const head = 'hostname            port   group  snmp';
  return [head, ...l.map(row)].join('\n') + `\n${l.length} device${l.length === 1 ? '' : 's'}\n`;
}

function registerList(device: Command): void {
  device
    .command('list')
    .description('list the devices of the inventory (no secrets)')
    .addOption(inventoryOption())
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  nms device list -i inventories/lab\n  nms device list -i inventories/lab --json | jq length',
    )
    .action(async (o: { inventory: string; json?: boolean }) => {
      const list = await deviceList(o.inventory);
      output(list, o.json, formatList);
    });
}

function registerRemove(device: Command): void {
  device
    .command('remove <hostname>')
    .description('remove a device (every port of that hostname unless --port is given)')
    .addOption(inventoryOption())
    .option('--port <port>', 'only the device on this SNMP port', int('--port', 1, 65535))
    .option('--deploy', 'remove it from the database now (deploy of the database host with --prune)')
    .addHelpText(
      'after',
      '\nExamples:\n  nms device remove 198.19.0.21 -i inventories/lab\n' +
        '  nms device remove sw1.example.net -i inventories/prod --deploy',
    )
    .action(async (hostname: string, o: { inventory: string; port?: number; deploy?: boolean }) => {
      const n = await deviceRemove({ inventory: o.inventory, hostname, port: o.port });
      await maybeDeploy(
        o,
        true,
        `removed ${n} device${n === 1 ? '' : 's'} (${hostname}${o.port ? `:${o.port}` : ''}) from devices.yaml`,
      );
    });
}
