// `nms alert list|ack`: the cluster's active alerts and their acknowledgement, asked of the
// master over SSH (`nms-agent alert ... --json` there; the agent owns the alert tables).
import type { Command } from 'commander';
import { NmsError, UsageError } from '../../lib/errors.js';
import { alertLine } from '../../lib/alerts.js';
import { loadInventory } from '../inventory/load.js';
import { shq } from '../ssh/connection.js';
import { AGENT_CMD, sshFor } from '../status/collect.js';
import { output } from '../../lib/run.js';

interface AckAnswer {
  acknowledged: boolean;
  alert: Summary;
}
interface Summary {
  id: number;
  severity: string;
  state: string;
  rule: string;
  message: string;
  since: string;
}

/** Runs one `nms-agent alert` command on the master and returns its JSON answer. */
async function onMaster<T>(inventoryDir: string, args: string): Promise<T> {
  const inv = await loadInventory(inventoryDir);
  const ssh = sshFor(inv, inv.services.web);
  try {
    await ssh.start();
    const r = await ssh.run(`${AGENT_CMD} alert ${args} --json </dev/null`);
    if (r.code === 2) throw new UsageError((r.stderr.trim().split('\n')[0] || 'refused').replace(/^error: /, ''));
    try {
      return JSON.parse(r.stdout) as T;
    } catch {
      const tail = (r.stderr || r.stdout).trim().split('\n').pop() ?? '';
      throw new NmsError(`nms-agent alert on ${inv.services.web.name}: exit ${r.code}, no JSON: ${tail}`, {
        hint: 'redeploy the master if its agent predates alerts',
      });
    }
  } finally {
    ssh.close();
  }
}

export function alertList(inventory: string): Promise<{ count: number; alerts: Summary[] }> {
  return onMaster(inventory, 'list');
}

export function alertAck(inventory: string, id: string, note: string): Promise<AckAnswer> {
  if (!/^[1-9]\d{0,9}$/.test(id)) {
    throw new UsageError(`alert id must be a positive whole number (got ${JSON.stringify(id)})`);
  }
  return onMaster(inventory, `ack ${id} --note ${shq(note)}`);
}

export function register(program: Command): void {
  const alert = program
    .command('alert')
    .description('the active alerts of the cluster and their acknowledgement (docs/alerts.md)');
  alert
    .command('list')
    .description('alerts that are alerting or acknowledged, newest first')
    .option('-i, --inventory <dir>', 'inventory directory', 'inventories/lab')
    .option('--json', 'print them as JSON')
    .action(async (o: { inventory: string; json?: boolean }) => {
      const r = await alertList(o.inventory);
      output(r, o.json, (d) =>
        d.alerts.length ? d.alerts.map((a) => alertLine(a) + '\n').join('') : 'no active alerts\n',
      );
    });
  alert
    .command('ack <id>')
    .description('acknowledge an alert: no more notifications until it recovers (the recovery is sent)')
    .option('-i, --inventory <dir>', 'inventory directory', 'inventories/lab')
    .option('--note <text>', 'why, or who is on it', '')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  nms alert list -i inventories/prod',
        '  nms alert ack 12 --note "ticket 4711" -i inventories/prod',
        '',
      ].join('\n'),
    )
    .action(async (id: string, o: { inventory: string; note: string; json?: boolean }) => {
      const r = await alertAck(o.inventory, id, o.note);
      output(r, o.json, (d) => `alert ${d.alert.id} acknowledged\n`);
    });
}
