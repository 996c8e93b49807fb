// `nms deploy`: converges every host of an inventory to what it describes. The work is done
// by cli/deploy (deploy() returns data); this file only parses flags, shows progress (listr2
// on a terminal, plain lines otherwise) and prints the recap or JSON.
import type { Command } from 'commander';
import { Listr } from 'listr2';
import { loadInventory } from '../inventory/load.js';
import { formatRecap } from '../deploy/recap.js';
import { deploy, selectHosts, type DeployResult, type HostResult } from '../deploy/runner.js';
import { toJson } from '../../lib/run.js';
import { inventoryOption } from './options.js';

export interface DeployCommandOptions {
  inventory: string;
  check?: boolean;
  diff?: boolean;
  limit?: string;
  json?: boolean;
  prune?: boolean;
  strictHostKeys?: boolean;
  templates?: string;
  agentBundle?: string;
  verbose?: boolean;
}

export async function deployCommand(o: DeployCommandOptions): Promise<DeployResult> {
  const inventory = await loadInventory(o.inventory);
  const limit = o.limit
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const hosts = selectHosts(inventory, limit);
  const common = {
    inventory,
    check: o.check,
    diff: o.diff,
    hosts,
    prune: o.prune,
    strictHostKeys: o.strictHostKeys,
    templatesDir: o.templates ?? process.env.NMS_TEMPLATES,
    agentBundlePath: o.agentBundle,
  };
  if (o.json || !process.stdout.isTTY || !process.stderr.isTTY) {
    const log = o.json ? () => {} : (host: string, m: string) => process.stderr.write(`[${host}] ${m}\n`);
    return deploy({ ...common, onEvent: log });
  }
  // a terminal: one listr2 line per host, its latest step beneath it
  const waiters = new Map<string, { resolve: (r: HostResult) => void; output: (m: string) => void }>();
  const done = new Map<string, Promise<HostResult>>();
  for (const h of hosts) done.set(h.name, new Promise((resolve) => waiters.set(h.name, { resolve, output: () => {} })));
  const list = new Listr(
    hosts.map((h) => ({
      title: h.name,
      task: async (_ctx: unknown, task: { title: string; output: string }) => {
        waiters.get(h.name)!.output = (m) => (task.output = m);
        const r = await done.get(h.name)!;
        task.title = `${h.name}: ${r.status}${r.changed ? ` (${r.changed} ${o.check ? 'to change' : 'changed'})` : ''}`;
        if (r.status === 'failed' || r.status === 'unreachable') throw new Error(r.error ?? r.status);
      },
    })),
    { concurrent: true, exitOnError: false, renderer: 'default', rendererOptions: { collapseErrors: true } },
  );
  const listing = list.run().catch(() => {});
  const result = await deploy({ ...common, onEvent: (host, m) => waiters.get(host)?.output(m) });
  for (const r of result.hosts) waiters.get(r.host)?.resolve(r);
  await listing;
  return result;
}

export function register(program: Command): void {
  program
    .command('deploy')
    .description('Bring every host of an inventory to the state it describes (only what differs is changed)')
    .addOption(inventoryOption('inventory directory (inventories/<name>)'))
    .option('--check', 'report what would change; change nothing')
    .option('--diff', 'show file differences (secrets masked)')
    .option('--limit <hosts>', 'only these hosts, comma separated (e.g. poller1,poller2)')
    .option('--prune', 'also remove devices and database accounts that are no longer in the inventory')
    .option('--strict-host-keys', 'refuse hosts whose SSH key is not yet in <inventory>/known_hosts')
    .option('--templates <dir>', 'templates folder (default: templates/ of nms, or $NMS_TEMPLATES)')
    .option('--agent-bundle <file>', 'agent bundle to push (default: dist/nms-agent.mjs of nms)')
    .option('-v, --verbose', 'list every change in the recap')
    .option('--json', 'print the result as JSON (no progress output)')
    .addHelpText(
      'after',
      `
Hosts are deployed in parallel over one SSH connection each; a failed host does not stop the
others. New host keys are recorded in <inventory>/known_hosts (fingerprint shown); a changed key
fails that host. A second run with nothing to do changes nothing and says so.

Exit codes:
  0  every host ok (or changed)
  2  bad flags or inventory
  3  at least one host failed
  4  at least one host unreachable (and none failed)

Examples:
  nms deploy -i inventories/lab
  nms deploy -i inventories/lab --check --diff
  nms deploy -i inventories/prod --limit poller1,poller2
  nms deploy -i inventories/prod --prune --json`,
    )
    .action(async (o: DeployCommandOptions) => {
      const res = await deployCommand(o);
      if (o.json) process.stdout.write(toJson(res));
      else process.stdout.write(formatRecap(res, { verbose: o.verbose, diff: o.diff }));
      process.exitCode = res.exitCode;
    });
}
