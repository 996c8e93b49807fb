// The one error tree of nms. Code branches on these classes, never on message text.
// A user's mistake is printed as one clear line (with its location when it is in a file);
// anything that is not an NmsError is our bug and is printed with its stack.

/** Where in a user's file a problem is. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
  /** Field path such as `hosts.poller1.ssh.port`. */
  path?: string;
}

export class NmsError extends Error {
  /** Process exit code the CLI uses when this error ends a command. */
  exitCode = 1;
  /** The next step for the user, printed after the message. */
  hint?: string;
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

/** A bad flag, argument or option value. */
export class UsageError extends NmsError {
  override exitCode = 2;
}

/** One problem in an inventory, with where it is. */
export interface InventoryProblem extends SourceLocation {
  message: string;
  /** A shell command that fixes this problem on the workstation (gathered into the hint). */
  fix?: string;
}

/** The inventory failed validation: every problem found, not just the first. */
export class InventoryError extends NmsError {
  override exitCode = 2;
  readonly problems: InventoryProblem[];
  constructor(problems: InventoryProblem[]) {
    const fixes = [...new Set(problems.flatMap((p) => (p.fix ? [p.fix] : [])))];
    // When every problem has a fix, one command line makes the inventory valid.
    const hint = fixes.length && problems.every((p) => p.fix) ? `make it valid with: ${fixes.join(' && ')}` : undefined;
    const head = `inventory has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n`;
    super(head + problems.map(formatProblem).join('\n'), { hint });
    this.problems = problems;
  }
}

export function formatProblem(p: InventoryProblem): string {
  const where = [p.file, p.line, p.column].filter((x) => x !== undefined).join(':');
  return `  ${where}${p.path ? ` ${p.path}` : ''}: ${p.message}`;
}

/** Bad or missing configuration on a node (/etc/nms/.env, config.yaml). */
export class ConfigError extends NmsError {
  override exitCode = 78; // EX_CONFIG
}

export class SshError extends NmsError {}
export class HostKeyError extends SshError {}
export class DeployError extends NmsError {}
export class LabError extends NmsError {}
export class PollError extends NmsError {}
export class RrdError extends NmsError {}
/** The agent's APP_KEY does not match the cluster's check value. */
export class AppKeyMismatchError extends NmsError {}

/** An OS definition file (agent/definitions/os/*.yaml) is malformed: file, line and field in the message. */
export class DefinitionError extends NmsError {
  override exitCode = 2;
}
