// One SSH connection per host (node-ssh over ssh2) with a cap on concurrent channels, host
// keys checked against the inventory's known_hosts, and sudo when the user is not root.
// Commands go through execCommand and are judged by their exit code (node-ssh's exec()
// throws on any stderr). Data, file contents and secrets travel on stdin, never in argv.
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { NodeSSH } from 'node-ssh';
import { HostKeyError, SshError } from '../../lib/errors.js';
import { appendKnownHost, checkHostKey, knownHostsName, readKnownHosts } from './known-hosts.js';

/** The connection broke during a command (the host went away or the link was cut). */
export class ConnectionLostError extends SshError {}

export interface SshHostOptions {
  address: string;
  /** Default 22. */
  port?: number;
  /** Default `root`. */
  user?: string;
  /** Absolute path of the private key file. */
  keyPath: string;
  /** Wrap commands in `sudo -n` (NOPASSWD sudo). Default: user is not root. */
  sudo?: boolean;
  /** known_hosts file kept with the inventory. */
  knownHostsPath: string;
  /** Refuse hosts whose key is not recorded yet. Default false (accept-new). */
  strictHostKeys?: boolean;
  /** Concurrent channels on the one connection; sshd's MaxSessions is 10. Default 8. */
  maxChannels?: number;
  /** TCP + handshake deadline in ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Called when a new host key was accepted and recorded (print the fingerprint). */
  onNewHostKey?: (hostName: string, fingerprint: string) => void;
}

export const DEFAULT_SSH_HOST_OPTIONS = {
  port: 22,
  user: 'root',
  strictHostKeys: false,
  maxChannels: 8,
  connectTimeoutMs: 10_000,
};

export interface RunOptions {
  /** Bytes for the command's stdin (file contents, SQL, scripts). */
  stdin?: string | Readable;
  /** Run without sudo even when the connection uses it. Default false. */
  noSudo?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Quotes one word for a POSIX shell. */
export function shq(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs a command as root through NOPASSWD sudo (`-n`: fail at once instead of prompting).
 * stdin passes through sudo untouched, so file contents and SQL still never reach argv.
 */
export function sudoWrap(command: string): string {
  return `sudo -n sh -c ${shq(command)}`;
}

export class SshHost {
  readonly opts: Required<Omit<SshHostOptions, 'onNewHostKey' | 'sudo'>> &
    Pick<SshHostOptions, 'onNewHostKey'> & { sudo: boolean };
  private ssh = new NodeSSH();
  private active = 0;
  private waiting: Array<() => void> = [];

  constructor(options: SshHostOptions) {
    const o = { ...DEFAULT_SSH_HOST_OPTIONS, ...options };
    if (!Number.isInteger(o.maxChannels) || o.maxChannels < 1 || o.maxChannels > 10)
      throw new SshError(`maxChannels must be 1-10 (sshd's MaxSessions is 10), got ${o.maxChannels}`);
    this.opts = { ...o, sudo: options.sudo ?? o.user !== 'root' };
  }

  get name(): string {
    return knownHostsName(this.opts.address, this.opts.port);
  }

  async start(): Promise<void> {
    let privateKey: string;
    try {
      privateKey = readFileSync(this.opts.keyPath, 'utf8');
    } catch (err) {
      throw new SshError(`cannot read SSH key ${this.opts.keyPath}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
    let keyProblem: HostKeyError | undefined;
    const hostName = this.name;
    const hostVerifier = (key: Buffer): boolean => {
      const verdict = checkHostKey(readKnownHosts(this.opts.knownHostsPath), hostName, key, this.opts.strictHostKeys);
      switch (verdict.kind) {
        case 'known':
          return true;
        case 'new':
          appendKnownHost(this.opts.knownHostsPath, verdict.line);
          this.opts.onNewHostKey?.(hostName, verdict.fingerprint);
          return true;
        case 'changed':
          keyProblem = new HostKeyError(
            `${hostName}: HOST KEY CHANGED: it presented ${verdict.fingerprint}, ` +
              `${this.opts.knownHostsPath} has ${verdict.expected}`,
            {
              hint: `if the host was rebuilt on purpose, remove its line from ${this.opts.knownHostsPath}`,
            },
          );
          return false;
        case 'unknown-strict':
          keyProblem = new HostKeyError(
            `${hostName}: host key ${verdict.fingerprint} is not in ${this.opts.knownHostsPath} ` +
              'and --strict-host-keys is on',
            {
              hint: 'run once without --strict-host-keys to record it, or add it with ssh-keyscan after checking it',
            },
          );
          return false;
      }
    };
    try {
      await this.ssh.connect({
        host: this.opts.address,
        port: this.opts.port,
        username: this.opts.user,
        privateKey,
        readyTimeout: this.opts.connectTimeoutMs,
        hostVerifier,
        keepaliveInterval: 5000,
      });
    } catch (err) {
      if (keyProblem) throw keyProblem;
      throw new SshError(`${hostName}: cannot connect as ${this.opts.user}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Runs one shell command (as root through sudo when needed); never throws on a non-zero exit. */
  async run(command: string, options: RunOptions = {}): Promise<RunResult> {
    const full = this.opts.sudo && !options.noSudo ? sudoWrap(command) : command;
    await this.acquire();
    try {
      const r = await this.ssh.execCommand(full, { stdin: options.stdin, noTrim: true });
      // no exit status and no signal: the channel closed under the command (host gone)
      if (r.code === null && !r.signal && !this.ssh.isConnected())
        throw new Error('the connection closed during the command');
      return { code: r.code ?? (r.signal ? 128 : 255), stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      throw new ConnectionLostError(`${this.name}: connection lost: ${(err as Error).message}`, { cause: err });
    } finally {
      this.release();
    }
  }

  /** Like run() but a non-zero exit becomes an SshError with the command's own message. */
  async check(
    command: string,
    options: RunOptions = {},
    what = command.split('\n')[0].slice(0, 80),
  ): Promise<RunResult> {
    const r = await this.run(command, options);
    if (r.code !== 0)
      throw new SshError(`${what}: exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ')}`);
    return r;
  }

  close(): void {
    try {
      this.ssh.dispose();
    } catch {
      // already closed
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.opts.maxChannels) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => (this.active++, resolve())));
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}

/** How commands reach one inventory host: its SSH settings and the inventory's known_hosts. */
export function sshForHost(
  inv: { knownHostsPath: string },
  host: { name: string; address: string; ssh: { port: number; user: string; keyPath: string; sudo: boolean } },
  o: {
    strictHostKeys?: boolean;
    connectTimeoutMs?: number;
    onNewHostKey?: (host: string, fingerprint: string) => void;
  } = {},
): SshHost {
  const { onNewHostKey } = o;
  return new SshHost({
    address: host.address,
    port: host.ssh.port,
    user: host.ssh.user,
    keyPath: host.ssh.keyPath,
    sudo: host.ssh.sudo,
    knownHostsPath: inv.knownHostsPath,
    // unset options keep SshHost's defaults (a spread of `undefined` would erase them)
    ...(o.strictHostKeys === undefined ? {} : { strictHostKeys: o.strictHostKeys }),
    ...(o.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: o.connectTimeoutMs }),
    ...(onNewHostKey ? { onNewHostKey: (_name: string, fp: string) => onNewHostKey(host.name, fp) } : {}),
  });
}
