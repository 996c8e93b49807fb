// Client for rrdcached's line protocol over TCP or a unix socket, shared by the agent (writes)
// and the CLI (doctor/status checks). Commands are pipelined: each is written at once and
// replies are matched in order. A lost connection fails what was in flight with
// RrdcachedUnavailableError and the next command reconnects. The protocol itself (formats,
// reply parsing, error kinds) is in rrdcached-protocol.ts.
//
// UPDATE takes absolute timestamps only, and rrdcached accepts a wrong number of values,
// failing later in its own log: the value count is checked here against the file's DS count.
import { connect, type Socket } from 'node:net';
import { RrdError } from './errors.js';
import {
  checkPath,
  formatCreate,
  formatUpdate,
  parseAddress,
  parseBatchErrors,
  parseFetch,
  parseInfoDsCount,
  parseStats,
  parseStatusLine,
  replyError,
  RrdcachedError,
  RrdcachedUnavailableError,
  type RrdBatchResult,
  type RrdCreateSpec,
  type RrdFetchResult,
  type RrdReply,
  type RrdUpdate,
} from './rrdcached-protocol.js';

export * from './rrdcached-protocol.js';

export interface RrdcachedClientOptions {
  /** `host:port`, `unix:/path` or `/path`. Default `127.0.0.1:42217`. */
  address?: string;
  /** Milliseconds to wait for a connection. Default 3000. */
  connectTimeoutMs?: number;
  /** Milliseconds to wait for one reply before the connection is dropped. Default 30000. */
  commandTimeoutMs?: number;
  /** Most commands sent in one BATCH; longer lists are split. Default 20000. */
  maxBatchCommands?: number;
  /**
   * Files whose DS count is remembered (from CREATE or INFO) to check UPDATE value counts; the
   * oldest is forgotten beyond this, and asked again by INFO when needed. Default 10000.
   */
  maxKnownFiles?: number;
}

export const DEFAULT_RRDCACHED_CLIENT_OPTIONS: Required<RrdcachedClientOptions> = {
  address: '127.0.0.1:42217',
  connectTimeoutMs: 3000,
  commandTimeoutMs: 30000,
  maxBatchCommands: 20000,
  maxKnownFiles: 10000,
};

interface Pending {
  resolve: (r: RrdReply) => void;
  reject: (e: Error) => void;
  reply?: RrdReply;
  /** Lines still expected after the status line; -1 until it arrived. */
  remaining: number;
}

export class RrdcachedClient {
  readonly options: Required<RrdcachedClientOptions>;
  private socket?: Socket;
  private connecting?: Promise<Socket>;
  private pending: Pending[] = [];
  private buffer = '';
  private timer?: NodeJS.Timeout;
  private closed = false;
  /**
   * DS count per file path, learned from CREATE or INFO; used to check UPDATE value counts.
   * Bounded (maxKnownFiles): an agent knows half a million files, and the RrdWriter checks
   * value counts against its own definitions without this map.
   */
  private readonly dsCounts = new Map<string, number>();

  constructor(options: RrdcachedClientOptions = {}) {
    this.options = { ...DEFAULT_RRDCACHED_CLIENT_OPTIONS, ...options };
    for (const k of ['connectTimeoutMs', 'commandTimeoutMs', 'maxBatchCommands', 'maxKnownFiles'] as const) {
      if (!Number.isInteger(this.options[k]) || this.options[k] < 1)
        throw new RrdError(`RrdcachedClientOptions.${k} must be a positive whole number (got ${this.options[k]})`);
    }
    parseAddress(this.options.address);
  }

  /** Connects now (commands also connect on demand). */
  async start(): Promise<void> {
    this.closed = false;
    await this.ensureSocket();
  }

  async close(): Promise<void> {
    this.closed = true;
    const s = this.socket;
    this.dropConnection(new RrdcachedUnavailableError('rrdcached client closed'));
    if (s) s.end();
  }

  /** Tells the client a file's DS count (when it was created elsewhere); also how CREATE and INFO record it. */
  setDsCount(path: string, count: number): void {
    // Map keeps insertion order: the first key is the oldest
    if (!this.dsCounts.has(path) && this.dsCounts.size >= this.options.maxKnownFiles)
      this.dsCounts.delete(this.dsCounts.keys().next().value as string);
    this.dsCounts.set(path, count);
  }

  knownDsCount(path: string): number | undefined {
    return this.dsCounts.get(path);
  }

  async ping(): Promise<void> {
    await this.command('PING');
  }

  /** STATS as numbers: QueueLength, UpdatesReceived, DataSetsWritten, ... */
  async stats(): Promise<Record<string, number>> {
    return parseStats((await this.command('STATS')).lines);
  }

  async create(path: string, spec: RrdCreateSpec): Promise<void> {
    const start = spec.start ?? Math.floor(Date.now() / 1000) - 10;
    await this.command(formatCreate(path, spec, start));
    this.setDsCount(path, spec.ds.length);
  }

  /** CREATE that treats "file exists" as success (another agent made it first). */
  async createIfMissing(path: string, spec: RrdCreateSpec): Promise<boolean> {
    try {
      await this.create(path, { ...spec, noOverwrite: true });
      return true;
    } catch (err) {
      if (err instanceof RrdcachedError && err.kind === 'file-exists') {
        this.setDsCount(path, spec.ds.length);
        return false;
      }
      throw err;
    }
  }

  /** Number of data sources in a file, from INFO (cached). */
  async dsCount(path: string): Promise<number> {
    const known = this.dsCounts.get(path);
    if (known !== undefined) return known;
    const count = parseInfoDsCount((await this.command(`INFO ${checkPath(path)}`)).lines);
    this.setDsCount(path, count);
    return count;
  }

  /** Formats one UPDATE command after checking its value count against the file's DS count. */
  async updateCommand(u: RrdUpdate): Promise<string> {
    if (!Number.isFinite(u.time) || u.time <= 0)
      throw new RrdError(`update of ${u.path}: time must be absolute seconds (got ${u.time})`);
    const count = await this.dsCount(u.path);
    if (count !== u.values.length)
      throw new RrdError(`update of ${u.path}: ${u.values.length} values for ${count} data sources`);
    return formatUpdate(u);
  }

  /** Sends UPDATEs as BATCHes (split at maxBatchCommands); value counts checked first. */
  async updateBatch(updates: RrdUpdate[]): Promise<RrdBatchResult> {
    const commands: string[] = [];
    for (const u of updates) commands.push(await this.updateCommand(u));
    return this.batch(commands);
  }

  /** Sends raw commands (UPDATE, CREATE, FLUSH, FORGET) in BATCH mode. */
  async batch(commands: string[]): Promise<RrdBatchResult> {
    const result: RrdBatchResult = { sent: 0, errors: [] };
    for (let off = 0; off < commands.length; off += this.options.maxBatchCommands) {
      const chunk =
        off === 0 && commands.length <= this.options.maxBatchCommands
          ? commands
          : commands.slice(off, off + this.options.maxBatchCommands);
      for (const c of chunk) if (c.includes('\n')) throw new RrdError('a batch command must be one line');
      const socket = await this.ensureSocket();
      const goAhead = this.expectReply();
      const done = this.expectReply();
      socket.write('BATCH\n' + chunk.join('\n') + '\n.\n');
      await goAhead;
      const r = await done;
      result.sent += chunk.length;
      result.errors.push(...parseBatchErrors(r.lines, off));
    }
    return result;
  }

  async flush(path: string): Promise<void> {
    await this.command(`FLUSH ${checkPath(path)}`);
  }

  async flushAll(): Promise<void> {
    await this.command('FLUSHALL');
  }

  /** FETCH through the daemon (which flushes the file first). */
  async fetch(
    path: string,
    cf: 'AVERAGE' | 'MIN' | 'MAX' | 'LAST',
    start: number,
    end: number,
  ): Promise<RrdFetchResult> {
    return parseFetch((await this.command(`FETCH ${checkPath(path)} ${cf} ${start} ${end}`)).lines);
  }

  /** Sends one command and waits for its reply; RrdcachedError (with its kind) on an error reply. */
  async command(line: string): Promise<RrdReply> {
    if (line.includes('\n')) throw new RrdError('an rrdcached command must be one line');
    const socket = await this.ensureSocket();
    const p = this.expectReply();
    socket.write(line + '\n');
    const r = await p;
    if (r.status < 0) throw replyError(line, r);
    return r;
  }

  private expectReply(): Promise<RrdReply> {
    return new Promise<RrdReply>((resolve, reject) => {
      this.pending.push({ resolve, reject, remaining: -1 });
      this.armTimer();
    });
  }

  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.pending.length === 0) return ((this.timer = undefined), undefined);
    const { address, commandTimeoutMs } = this.options;
    const late = `rrdcached at ${address} did not answer within ${commandTimeoutMs} ms (commandTimeoutMs)`;
    this.timer = setTimeout(() => this.dropConnection(new RrdcachedUnavailableError(late)), commandTimeoutMs);
    this.timer.unref();
  }

  private ensureSocket(): Promise<Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    if (this.closed) return Promise.reject(new RrdcachedUnavailableError('rrdcached client closed'));
    const addr = parseAddress(this.options.address);
    this.connecting = new Promise<Socket>((resolve, reject) => {
      const s = 'path' in addr ? connect(addr.path) : connect(addr.port, addr.host);
      const t = setTimeout(
        () => s.destroy(new Error(`no connection within ${this.options.connectTimeoutMs} ms`)),
        this.options.connectTimeoutMs,
      );
      s.setEncoding('utf8');
      s.once('connect', () => {
        clearTimeout(t);
        s.setNoDelay(true);
        this.socket = s;
        this.buffer = '';
        this.connecting = undefined;
        resolve(s);
      });
      s.on('data', (chunk: string) => this.onData(chunk));
      s.on('error', (err) => {
        clearTimeout(t);
        const e = new RrdcachedUnavailableError(
          `rrdcached at ${this.options.address} unreachable: ${(err as NodeJS.ErrnoException).code ?? err.message}`,
          { cause: err },
        );
        if (this.connecting && !this.socket) {
          this.connecting = undefined;
          reject(e);
        } else if (this.socket === s) this.dropConnection(e);
      });
      s.on('close', () => {
        if (this.socket === s)
          this.dropConnection(
            new RrdcachedUnavailableError(`rrdcached at ${this.options.address} closed the connection`),
          );
      });
    });
    return this.connecting;
  }

  private dropConnection(err: Error): void {
    const s = this.socket;
    this.socket = undefined;
    this.buffer = '';
    if (s) s.destroy();
    const pending = this.pending;
    this.pending = [];
    this.armTimer();
    for (const p of pending) p.reject(err);
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      const p = this.pending[0];
      if (!p) continue; // nothing asked: ignore stray output
      if (p.remaining < 0) {
        const head = parseStatusLine(line);
        if (!head)
          return this.dropConnection(
            new RrdcachedError('protocol', `rrdcached sent an unexpected line: ${line.slice(0, 80)}`),
          );
        p.reply = { ...head, lines: [] };
        p.remaining = head.status > 0 ? head.status : 0;
      } else {
        p.reply!.lines.push(line);
        p.remaining--;
      }
      if (p.remaining === 0) {
        this.pending.shift();
        this.armTimer();
        p.resolve(p.reply!);
      }
    }
  }
}
