// `nms status`: prove the cluster healthy, or say what is broken and what to do next.
// The work is in cli/status (runStatus / runProbe return data); this file parses flags,
// prints (table or JSON) and sets the exit code.
import type { Command } from 'commander';
import { UsageError } from '../../lib/errors.js';
import { output, toJson } from '../../lib/run.js';
import { inventoryOption } from './options.js';
import { formatStatus } from '../status/format.js';
import { formatProbe, runProbe } from '../status/probe.js';
import { runStatus } from '../status/status.js';
import { STATUS_EXIT } from '../status/types.js';
import { loadInventory } from '../inventory/load.js';

interface StatusFlags {
  inventory: string;
  json?: boolean;
  watch?: boolean;
  interval: number;
  probe?: string | boolean;
  timeout: number;
  strictHostKeys?: boolean;
}

const newKey = (host: string, fp: string) =>
  process.stderr.write(`new host key for ${host} recorded in known_hosts: ${fp}\n`);

export function register(program: Command): void {
  program
    .command('status')
    .description(
      'Check the whole cluster: every node (nms-agent doctor), the cluster from the master, the HTTPS API; ' +
        'each problem with its fix',
    )
    .addOption(inventoryOption())
    .option('--json', 'print the report as JSON (schema nms-status/1, docs/status.schema.json)')
    .option('--watch', 'check again every --interval seconds until interrupted')
    .option('--interval <seconds>', 'with --watch: seconds between checks', (v) => Number(v), 5)
    .option(
      '--probe [device]',
      'poll one device now (id, hostname or hostname:port; default the first in devices.yaml) and time every hop',
    )
    .option('--timeout <ms>', 'per-check timeout on the nodes', (v) => Number(v), 1500)
    .option('--strict-host-keys', 'refuse hosts whose SSH key is not yet in <inventory>/known_hosts')
    .addHelpText(
      'after',
      `
One SSH connection per node, all in parallel. Problems seen from several nodes are named once,
at their cause (e.g. "redis on master is not answering ... fix: on master run ...").

Exit codes:
  0  healthy
  1  unhealthy (each problem printed with the next step)
  2  bad flags or inventory
  4  a node could not be reached over SSH

Examples:
  nms status -i inventories/lab
  nms status -i inventories/lab --json | jq '.problems'
  nms status -i inventories/prod --watch --interval 10
  nms status -i inventories/lab --probe 198.19.0.1`,
    )
    .action(async (o: StatusFlags) => {
      if (!Number.isFinite(o.interval) || o.interval < 1) throw new UsageError('--interval must be at least 1 second');
      if (!Number.isFinite(o.timeout) || o.timeout < 100) throw new UsageError('--timeout must be at least 100 ms');
      if (o.probe !== undefined) {
        if (o.watch) throw new UsageError('--probe and --watch do not go together');
        const p = await runProbe({
          inventory: o.inventory,
          device: typeof o.probe === 'string' ? o.probe : undefined,
          strictHostKeys: o.strictHostKeys,
          onNewHostKey: newKey,
        });
        output(p, o.json, formatProbe);
        process.exitCode = p.ok ? 0 : 1;
        return;
      }
      const inv = await loadInventory(o.inventory);
      const once = async () => {
        const r = await runStatus(
          { inventory: o.inventory, checkTimeoutMs: o.timeout, strictHostKeys: o.strictHostKeys, onNewHostKey: newKey },
          inv,
        );
        process.exitCode = r.exit_code;
        return r;
      };
      if (!o.watch) {
        output(await once(), o.json, (r) => formatStatus(r));
        return;
      }
      let stop = false;
      process.once('SIGINT', () => (stop = true));
      while (!stop) {
        const r = await once();
        if (o.json) process.stdout.write(toJson(r, undefined));
        else
          process.stdout.write(
            (process.stdout.isTTY ? '\u001b[2J\u001b[H' : '') +
              formatStatus(r) +
              `(every ${o.interval} s; Ctrl-C to stop)\n`,
          );
        for (let waited = 0; waited < o.interval * 10 && !stop; waited++)
          await new Promise((res) => setTimeout(res, 100));
      }
      process.exitCode ??= STATUS_EXIT.healthy;
    });
}
