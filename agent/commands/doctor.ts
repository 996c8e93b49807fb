// `nms-agent doctor [--json]`: this node's health (see agent/doctor). Exit 0 healthy, 1 not.
import type { Command } from 'commander';
import { output } from '../../lib/run.js';
import { formatDoctor, runDoctor } from '../doctor/doctor.js';

export function register(program: Command): void {
  program
    .command('doctor')
    .description(
      'check this node: configuration, APP_KEY, Redis/memcached/MariaDB/rrdcached from here, clock skew, ' +
        "the agent's heartbeat",
    )
    .option('--json', 'print the report as JSON (schema nms-agent-doctor/1, read by `nms status`)')
    .option('--timeout <ms>', 'per-check timeout', (v) => Number(v), 3000)
    .addHelpText(
      'after',
      `
Exit status: 0 healthy, 1 unhealthy (each failed check says how to fix it).

Examples:
  nms-agent doctor
  nms-agent doctor --json | jq '.checks[] | select(.ok == false)'
  nms-agent --env /etc/nms/.env doctor --timeout 1000`,
    )
    .action(async (opts: { json?: boolean; timeout: number }, cmd: Command) => {
      const report = await runDoctor({
        envPath: cmd.optsWithGlobals().env as string,
        timeoutMs: opts.timeout > 0 ? opts.timeout : 3000,
      });
      output(report, opts.json, formatDoctor);
      process.exitCode = report.healthy ? 0 : 1;
    });
}
