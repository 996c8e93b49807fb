// `nms-agent cluster-status [--json]`: the cluster as the master sees it (agent/cluster-view),
// read by `nms status` over SSH. Exit 0 healthy, 1 not.
import type { Command } from 'commander';
import { output } from '../../lib/run.js';
import type { ClusterView } from '../../lib/contracts/cluster-view.js';
import { gatherClusterStatus, type ClusterStatusOptions } from '../cluster-view/gather.js';
import { formatClusterView } from '../cluster-view/format.js';
import { redisOptions } from '../daemon/connections.js';

/** The cluster view, reaching Redis the way this node's agent does. */
export function clusterStatus(o: Omit<ClusterStatusOptions, 'redisOptions'>): Promise<ClusterView> {
  return gatherClusterStatus({ ...o, redisOptions });
}

export function register(program: Command): void {
  program
    .command('cluster-status')
    .description(
      'the cluster as seen from here (run it on the master): dispatcher, registered agents, ' +
        'poller groups served, queue depths, overdue devices, last errors',
    )
    .option('--json', 'print the view as JSON (schema nms-agent-cluster/1, read by `nms status`)')
    .option('--timeout <ms>', 'per-source timeout', (v) => Number(v), 3000)
    .option('--device <ref>', 'also look up one device (id, hostname or hostname:port) and include it as `device`')
    .option(
      '--grace <seconds>',
      'seconds a device may be late before it counts as overdue (default: max(30, poller frequency / 5))',
      (v) => Number(v),
    )
    .addHelpText(
      'after',
      `
Exit status: 0 healthy, 1 unhealthy (each problem says what to do next).

Examples:
  nms-agent cluster-status
  nms-agent cluster-status --json | jq '.groups'
  nms-agent --env /etc/nms/.env cluster-status --grace 120`,
    )
    .action(async (opts: { json?: boolean; timeout: number; grace?: number; device?: string }, cmd: Command) => {
      const view = await clusterStatus({
        envPath: cmd.optsWithGlobals().env as string,
        timeoutMs: opts.timeout > 0 ? opts.timeout : 3000,
        device: opts.device,
        graceSeconds:
          opts.grace !== undefined && Number.isFinite(opts.grace) && opts.grace >= 0 ? opts.grace : undefined,
      });
      output(view, opts.json, formatClusterView);
      process.exitCode = view.healthy ? 0 : 1;
    });
}
