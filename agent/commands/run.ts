// `nms-agent run`: the daemon. Wires the real poller (or the dry-run rehearsal handler) into the
// AgentService and maps signals: SIGTERM/SIGINT drain and exit, SIGHUP reloads the configuration.
import type { Command } from 'commander';
import { UsageError } from '../../lib/errors.js';
import { createLogger } from '../../lib/log.js';
import { AgentService } from '../daemon/agent.js';
import { pollerHandler } from '../daemon/poller-handler.js';
import { dryRunHandler } from '../daemon/dry-run.js';

export interface RunOptions {
  env: string;
  dryRun?: boolean;
  dryRunWorkMs?: number;
  drainSeconds?: number;
}

/** Runs until SIGTERM/SIGINT; resolves after the drain. */
export async function runAgent(o: RunOptions): Promise<void> {
  const log = createLogger('agent');
  const drainMs = (o.drainSeconds ?? 15) * 1000;
  const service = new AgentService({
    envPath: o.env,
    makeHandler: o.dryRun ? dryRunHandler(o.dryRunWorkMs ?? 0) : pollerHandler(),
    drainMs,
  });
  process.on('unhandledRejection', (err) =>
    log.error('unhandled_rejection', { err: (err as Error)?.stack ?? String(err) }),
  );
  let stopping = false;
  const done = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) {
        log.warn('second_signal_exit', { signal });
        process.exit(1);
      }
      stopping = true;
      log.info('signal', { signal });
      // Each close step is bounded; this is the backstop should one still hang.
      setTimeout(() => {
        log.error('exit_deadline', { after_ms: drainMs + 30_000 });
        process.exit(1);
      }, drainMs + 30_000).unref();
      service.close().then(resolve, (err) => {
        log.error('close_failed', { err });
        resolve();
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  process.on('SIGHUP', () => void service.reload());
  try {
    await service.start();
  } catch (err) {
    await service.close();
    throw err;
  }
  await done;
}

export function register(program: Command): void {
  program
    .command('run')
    .description(
      "run the agent daemon: dispatcher election, workers for this node's poller groups, heartbeat, /metrics",
    )
    .option(
      '--dry-run',
      'take jobs and record them (devices row, table dry_run_polls) without SNMP: rehearses the coordination',
    )
    .option('--dry-run-work-ms <ms>', 'with --dry-run: pretend each job works this long', (v) =>
      parsePositive(v, '--dry-run-work-ms'),
    )
    .option(
      '--drain <seconds>',
      'on SIGTERM, wait this long for running jobs before aborting them',
      (v) => parsePositive(v, '--drain'),
      15,
    )
    .addHelpText(
      'after',
      `
Signals: SIGTERM/SIGINT drain and exit 0 (a second one exits at once), SIGHUP reloads
.env and config.yaml (a bad file is logged and the running configuration kept).

Examples:
  nms-agent run                          # as the systemd unit / init script does
  nms-agent --env /tmp/n1/.env run --dry-run --dry-run-work-ms 50
  kill -HUP $(pidof nms-agent)           # reload configuration`,
    )
    .action(async (opts: { dryRun?: boolean; dryRunWorkMs?: number; drain: number }, cmd: Command) => {
      const env = cmd.optsWithGlobals().env as string;
      await runAgent({ env, dryRun: opts.dryRun, dryRunWorkMs: opts.dryRunWorkMs, drainSeconds: opts.drain });
      process.exit(process.exitCode ?? 0);
    });
}

function parsePositive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new UsageError(`${flag} must be a non-negative number (got ${JSON.stringify(v)})`);
  return n;
}
