// The simulated devices' SSH CLI: one ssh2 server per device of an SSH family (ssh-model.ts),
// on the device's own address port 22 (the lab) or on sshFirstPort + i of one address (tests).
// Password login with the device's credentials; `exec` answers the family's configuration
// command, and the control commands `nms-sim config-change` (bump the configuration's
// generation) and `nms-sim config-generation`. Owns its servers: start() binds all or none.
import { generateKeyPairSync, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import ssh2 from 'ssh2';
import { LabError } from '../lib/errors.js';
import { createLogger } from '../lib/log.js';
import { deviceAddress } from '../lib/device-addresses.js';
import { familyOf } from './families.js';
import { CONFIG_COMMANDS, deviceConfig, hasSshCli, sshCredentials } from './ssh-model.js';

export interface SshCliOptions {
  /** IPv4 address to bind (the network's base with ownAddresses). Default 127.0.0.1. */
  address?: string;
  /** Devices 0..devices-1 are candidates; only those of an SSH family listen. Default 10. */
  devices?: number;
  /** Each device on its own address (addresses.ts), all on port sshFirstPort. Default false. */
  ownAddresses?: boolean;
  /** TCP port of device 0 (or of every device with ownAddresses). Default 2200. */
  sshFirstPort?: number;
  /** Seed of the credentials and configurations. Default 1. */
  seed?: number;
  /** Host key (PEM or OpenSSH); default: an ECDSA key made at start. */
  hostKey?: string;
}

export const DEFAULT_SSH_CLI_OPTIONS: Required<Omit<SshCliOptions, 'hostKey'>> = {
  address: '127.0.0.1',
  devices: 10,
  ownAddresses: false,
  sshFirstPort: 2200,
  seed: 1,
};

/** The control command that changes a device's configuration (the lab's `config-change`). */
export const CONFIG_CHANGE_COMMAND = 'nms-sim config-change';
export const CONFIG_GENERATION_COMMAND = 'nms-sim config-generation';

const log = createLogger('simulator.ssh');

// the part of ssh2's server API used here (the package ships no types)
interface Channel {
  write(data: string): void;
  stderr: { write(data: string): void };
  exit(code: number): void;
  end(): void;
}
interface Session {
  on(event: 'exec', fn: (accept: () => Channel, reject: () => void, info: { command: string }) => void): void;
  on(event: 'pty' | 'shell' | 'env' | 'subsystem', fn: (accept: unknown, reject?: () => void) => void): void;
}
interface AuthContext {
  method: string;
  username: string;
  password?: string;
  accept(): void;
  reject(methods?: string[]): void;
}
interface ServerConnection {
  on(event: 'authentication', fn: (ctx: AuthContext) => void): ServerConnection;
  on(event: 'ready', fn: () => void): ServerConnection;
  on(event: 'session', fn: (accept: () => Session, reject: () => void) => void): ServerConnection;
  on(event: 'error' | 'close', fn: (err?: Error) => void): ServerConnection;
  end(): void;
}
interface SshServer {
  listen(port: number, host: string, cb: () => void): void;
  close(cb?: () => void): void;
  once(event: 'error', fn: (err: NodeJS.ErrnoException) => void): void;
  off(event: 'error', fn: (err: NodeJS.ErrnoException) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
}
type ServerCtor = new (cfg: { hostKeys: string[] }, fn: (c: ServerConnection) => void) => SshServer;
const Server = (ssh2 as unknown as { Server: ServerCtor }).Server;

function newHostKey(): string {
  return generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'sec1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
}

/** The host key kept in `file` (made there when missing); undefined file: undefined (a key per start). */
export function hostKeyFile(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    const key = newHostKey();
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, key, { mode: 0o600 });
    return key;
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class SshCli {
  readonly options: Required<Omit<SshCliOptions, 'hostKey'>>;
  private readonly hostKey: string;
  private servers: SshServer[] = [];
  private conns = new Set<ServerConnection>();
  private generations = new Map<number, { generation: number; changedMs: number }>();
  private readonly startedMs = Date.now();
  /** Logins refused (a wrong user or password). */
  refused = 0;

  constructor(options: SshCliOptions = {}) {
    this.options = { ...DEFAULT_SSH_CLI_OPTIONS, ...options };
    const { sshFirstPort, devices, ownAddresses } = this.options;
    if (!Number.isInteger(sshFirstPort) || sshFirstPort < 1 || sshFirstPort + (ownAddresses ? 0 : devices - 1) > 65535)
      throw new LabError(`--ssh-first-port ${sshFirstPort} with ${devices} devices runs past port 65535`);
    this.hostKey = options.hostKey ?? newHostKey();
  }

  /** Devices that answer SSH. */
  get devices(): number[] {
    return Array.from({ length: this.options.devices }, (_, i) => i).filter(hasSshCli);
  }

  /** Where device i's SSH CLI listens. */
  endpoint(i: number): { address: string; port: number } {
    const { address, sshFirstPort, ownAddresses } = this.options;
    return ownAddresses
      ? { address: deviceAddress(i, address), port: sshFirstPort }
      : { address, port: sshFirstPort + i };
  }

  /** The configuration generation of device i (0 until bumped). */
  generation(i: number): number {
    return this.generations.get(i)?.generation ?? 0;
  }

  /** Changes device i's configuration (what `nms-sim config-change` does); returns the new generation. */
  bump(i: number): number {
    const g = this.generation(i) + 1;
    this.generations.set(i, { generation: g, changedMs: Date.now() });
    return g;
  }

  /** Binds every device's server; on a failure closes those bound and throws. */
  async start(): Promise<void> {
    try {
      for (const i of this.devices) await this.listen(i);
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  private listen(i: number): Promise<void> {
    const at = this.endpoint(i);
    const server = new Server({ hostKeys: [this.hostKey] }, (conn) => this.serve(i, conn));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) =>
        reject(
          new LabError(`cannot listen on TCP ${at.address}:${at.port} for device ${i}: ${err.code ?? err.message}`),
        );
      server.once('error', onError);
      server.listen(at.port, at.address, () => {
        server.off('error', onError);
        server.on('error', (err) => log.warn('server_error', { device: i, err }));
        resolve();
      });
    });
  }

  private serve(i: number, conn: ServerConnection): void {
    const creds = sshCredentials(i, this.options.seed);
    this.conns.add(conn);
    conn.on('close', () => this.conns.delete(conn));
    conn.on('error', () => undefined); // a client that goes away mid-handshake
    conn.on('authentication', (ctx) => {
      if (ctx.method === 'password' && same(ctx.username, creds.username) && same(ctx.password ?? '', creds.password))
        return ctx.accept();
      if (ctx.method === 'password') {
        this.refused++;
        log.info('login_refused', { device: i, user: ctx.username });
      }
      ctx.reject(['password']);
    });
    conn.on('session', (accept) => {
      const session = accept();
      session.on('exec', (acceptExec, _reject, info) => this.exec(i, info.command.trim(), acceptExec()));
      session.on('pty', (ok) => typeof ok === 'function' && ok());
      session.on('shell', (_accept, reject) => reject?.());
    });
  }

  /** The answer to one command; unknown commands fail like a device's CLI does. */
  answer(i: number, command: string, nowMs = Date.now()): { out: string; code: number } {
    if (command === CONFIG_CHANGE_COMMAND) return { out: `generation ${this.bump(i)}\n`, code: 0 };
    if (command === CONFIG_GENERATION_COMMAND) return { out: `generation ${this.generation(i)}\n`, code: 0 };
    if (command === CONFIG_COMMANDS[familyOf(i)]) {
      const g = this.generations.get(i) ?? { generation: 0, changedMs: this.startedMs };
      const text = deviceConfig({ device: i, seed: this.options.seed, ...g, nowMs });
      if (text !== undefined) return { out: text, code: 0 };
    }
    return { out: `% Invalid input detected: ${command.slice(0, 80)}\n`, code: 1 };
  }

  private exec(i: number, command: string, ch: Channel): void {
    const { out, code } = this.answer(i, command);
    if (code === 0) ch.write(out);
    else ch.stderr.write(out);
    ch.exit(code);
    ch.end();
  }

  /** Closes every server and connection; safe to call twice. */
  async close(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    for (const c of this.conns) c.end();
    this.conns.clear();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
