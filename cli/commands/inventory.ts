// `nms inventory check` (validate without connecting anywhere, print a summary that never
// holds a secret) and `nms inventory schema` (the JSON Schema editors use).
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { output } from '../../lib/run.js';
import { inventoryOption } from './options.js';
import { loadInventory } from '../inventory/load.js';
import { editorSchema } from '../inventory/schema.js';
import type { Inventory } from '../inventory/types.js';

export interface InventorySummary {
  name: string;
  dir: string;
  cluster: string;
  hosts: {
    name: string;
    address: string;
    roles: string[];
    poller_groups: number[];
    ssh: { user: string; port: number; sudo: boolean };
    os?: string;
  }[];
  services: Record<string, string>;
  poller_groups: { group: number; pollers: string[]; devices: number }[];
  devices: number;
  tls: 'self-signed' | 'files';
  firewall: boolean;
}

/** What `nms inventory check` reports: topology only, no secret and no key material. */
export function summarise(inv: Inventory): InventorySummary {
  const groups = new Map<number, { pollers: string[]; devices: number }>();
  const group = (g: number): { pollers: string[]; devices: number } => {
    if (!groups.has(g)) groups.set(g, { pollers: [], devices: 0 });
    return groups.get(g)!;
  };
  for (const h of inv.hosts)
    if (h.roles.includes('poller')) for (const g of h.agent.distributed_poller_group) group(g).pollers.push(h.name);
  for (const d of inv.devices) group(d.poller_group).devices++;
  return {
    name: inv.name,
    dir: inv.dir,
    cluster: inv.cluster.name,
    hosts: inv.hosts.map((h) => ({
      name: h.name,
      address: h.address,
      roles: h.roles,
      poller_groups: h.roles.includes('poller') ? h.agent.distributed_poller_group : [],
      ssh: { user: h.ssh.user, port: h.ssh.port, sudo: h.ssh.sudo },
      ...(h.os ? { os: h.os } : {}),
    })),
    services: Object.fromEntries(Object.entries(inv.services).map(([s, h]) => [s, h.name])),
    poller_groups: [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([g, v]) => ({ group: g, ...v })),
    devices: inv.devices.length,
    tls: inv.cluster.tls.certPath ? 'files' : 'self-signed',
    firewall: inv.cluster.firewall,
  };
}

export function formatSummary(s: InventorySummary): string {
  const lines = [`inventory ${s.name} (cluster ${s.cluster}) is valid`, `  hosts (${s.hosts.length}):`];
  const w = Math.max(...s.hosts.map((h) => h.name.length));
  for (const h of s.hosts) {
    const groups = h.poller_groups.length ? `  groups ${h.poller_groups.join(',')}` : '';
    lines.push(`    ${h.name.padEnd(w)}  ${h.address.padEnd(15)}  ${h.roles.join(', ')}${groups}`);
  }
  const svc = Object.entries(s.services)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  lines.push(`  services: ${svc}`);
  const group = (g: (typeof s.poller_groups)[number]) =>
    `${g.group} (${g.pollers.join(', ') || 'no poller'}; ${g.devices} device${g.devices === 1 ? '' : 's'})`;
  lines.push(`  poller groups: ${s.poller_groups.map(group).join(', ') || 'none'}`);
  lines.push(`  devices: ${s.devices}`);
  lines.push(`  tls: ${s.tls}, firewall: ${s.firewall ? 'on' : 'off'}`);
  return lines.join('\n') + '\n';
}

export async function checkInventory(dir: string): Promise<InventorySummary> {
  return summarise(await loadInventory(dir));
}

export function register(program: Command): void {
  const inv = program.command('inventory').description('Work with an inventory (inventories/<name>/)');
  inv
    .command('check')
    .description('Validate an inventory without connecting anywhere; print its hosts, roles, groups and device count')
    .addOption(inventoryOption())
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Every problem is reported at once as file:line:column field.path: message; exit code 2.
Secret values are never printed.

Examples:
  nms inventory check -i inventories/prod
  nms inventory check -i inventories/lab --json`,
    )
    .action(async (o: { inventory: string; json?: boolean }) => {
      output(await checkInventory(o.inventory), o.json, formatSummary);
    });
  inv
    .command('schema')
    .description('Print (or write) the JSON Schema of hosts.yaml and devices.yaml, for editors')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .addHelpText('after', '\nExample:\n  nms inventory schema -o docs/inventory.schema.json')
    .action((o: { output?: string }) => {
      const text = JSON.stringify(editorSchema(), null, 2) + '\n';
      if (o.output) writeFileSync(o.output, text);
      else process.stdout.write(text);
    });
}
