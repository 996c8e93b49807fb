// The history of the configurations: a git repository on the backup node (Debian's git, run
// with execFile: no shell, no secrets in its arguments), one file per device at its top level.
// Owns the repository directory; every commit is made with a fixed identity so that no user
// configuration is needed.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NmsError } from '../../lib/errors.js';

export class GitError extends NmsError {}

/** One version of one file: the commit that made it and when. */
export interface ConfigVersion {
  commit: string;
  /** ISO 8601 time of the commit. */
  date: string;
  subject: string;
}

const IDENTITY = ['-c', 'user.name=nms config backup', '-c', 'user.email=nms@localhost'];
const MAX_BUFFER = 64 * 1024 * 1024;

export class GitStore {
  /** git takes a lock on its index: one operation at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string) {}

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private git(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', HOME: this.dir };
      // safe.directory: the repository may belong to another user than the agent's (made by hand)
      const own = ['-c', `safe.directory=${this.dir}`];
      execFile(
        'git',
        ['-C', this.dir, ...own, ...IDENTITY, ...args],
        { env, maxBuffer: MAX_BUFFER },
        (err, stdout, stderr) => {
          if (err) reject(new GitError(`git ${args[0]} in ${this.dir}: ${String(stderr).trim() || err.message}`));
          else resolve(String(stdout));
        },
      );
    });
  }

  /** Creates the repository when it does not exist yet; safe to call every time. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o750 });
    await this.git(['init', '--quiet', '--initial-branch=main']);
  }

  /**
   * Writes `file` and commits it when it differs from the last version; returns the commit, or
   * undefined when nothing changed.
   */
  save(file: string, text: string, message: string): Promise<string | undefined> {
    return this.serial(() => this.saveNow(file, text, message));
  }

  private async saveNow(file: string, text: string, message: string): Promise<string | undefined> {
    await writeFile(join(this.dir, file), text, { mode: 0o640 });
    await this.git(['add', '--', file]);
    const status = await this.git(['status', '--porcelain', '--', file]);
    if (!status.trim()) return undefined;
    await this.git(['commit', '--quiet', '-m', message, '--', file]);
    return (await this.git(['rev-parse', 'HEAD'])).trim();
  }

  /** The versions of `file`, newest first. */
  async versions(file: string): Promise<ConfigVersion[]> {
    const out = await this.serial(() => this.git(['log', '--format=%H%x09%cI%x09%s', '--', file])).catch(() => '');
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [commit, date, ...subject] = l.split('\t');
        return { commit, date, subject: subject.join('\t') };
      });
  }

  /** The text of `file` at `commit`. */
  show(commit: string, file: string): Promise<string> {
    if (!/^[0-9a-f]{7,40}$/.test(commit)) return Promise.reject(new GitError(`not a commit: ${commit}`));
    return this.serial(() => this.git(['show', `${commit}:${file}`]));
  }

  /** The unified diff of `file` between two commits (from undefined: the whole file as added). */
  async diff(from: string | undefined, to: string, file: string): Promise<string> {
    const args = from
      ? ['diff', '--no-color', from, to, '--', file]
      : ['show', '--no-color', '--format=', to, '--', file];
    return this.serial(() => this.git(args));
  }
}
