// `nms-agent alert list|ack`: the active alerts and their acknowledgement, run on any node with
// database access (`nms alert` runs it on the master over SSH). An acknowledged alert sends no
// more notifications until it recovers; the recovery is still sent.
import type { Command } from 'commander';
import { output } from '../../lib/run.js';
import { UsageError } from '../../lib/errors.js';
import { alertLine } from '../../lib/alerts.js';
import { loadNodeConfig } from '../../lib/node-config.js';
import { openDb } from '../db/index.js';
import { acknowledge, listAlerts, type AlertView } from '../alerts/store.js';
import { alertSummaries } from '../alerts/status.js';

async function withDb<T>(envPath: string, fn: (db: Awaited<ReturnType<typeof openDb>>) => Promise<T>): Promise<T> {
  const db = await openDb(loadNodeConfig(envPath).env, { connectionLimit: 2 });
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

export interface AckResult {
  acknowledged: boolean;
  alert: AlertView;
}

export async function ackCommand(envPath: string, idText: string, note: string): Promise<AckResult> {
  const id = Number(idText);
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new UsageError(`alert id must be a positive whole number (got ${JSON.stringify(idText)})`);
  }
  return withDb(envPath, async (db) => {
    const [before] = await listAlerts(db, { id });
    const hint = 'see the active ones with `nms-agent alert list`';
    if (!before) throw new UsageError(`no alert with id ${id}`, { hint });
    if (before.state !== 1) {
      throw new UsageError(`alert ${id} is ${before.state_name}: only an alerting alert can be acknowledged`);
    }
    const acknowledged = await acknowledge(db, id, note);
    const [alert] = await listAlerts(db, { id });
    return { acknowledged, alert };
  });
}

/** The plain-text list (also `nms alert list`'s). */
export const listText = (alerts: Parameters<typeof alertLine>[0][]) =>
  alerts.length ? alerts.map((a) => alertLine(a) + '\n').join('') : 'no active alerts\n';

export function register(program: Command): void {
  const alert = program.command('alert').description('active alerts and their acknowledgement');
  alert
    .command('list')
    .description('the alerts that are alerting or acknowledged, newest first')
    .option('--json', 'print them as JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const alerts = await withDb(cmd.optsWithGlobals().env as string, (db) => alertSummaries(db, 1000));
      output({ count: alerts.length, alerts }, o.json, (d) => listText(d.alerts));
    });
  alert
    .command('ack <id>')
    .description('acknowledge an alert: no more notifications until it recovers')
    .option('--note <text>', 'why, or who is on it (stored in alerts.note)', '')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  nms-agent alert list\n  nms-agent alert ack 12 --note "ticket 4711"\n')
    .action(async (id: string, o: { json?: boolean; note: string }, cmd: Command) => {
      const r = await ackCommand(cmd.optsWithGlobals().env as string, id, o.note);
      const a = r.alert;
      output(r, o.json, () => `acknowledged ${alertLine({ ...a, state: a.state_name, since: a.timestamp })}\n`);
    });
}
