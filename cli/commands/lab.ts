// `nms lab …`: wires the lab's functions (cli/lab/lab.ts) to the command line and prints.
import type { Command } from 'commander';
import { Listr } from 'listr2';
import { UsageError } from '../../lib/errors.js';
import { output } from '../../lib/run.js';
import { deviceAddress } from '../lab/plan.js';
import { DEVICE_ACTIONS, type DeviceAction } from '../lab/devices.js';
import {
  DEFAULT_LAB_UP,
  labAddHost,
  labDevice,
  labDown,
  labExec,
  labRemoveHost,
  labStatus,
  labUp,
  type LabStatus,
  type LabUpResult,
  type Progress,
} from '../lab/lab.js';

/** Spinner lines on a terminal, plain lines otherwise, nothing but the result with --json. */
function progress(json: boolean | undefined): Progress {
  if (json) return { step: (_t, fn) => fn(), note: (text) => process.stderr.write(`note: ${text}\n`) };
  if (process.stdout.isTTY) {
    return {
      async step(title, fn) {
        let value: Awaited<ReturnType<typeof fn>> | undefined;
        await new Listr([{ title, task: async () => void (value = await fn()) }], {
          renderer: 'default',
          exitOnError: true,
          collectErrors: false,
        }).run();
        return value as Awaited<ReturnType<typeof fn>>;
      },
      note: (text) => process.stdout.write(`note: ${text}\n`),
    };
  }
  return {
    async step(title, fn) {
      const began = Date.now();
      process.stdout.write(`… ${title}\n`);
      const value = await fn();
      process.stdout.write(`✔ ${title} (${((Date.now() - began) / 1000).toFixed(1)} s)\n`);
      return value;
    },
    note: (text) => process.stdout.write(`note: ${text}\n`),
  };
}

function count(value: string, name: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a whole number, got "${value}"`);
  return Number(value);
}

function upText(r: LabUpResult): string {
  const c = r.cleaned;
  const last = deviceAddress(Math.max(0, r.simulator.devices - 1));
  const lines = [
    r.already
      ? `The lab is already up (${r.pollers} pollers, ${r.devices} devices).`
      : `The lab is up in ${r.seconds} s: ${r.hosts.map((h) => `${h.name} ${h.address}`).join(', ')}.`,
    ...(c.processes.length + c.netns.length + c.links.length + c.mounts.length > 0
      ? [
          `Removed first what an earlier lab left: ${c.processes.length} processes, ` +
            `${c.netns.length} namespaces, ${c.links.length} links, ${c.mounts.length} mounts.`,
        ]
      : []),
    `Inventory: ${r.inventory}`,
    r.simulator.running
      ? `Simulated devices: ${r.simulator.devices}, ${deviceAddress(0)}..${last} udp 161`
      : `Simulated devices: none${r.simulator.note ? ` (${r.simulator.note})` : ''}`,
    'Next: nms lab status · nms lab exec master -- hostname · nms lab down',
  ];
  return lines.join('\n') + '\n';
}

function statusText(s: LabStatus): string {
  if (!s.up) {
    const stray =
      s.present.processes.length + s.present.netns.length + s.present.links.length + s.present.mounts.length;
    return stray
      ? `The lab is down but left ${stray} things behind (run \`nms lab down\` to remove them).\n`
      : 'The lab is down.\n';
  }
  const rows = s.hosts.map((h) => {
    const ssh = `ssh ${h.ssh ? 'ok' : 'NO ANSWER'}`;
    return `  ${h.name.padEnd(10)} ${h.address.padEnd(14)} ${h.running ? 'running' : 'STOPPED'}  ${ssh}`;
  });
  const mib = (kib: number | undefined) => Math.round((kib ?? 0) / 1024);
  const sim = s.simulator
    ? `  simulator: ${s.simulator.running ? 'running' : 'STOPPED'}, ${s.simulator.devices} devices, ` +
      `${mib(s.simulator.rssKiB)} MiB`
    : '  simulator: not started';
  const health = s.healthy ? 'up and healthy' : 'up but NOT healthy';
  return [
    `The lab is ${health} (${s.pollers} pollers, ${s.devices} devices, ${mib(s.rssKiB)} MiB resident).`,
    ...rows,
    sim,
    `  inventory: ${s.inventory}   key: ${s.keyPath}`,
    '',
  ].join('\n');
}

export function register(program: Command): void {
  const lab = program
    .command('lab')
    .description('A real cluster on this machine: hosts in namespaces with sshd, and simulated SNMP devices.')
    .addHelpText(
      'after',
      `
Examples:
  nms lab up                          master, poller1, poller2 and 20 simulated devices
  nms lab up --pollers 3 --devices 10000
  nms lab status --json
  nms lab exec poller1 -- snmpget -v2c -c public 198.19.0.1 1.3.6.1.2.1.1.5.0
  nms lab device down 0 1 2            devices 0-2 answer nothing (no ICMP, no SNMP)
  nms lab device snmp-down 3          device 3 answers ping only
  nms lab add-host poller9            an extra host, not in the inventory
  nms lab remove-host poller9
  nms lab down                        remove every namespace, link, mount and process`,
    );
  registerLifecycle(lab);
  registerHosts(lab);
  registerDevice(lab);
  lab
    .command('exec <host> <command...>')
    .description('run a command inside a lab host; its exit code is passed through')
    .usage('<host> -- <command...>')
    .action(async (host: string, argv: string[]) => {
      process.exitCode = await labExec(host, argv);
    });
}

/** up, status, down. */
function registerLifecycle(lab: Command): void {
  lab
    .command('up')
    .description('build the lab (harmless when it is up; cleans what a crashed lab left)')
    .option('--pollers <n>', 'poller hosts', String(DEFAULT_LAB_UP.pollers))
    .option('--devices <m>', 'simulated SNMP devices', String(DEFAULT_LAB_UP.devices))
    .option('-i, --inventory <dir>', 'where to write the inventory (default: inventories/lab of this repository)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { pollers: string; devices: string; inventory?: string; json?: boolean }) => {
      const r = await labUp(
        {
          pollers: count(opts.pollers, '--pollers'),
          devices: count(opts.devices, '--devices'),
          inventory: opts.inventory,
        },
        progress(opts.json),
      );
      output(r, opts.json, upText);
    });

  lab
    .command('status')
    .description('show the lab hosts and whether they run and answer ssh (exit 1 when unhealthy)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const s = await labStatus();
      output(s, opts.json, statusText);
      const stray =
        s.present.processes.length + s.present.netns.length + s.present.links.length + s.present.mounts.length;
      if ((s.up && !s.healthy) || (!s.up && stray > 0)) process.exitCode = 1;
    });

  lab
    .command('down')
    .description('remove every namespace, link, mount and process of the lab')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const r = await labDown();
      output(r, opts.json, downText);
    });
}

function downText(d: Awaited<ReturnType<typeof labDown>>): string {
  if (!d.removed) return 'The lab was not up: nothing to remove.\n';
  const f = d.found;
  return (
    `The lab is down: stopped ${f.processes.length} processes, removed ${f.netns.length} namespaces, ` +
    `${f.links.length} links, ${f.mounts.length} mounts.\n`
  );
}

/** add-host, remove-host: hosts outside the inventory. */
function registerHosts(lab: Command): void {
  lab
    .command('add-host <name>')
    .description('add a host that is not in the inventory (for add-poller and firewall tests)')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const h = await labAddHost(name, progress(opts.json));
      output(
        { name: h.name, address: h.address, hostKey: h.hostKey },
        opts.json,
        (d) => `Host ${d.name} is up at ${d.address} (its key is in /var/lib/nms-lab/known_hosts).\n`,
      );
    });

  lab
    .command('remove-host <name>')
    .description('remove a host made by add-host')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      output(
        await labRemoveHost(name),
        opts.json,
        (d) => `Host ${d.removed} is gone (${d.processes} processes stopped).\n`,
      );
    });
}

function registerDevice(lab: Command): void {
  lab
    .command('device <action> [devices...]')
    .description('cut simulated devices off (down: no ICMP/SNMP; snmp-down: no SNMP) or back (up, snmp-up); list')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Devices are named by index (0..M-1) or address (device i is 198.19.(i div 250).(1 + i mod 250)).
down: no ICMP and no SNMP answer; snmp-down: ICMP answers, SNMP does not; up: both answer again.

Examples:
  nms lab device down 0 1 2
  nms lab device snmp-down 198.19.0.4
  nms lab device up 0 1 2 3
  nms lab device list --json`,
    )
    .action(async (action: string, refs: string[], opts: { json?: boolean }) => {
      if (!(DEVICE_ACTIONS as readonly string[]).includes(action)) {
        throw new UsageError(`unknown action "${action}": use ${DEVICE_ACTIONS.join(', ')}`);
      }
      const r = await labDevice(action as DeviceAction, refs);
      output(r, opts.json, (d) =>
        [
          ...(d.changed.length ? [`${d.action}: ${d.changed.map((c) => `${c.index} (${c.address})`).join(', ')}`] : []),
          `down (no ICMP, no SNMP): ${d.down.join(' ') || 'none'}`,
          `snmp-down (ICMP only): ${d.snmpDown.join(' ') || 'none'}`,
          '',
        ].join('\n'),
      );
    });
}
