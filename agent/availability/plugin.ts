// Running one monitoring plugin (Debian's monitoring-plugins-basic, /usr/lib/nagios/plugins):
// the check's name picks the binary, its arguments are an argv array handed to execFile (never
// a shell), and a timeout kills it. The plugin's exit code is its state (0 OK, 1 WARNING,
// 2 CRITICAL, 3 UNKNOWN) and its first line is `text | perfdata`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PLUGIN_DIR = '/usr/lib/nagios/plugins';
/** A check type: the part after `check_` of a plugin's file name. */
export const CHECK_TYPE = /^[a-z0-9_]{1,32}$/;
/** One argument: printable, no NUL, at most 512 characters. */
const ARG = /^[\x20-\x7e]{0,512}$/;

export const STATE_NAMES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;

export interface PerfValue {
  /** Data-source name: the label made RRD-safe ([A-Za-z0-9_], at most 19 characters). */
  ds: string;
  value: number;
  uom: string;
}

export interface PluginResult {
  /** 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
  state: 0 | 1 | 2 | 3;
  message: string;
  perf: PerfValue[];
  ms: number;
}

/** Why a check declaration cannot run, or undefined when it can (inventory rules use it too). */
export function checkProblem(type: string, args: unknown): string | undefined {
  if (!CHECK_TYPE.test(type)) return `check type "${type}" must be 1-32 of a-z, 0-9 and _ (the plugin without check_)`;
  if (!Array.isArray(args)) return 'args must be a list of strings';
  for (const a of args) {
    const ok = typeof a === 'string' && ARG.test(a);
    if (!ok) return `argument ${JSON.stringify(a)} must be printable text, at most 512 characters`;
  }
  return undefined;
}

/** RRD data-source name of a perfdata label, as LibreNMS makes them: spaces to _, at most 19 characters. */
export function dsName(label: string): string {
  return label.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 19) || 'value';
}

/** Parses `label=value[uom];warn;crit;min;max` items (labels may be quoted with '). */
export function parsePerfData(text: string): PerfValue[] {
  const out: PerfValue[] = [];
  const re = /('([^']+)'|[^\s=']+)=(-?[\d.]+)([a-zA-Z%]*)\S*/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    const ds = dsName(m[2] ?? m[1]);
    if (!out.some((p) => p.ds === ds)) out.push({ ds, value, uom: m[4] });
  }
  return out;
}

/** Splits a plugin's output into its message and perfdata. */
export function parsePluginOutput(stdout: string): { message: string; perf: PerfValue[] } {
  const lines = stdout.split('\n');
  const [first, ...rest] = lines;
  const bar = first.indexOf('|');
  const message = (bar >= 0 ? first.slice(0, bar) : first).trim();
  // long output may carry more perfdata after a `|` on a later line
  const more = rest.join('\n');
  const later = more.includes('|') ? more.slice(more.indexOf('|') + 1) : '';
  const perfText = `${bar >= 0 ? first.slice(bar + 1) : ''} ${later}`;
  return { message, perf: parsePerfData(perfText) };
}

/** Runs check_<type> with argv; never throws: a missing plugin or a timeout is UNKNOWN or CRITICAL. */
export function runPlugin(
  type: string,
  argv: string[],
  timeoutMs: number,
  signal?: AbortSignal,
  dir = PLUGIN_DIR,
): Promise<PluginResult> {
  const t0 = performance.now();
  const problem = checkProblem(type, argv);
  const bin = `${dir}/check_${type}`;
  if (problem) return Promise.resolve({ state: 3, message: problem, perf: [], ms: 0 });
  if (!existsSync(bin)) {
    const message = `no plugin ${bin} (install monitoring-plugins-basic)`;
    return Promise.resolve({ state: 3, message, perf: [], ms: 0 });
  }
  return new Promise((resolve) => {
    const env = { PATH: '/usr/bin:/bin', LC_ALL: 'C' };
    const opts = { timeout: timeoutMs, killSignal: 'SIGKILL' as const, maxBuffer: 64 * 1024, signal, env };
    execFile(bin, argv, opts, (err, stdout) => {
      const ms = performance.now() - t0;
      const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
      if (e && (e.killed || e.name === 'AbortError')) {
        resolve({ state: 2, message: `check_${type} timed out after ${Math.round(timeoutMs / 1000)} s`, perf: [], ms });
        return;
      }
      const code = e ? (typeof e.code === 'number' ? e.code : 3) : 0;
      const state = (code >= 0 && code <= 3 ? code : 3) as PluginResult['state'];
      const out = parsePluginOutput(String(stdout));
      resolve({ state, message: out.message || `check_${type} exited ${code}`, perf: out.perf, ms });
    });
  });
}
