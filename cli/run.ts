// Runs the program and turns errors into exit codes: a user's mistake (NmsError) is one clear
// line plus a hint; anything else is our bug, printed with its stack and a request to report it.
import { Command, CommanderError } from 'commander';
import chalk from 'chalk';
import { NmsError } from '../lib/errors.js';

export async function runMain(program: Command): Promise<void> {
  program.exitOverride();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (or help/version, with exit code 0)
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof NmsError) {
    process.stderr.write(`${chalk.red('error:')} ${err.message}\n`);
    if (err.hint) process.stderr.write(`${chalk.yellow('hint:')} ${err.hint}\n`);
    return err.exitCode;
  }
  process.stderr.write(`${chalk.red('internal error (a bug in nms):')}\n${(err as Error)?.stack ?? String(err)}\n`);
  process.stderr.write('Please report it with the command you ran and the output above.\n');
  return 70;
}

/** Prints a command's result: JSON when asked, otherwise through the given formatter. */
export function output<T>(data: T, json: boolean | undefined, human: (d: T) => string): void {
  process.stdout.write(json ? JSON.stringify(data, null, 2) + '\n' : human(data));
}
