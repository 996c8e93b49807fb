// Fetches a device's configuration over SSH (ssh2 in-process, so the password is never a
// process argument): one connection, the OS's commands one after another on exec channels,
// their standard output joined. Host keys: the first one seen is kept (accept-new), a changed
// one is refused (known-hosts.ts).
import { createHash } from 'node:crypto';
import { NmsError } from '../../lib/errors.js';

/** A failure to fetch one device's configuration; `reason` is safe to show and store. */
export class ConfigFetchError extends NmsError {
  constructor(
    message: string,
    readonly reason: 'auth' | 'connect' | 'timeout' | 'command' | 'hostkey',
  ) {
    super(message);
  }
}

export interface FetchTarget {
  host: string;
  port: number;
  username: string;
  password: string;
}

export interface FetchOptions {
  /** Milliseconds for the whole fetch (connect, login and every command). Default 30000. */
  timeoutMs?: number;
  /**
   * Decides on the device's host key (its SHA-256 fingerprint, `SHA256:<base64>`); false refuses
   * the connection. Default: accept any.
   */
  checkHostKey?: (fingerprint: string) => boolean;
}

export const DEFAULT_FETCH_OPTIONS = { timeoutMs: 30_000 };

// the part of ssh2's client API used here (the package ships no types)
interface ExecStream {
  on(event: 'data', fn: (b: Buffer) => void): ExecStream;
  on(event: 'close', fn: (code: number | null) => void): ExecStream;
  stderr: { on(event: 'data', fn: (b: Buffer) => void): void };
}
interface SshClient {
  on(event: 'ready', fn: () => void): SshClient;
  on(event: 'error', fn: (err: Error & { level?: string }) => void): SshClient;
  connect(cfg: Record<string, unknown>): void;
  exec(command: string, cb: (err: Error | undefined, stream: ExecStream) => void): void;
  end(): void;
}
type SshClientClass = new () => SshClient;
// Loaded at the first fetch, not with the agent: ssh2 costs some 13 MiB of RSS (its poly1305
// module reserves 16 MiB), which an agent without the config-backup role never needs. The
// bundle keeps it inside (a dynamic import of a package is bundled and run on first use).
let sshClass: Promise<SshClientClass> | undefined;
const loadClient = (): Promise<SshClientClass> =>
  (sshClass ??= import('ssh2').then((m) => {
    const mod = ((m as { default?: unknown }).default ?? m) as { Client: SshClientClass };
    return mod.Client;
  }));

export function fingerprintOf(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

function run(client: SshClient, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(new ConfigFetchError(`"${command}" could not start: ${err.message}`, 'command'));
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      stream.on('data', (b) => out.push(b));
      stream.stderr.on('data', (b) => errOut.push(b));
      stream.on('close', (code) => {
        if (code === 0 || code === null) return resolve(Buffer.concat(out).toString('utf8'));
        const said = Buffer.concat(errOut).toString('utf8').trim().split('\n')[0]?.slice(0, 200) ?? '';
        reject(new ConfigFetchError(`"${command}" exited with ${code}${said ? `: ${said}` : ''}`, 'command'));
      });
    });
  });
}

/** Runs `commands` on the device and returns their output joined; ConfigFetchError on failure. */
export async function fetchConfig(
  target: FetchTarget,
  commands: string[],
  options: FetchOptions = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_OPTIONS.timeoutMs;
  const Client = await loadClient();
  const client = new Client();
  let hostKeyRefused = false;
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new ConfigFetchError(`no configuration within ${timeoutMs} ms`, 'timeout')),
      timeoutMs,
    );
    const done = (fn: () => void) => {
      clearTimeout(timer);
      fn();
    };
    client.on('error', (err) => {
      if (hostKeyRefused)
        return done(() => reject(new ConfigFetchError('the host key differs from the one seen before', 'hostkey')));
      if (err.level === 'client-authentication')
        return done(() => reject(new ConfigFetchError(`login refused for user ${target.username}`, 'auth')));
      done(() => reject(new ConfigFetchError(`SSH to ${target.host}:${target.port}: ${err.message}`, 'connect')));
    });
    client.on('ready', () => {
      (async () => {
        const parts: string[] = [];
        for (const c of commands) parts.push(await run(client, c));
        return parts.join('');
      })().then(
        (text) => done(() => resolve(text)),
        (err: Error) => done(() => reject(err)),
      );
    });
    client.connect({
      host: target.host,
      port: target.port,
      username: target.username,
      password: target.password,
      readyTimeout: timeoutMs,
      tryKeyboard: false,
      hostVerifier: (key: Buffer) => {
        const ok = options.checkHostKey ? options.checkHostKey(fingerprintOf(key)) : true;
        hostKeyRefused = !ok;
        return ok;
      },
    });
  }).finally(() => client.end());
}
