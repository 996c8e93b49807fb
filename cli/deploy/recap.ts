// The recap printed at the end of a deploy: one line per host (ok, changed, failed,
// unreachable), then what changed, warnings, diffs and errors. Texts are already masked.
import chalk from 'chalk';
import type { DeployResult } from './runner.js';

export function formatRecap(res: DeployResult, opts: { verbose?: boolean; diff?: boolean } = {}): string {
  const out: string[] = [];
  const width = Math.max(4, ...res.hosts.map((h) => h.host.length));
  for (const h of res.hosts) {
    if (opts.diff) for (const d of h.diffs) out.push(colourDiff(d));
    if (h.changes.length && (opts.verbose || res.check)) {
      out.push(`${h.host}: ${res.check ? 'would change' : 'changed'}:`);
      for (const c of h.changes) out.push(`  - ${c}`);
    }
    for (const w of h.warnings) out.push(`${chalk.yellow('warning')} ${h.host}: ${w}`);
    if (h.error) out.push(`${chalk.red(h.status === 'unreachable' ? 'UNREACHABLE' : 'FAILED')} ${h.host}: ${h.error}`);
  }
  out.push('', `${res.check ? 'CHECK ' : ''}RECAP ${'-'.repeat(40)}`);
  for (const h of res.hosts) {
    const colour =
      h.status === 'failed' || h.status === 'unreachable' ? chalk.red : h.changed ? chalk.yellow : chalk.green;
    const counts =
      `ok=${String(h.ok).padEnd(3)} changed=${String(h.changed).padEnd(3)} ` +
      `failed=${h.status === 'failed' ? 1 : 0} unreachable=${h.status === 'unreachable' ? 1 : 0}`;
    out.push(`${colour(h.host.padEnd(width))}  ${counts}  ${(h.durationMs / 1000).toFixed(2)}s`);
  }
  out.push(`done in ${(res.durationMs / 1000).toFixed(2)}s, exit code ${res.exitCode}`);
  return out.join('\n') + '\n';
}

function colourDiff(d: string): string {
  return d
    .split('\n')
    .map((l) =>
      l.startsWith('+') && !l.startsWith('+++')
        ? chalk.green(l)
        : l.startsWith('-') && !l.startsWith('---')
          ? chalk.red(l)
          : l,
    )
    .join('\n');
}
