// The runner both entry points (`nms`, `nms-agent`, and the simulator's) share: it runs the
// program and turns errors into exit codes. A user's mistake (NmsError) is one clear line plus a
// hint; anything else is our bug, printed with its stack and a request to report it. The output
// conventions every command shares live here too: exit 2 for bad flags, NO_COLOR, a JSON error
// object on stdout under --json, snake_case keys in --json output.
import { Command, CommanderError } from 'commander';
import chalk from 'chalk';
import { InventoryError, NmsError } from './errors.js';

/** no-color.org: NO_COLOR set to anything but the empty string turns colour off. */
export function noColor(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== '';
}

function eachCommand(cmd: Command, fn: (c: Command) => void): void {
  fn(cmd);
  for (const sub of cmd.commands) eachCommand(sub, fn);
}

export async function runMain(program: Command, argv = process.argv): Promise<void> {
  if (noColor()) chalk.level = 0;
  // Every command, not only the root: a bad flag of a subcommand is a usage error (exit 2) too.
  eachCommand(program, (c) => c.exitOverride());
  const json = argv.slice(2).includes('--json');
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = reportError(err, json);
  }
}

/** Prints the error (and under --json one `{"error": {...}}` object on stdout); returns the exit code. */
export function reportError(err: unknown, json = false): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (or help/version, with exit code 0)
    if (err.exitCode === 0) return 0;
    const message = err.message.replace(/^error: /, '');
    if (json) printJsonError({ kind: 'UsageError', code: err.code, message, exit_code: 2 });
    return 2;
  }
  if (err instanceof NmsError) {
    process.stderr.write(`${chalk.red('error:')} ${err.message}\n`);
    if (err.hint) process.stderr.write(`${chalk.yellow('hint:')} ${err.hint}\n`);
    if (json) printJsonError(jsonError(err));
    return err.exitCode;
  }
  process.stderr.write(`${chalk.red('internal error (a bug in nms):')}\n${(err as Error)?.stack ?? String(err)}\n`);
  process.stderr.write('Please report it with the command you ran and the output above.\n');
  if (json) printJsonError({ kind: 'InternalError', message: String((err as Error)?.message ?? err), exit_code: 70 });
  return 70;
}

function jsonError(err: NmsError): Record<string, unknown> {
  const problems = err instanceof InventoryError ? err.problems : undefined;
  const message = err instanceof InventoryError ? err.message.split('\n')[0].replace(/:$/, '') : err.message;
  const hint = err.hint ? { hint: err.hint } : {};
  return { kind: err.name, message, ...hint, exit_code: err.exitCode, ...(problems ? { problems } : {}) };
}

function printJsonError(error: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ error }, null, 2) + '\n');
}

/** Keys whose snake_case is not the mechanical one. */
const SNAKE_EXCEPTIONS: Record<string, string> = { rssKiB: 'rss_kib' };
const CAMEL = /^[a-z][a-zA-Z0-9]*$/;

/**
 * The JSON form of a result: every camelCase key of a plain object becomes snake_case
 * (`keptSecrets` → `kept_secrets`), as LibreNMS names things, so --json output has one style
 * whatever the code calls its fields. Other keys (host names, env names) are left alone.
 */
export function jsonKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(jsonKeys);
  if (v === null || typeof v !== 'object') return v;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [
      SNAKE_EXCEPTIONS[k] ?? (CAMEL.test(k) ? k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase() : k),
      jsonKeys(x),
    ]),
  );
}

type SnakeChar<C extends string> = C extends Lowercase<C> ? C : `_${Lowercase<C>}`;
type Snake<S extends string> = S extends `${infer H}${infer T}` ? `${SnakeChar<H>}${Snake<T>}` : S;
/** The type of `jsonKeys(x)` for an `x: T` with camelCase keys (for readers of --json output). */
export type JsonOf<T> = T extends (infer U)[]
  ? JsonOf<U>[]
  : T extends object
    ? { [K in keyof T as K extends string ? Snake<K> : K]: JsonOf<T[K]> }
    : T;

/** The text --json prints for a result. */
export function toJson(data: unknown, indent: number | undefined = 2): string {
  return JSON.stringify(jsonKeys(data), null, indent) + '\n';
}

/** Prints a command's result: JSON when asked, otherwise through the given formatter. */
export function output<T>(data: T, json: boolean | undefined, human: (d: T) => string): void {
  process.stdout.write(json ? toJson(data) : human(data));
}
