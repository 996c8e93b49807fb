// Timing statistics for the benches that time whole commands: hyperfine's own, or the same
// figures from run times a bench took itself.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { median, ROOT } from './report.js';

export interface Hyper {
  mean: number;
  stddev: number;
  min: number;
  max: number;
  median: number;
  /** hyperfine: mean user and system CPU seconds of the command's process tree. */
  user?: number;
  system?: number;
}

/** hyperfine's statistics of one command, in seconds. */
export function hyperfine(
  name: string,
  command: string,
  runs: number,
  warmup: number,
  env: Record<string, string> = {},
): Hyper {
  const out = join(ROOT, `.bench-${name}-${process.pid}.json`);
  try {
    execFileSync(
      'hyperfine',
      [
        '--style',
        'basic',
        '--warmup',
        String(warmup),
        '--runs',
        String(runs),
        '--export-json',
        out,
        '-n',
        name,
        command,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env }, timeout: 1800_000 },
    );
    const r = JSON.parse(readFileSync(out, 'utf8')).results[0] as Hyper;
    return r;
  } finally {
    rmSync(out, { force: true });
  }
}

export function stats(xs: number[]): Hyper {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sorted = [...xs].sort((a, b) => a - b);
  const stddev = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { mean, stddev, min: sorted[0], max: sorted.at(-1)!, median: median(xs) };
}
