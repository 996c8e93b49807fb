// `nms add-poller` and `nms remove-poller`: grow and shrink the cluster (cli/pollers does the
// work and returns data; this file parses flags and prints).
import type { Command } from 'commander';
import { UsageError } from '../../lib/errors.js';
import type { Role } from '../inventory/types.js';
import { addPoller, type AddPollerResult } from '../pollers/add.js';
import { removePoller, type RemovePollerResult } from '../pollers/remove.js';
import { output } from '../../lib/run.js';
import { inventoryOption } from './options.js';

function intList(flag: string) {
  return (v: string): number[] => {
    const list = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map(Number);
    if (!list.length || !list.every((n) => Number.isInteger(n) && n >= 0 && n <= 65535))
      throw new UsageError(`${flag} takes group numbers separated by commas (got ${JSON.stringify(v)})`);
    return list;
  };
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new UsageError(`--ssh-port must be 1-65535 (got ${JSON.stringify(v)})`);
  return n;
}

const progress = (json?: boolean) => (m: string) => process.stderr.write(json ? '' : `${m}\n`);

function formatAdded(r: AddPollerResult): string {
  const w = r.wait;
  const s = (ms: number | null | undefined) => ((ms ?? 0) / 1000).toFixed(1);
  const jobs = (n: number | null) => `${n} job${n === 1 ? '' : 's'} done`;
  const tail = !w
    ? 'not waiting for its agent (--no-wait): check with `nms status`'
    : w.stage === 'polling'
      ? `registered after ${s(w.registeredAfterMs)} s and polling ` +
        `(first device after ${s(w.pollingAfterMs)} s, ${jobs(w.jobsOk)})`
      : `registered after ${s(w.registeredAfterMs)} s; its groups have no devices yet`;
  return `${r.name} (${r.address}) joined the cluster serving group ${r.groups.join(',')}: ${tail}\n`;
}

function formatRemoved(r: RemovePollerResult): string {
  const agent = r.agentRemoved ? ' (agent drained, stopped and removed)' : '';
  const l = [`${r.name} removed from the cluster${agent}${r.accountDropped ? '; its database account dropped' : ''}`];
  for (const w of r.warnings) l.push(`warning: ${w}`);
  return l.join('\n') + '\n';
}

export function register(program: Command): void {
  registerAdd(program);
  registerRemove(program);
}

interface AddFlags {
  address: string;
  inventory: string;
  group: number[];
  roles: string;
  sshUser?: string;
  sshPort?: number;
  sshKey?: string;
  wait: boolean;
  timeout?: number;
  strictHostKeys?: boolean;
  json?: boolean;
}

async function add(name: string, o: AddFlags): Promise<void> {
  if (o.timeout !== undefined && (!Number.isFinite(o.timeout) || o.timeout <= 0))
    throw new UsageError('--timeout must be a positive number of seconds');
  const r = await addPoller({
    inventory: o.inventory,
    name,
    address: o.address,
    groups: o.group,
    roles: o.roles
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean) as Role[],
    sshUser: o.sshUser,
    sshPort: o.sshPort,
    sshKey: o.sshKey,
    noWait: !o.wait,
    waitTimeoutMs: o.timeout !== undefined ? o.timeout * 1000 : undefined,
    strictHostKeys: o.strictHostKeys,
    onProgress: progress(o.json),
  });
  output(r, o.json, formatAdded);
}

function registerAdd(program: Command): void {
  program
    .command('add-poller <name>')
    .description(
      'Add a poller: inventory (validated), SSH and host key, deploy of it and the master, then wait until it polls',
    )
    .requiredOption('--address <addr>', 'address the cluster and this workstation reach it at')
    .addOption(inventoryOption())
    .option('--group <groups>', 'poller group(s) it serves, comma separated', intList('--group'), [0])
    .option('--roles <roles>', 'agent roles, comma separated: poller, discovery, ping', 'poller,discovery')
    .option('--ssh-user <user>', 'SSH user (default: the inventory defaults)')
    .option('--ssh-port <port>', 'SSH port (default: the inventory defaults)', port)
    .option('--ssh-key <file>', 'private key (default: the inventory defaults)')
    .option('--no-wait', 'do not wait for the agent to register and poll')
    .option('--timeout <seconds>', 'how long to wait for its first poll (default: poller frequency + 120)', (v) =>
      Number(v),
    )
    .option('--strict-host-keys', 'refuse a host whose SSH key is not yet in <inventory>/known_hosts')
    .option('--json', 'print the result as JSON (progress is not printed)')
    .addHelpText(
      'after',
      `
A host that fails validation or SSH is taken out of the inventory again. When the deploy fails the
host stays in the inventory and the message says how to finish (nms deploy) or undo (remove-poller).

Examples:
  nms lab add-host poller3 && nms add-poller poller3 --address 198.18.0.50 --group 0,1 -i inventories/lab
  nms add-poller nms85 --address 10.0.0.85 --group 2 --ssh-user admin -i inventories/prod`,
    )
    .action(add);
}

function registerRemove(program: Command): void {
  program
    .command('remove-poller <name>')
    .description(
      'Remove a poller: drain and remove its agent, revoke its database account and firewall rule, ' +
        'update the inventory',
    )
    .addOption(inventoryOption())
    .option(
      '--force',
      'remove even when a poller group with devices is left with no poller, or the host cannot be reached',
    )
    .option('--strict-host-keys', 'refuse hosts whose SSH key is not yet in <inventory>/known_hosts')
    .option('--json', 'print the result as JSON (progress is not printed)')
    .addHelpText(
      'after',
      `
Examples:
  nms remove-poller poller3 -i inventories/lab
  nms remove-poller nms85 -i inventories/prod --force     # its group has no other poller`,
    )
    .action(
      async (name: string, o: { inventory: string; force?: boolean; strictHostKeys?: boolean; json?: boolean }) => {
        const r = await removePoller({
          inventory: o.inventory,
          name,
          force: o.force,
          strictHostKeys: o.strictHostKeys,
          onProgress: progress(o.json),
        });
        output(r, o.json, formatRemoved);
        if (r.warnings.length) process.exitCode = 1;
      },
    );
}
