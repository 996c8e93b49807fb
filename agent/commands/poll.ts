// `nms-agent poll <device>` and `nms-agent discover <device>`: run one device once, now, and
// print each step with its timing (people, and `nms status --probe` through --json).
import type { Command } from 'commander';
import { output } from '../../lib/run.js';
import { UsageError } from '../../lib/errors.js';
import { DEVICE_DEADLINE_FRACTION, loadNodeConfig } from '../../lib/node-config.js';
import { getDevice } from '../db/index.js';
import { openPollContext } from '../poll/context.js';
import type { RunResult } from '../poll/poller.js';

export interface RunDeviceOptions {
  env: string;
  /** Discover first when the device never was (polls only). Default true. */
  discoverFirst?: boolean;
  deadlineMs?: number;
}

/** Runs discovery or a poll of one device; the results of each run, in order. */
export async function runDeviceCommand(
  kind: 'poll' | 'discover',
  ref: string,
  opts: RunDeviceOptions,
): Promise<RunResult[]> {
  const config = loadNodeConfig(opts.env);
  const ctx = await openPollContext(config, { maxConcurrent: 1 });
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  try {
    const run = { signal: ac.signal, deadlineMs: opts.deadlineMs };
    const results: RunResult[] = [];
    if (kind === 'discover') results.push(await ctx.poller.discoverDevice(ref, run));
    else {
      const d = await getDevice(ctx.db, ref);
      if (d.last_discovered === null && (opts.discoverFirst ?? true))
        results.push(await ctx.poller.discoverDevice(d.device_id, run));
      if (results.every((r) => r.status === 'up')) results.push(await ctx.poller.pollDevice(d.device_id, run));
    }
    return results;
  } finally {
    process.off('SIGINT', onSignal);
    await ctx.close();
  }
}

export function formatRun(r: RunResult): string {
  const status = `${r.status}${r.reason ? ` (${r.reason})` : ''}`;
  const head =
    `${r.kind} of device ${r.deviceId} (${r.hostname}): ${status} in ${r.seconds.toFixed(2)} s, ` +
    `${r.snmpRequests} SNMP requests\n`;
  const lines = r.modules.map((m) => {
    const t = [m.snmpMs && `snmp ${m.snmpMs} ms`, m.dbMs && `db ${m.dbMs} ms`, m.rrdMs && `rrd ${m.rrdMs} ms`]
      .filter(Boolean)
      .join(', ');
    const items = `${String(m.items).padStart(5)} ${m.module === 'rrd' ? 'files' : 'items'}`;
    return `  ${m.module.padEnd(11)} ${m.status.padEnd(7)} ${items}  ${t}${m.error ? `  ${m.error}` : ''}\n`;
  });
  const rrd = r.rrd
    ? `  rrd: ${r.rrd.sent} commands sent, ${r.rrd.spooled} spooled, ${r.rrd.dropped} dropped, ` +
      `${r.rrd.errors} refused\n`
    : '';
  return (
    head +
    lines.join('') +
    rrd +
    (r.error ? `  error: ${r.error}\n` : '') +
    (r.rebooted ? '  the device rebooted since the last poll\n' : '')
  );
}

function parseSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--deadline must be a number of seconds above 0 (got ${JSON.stringify(v)})`);
  return n;
}

export function register(program: Command): void {
  for (const kind of ['poll', 'discover'] as const) {
    program
      .command(`${kind} <device>`)
      .description(
        kind === 'poll'
          ? 'Poll one device now (discovering it first if it never was) and print each step with timings.'
          : 'Discover one device now: its ports, processors, storage and sensors.',
      )
      .option('--json', 'print the result as JSON')
      .option(
        '--deadline <seconds>',
        `time allowed for the device (default: ${DEVICE_DEADLINE_FRACTION} × service_poller_frequency)`,
        parseSeconds,
      )
      .addHelpText(
        'after',
        '\nThe device is a device_id or a hostname.\nExamples:\n' +
          `  nms-agent ${kind} 12\n  nms-agent ${kind} core-sw1.example.net --json\n`,
      )
      .action(async (device: string, o: { json?: boolean; deadline?: number }, cmd: Command) => {
        const results = await runDeviceCommand(kind, device, {
          env: cmd.optsWithGlobals().env,
          deadlineMs: o.deadline ? o.deadline * 1000 : undefined,
        });
        output(results, o.json, (rs) => rs.map(formatRun).join(''));
        if (results.some((r) => r.status !== 'up')) process.exitCode = 1;
      });
  }
}
