// An operation: one change to a host, as data. decide.ts and decide-db.ts make them from the
// plan and the facts; execute.ts runs them over SSH (or, under --check, only lists them).
import type { FileSpec } from './layout.js';
import type { HandlerKey } from './profile.js';

/**
 * Where an operation runs in the host's deploy: `system` before the database, `database` on the
 * MariaDB host (accounts, schema, devices), `agent` once the database host is ready.
 */
export type Stage = 'system' | 'database' | 'agent';

export interface Op {
  stage: Stage;
  /** The change in a person's words: the recap and --check list it. */
  title: string;
  /** Shell command that makes the change on the host. */
  command: string;
  /** What the command reads on stdin: a file's contents, SQL (the admin password first). */
  stdin?: string | Buffer;
  /** The file it writes (--diff shows it; a rejected candidate is named with it). */
  write?: { file: FileSpec; exists: boolean };
  /** Handlers it owes: recorded in the host's pending list before the change takes effect. */
  notifies?: HandlerKey[];
  /** The handler it runs, cleared from the pending list once it succeeded. */
  runs?: HandlerKey;
  /**
   * Run whatever the facts say; a change only when the command prints this (an INSERT that may
   * find its row already there). Not run under --check.
   */
  changedWhenOutput?: string;
}

/** A check that found the host as wanted (counted as ok). */
export interface Check {
  stage: Stage;
  name: string;
}
