// A few UDP sockets per address family shared by every v1/v2c session of the process
// (net-snmp made, bound and closed one per session, that is per poll). Responses are matched by request-id and
// by the address and port the request went to; anything else (strays, late answers to a request
// already done, duplicates, answers from another address) is dropped. Each request has its own
// timeout and retries; the session cancels what it has in flight on its deadline or abort.
import dgram from 'node:dgram';
import { type Response, readBody, readHead } from './codec.js';

/** The agent did not answer in time (after the retries). */
export class RequestTimedOut extends Error {
  constructor() {
    super('Request timed out');
    this.name = 'RequestTimedOut';
  }
}

/** A response with a non-zero error-status; `status` as the agent sent it (1 tooBig, 2 noSuchName). */
export class RequestFailed extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'RequestFailed';
    this.status = status;
  }
}

/** One request in flight. */
export interface Pending {
  readonly message: Buffer;
  readonly address: string;
  readonly port: number;
  readonly version: number;
  readonly timeoutMs: number;
  retriesLeft: number;
  id: number;
  timer?: NodeJS.Timeout;
  done: (err: Error | null, res?: Response) => void;
}

const RESPONSE = 0xa2;

export class UdpTransport {
  private socket?: dgram.Socket;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1 + Math.floor(Math.random() * 0x3fffffff);

  constructor(private readonly type: 'udp4' | 'udp6') {}

  /** A fresh request-id (positive 31-bit, not in flight). */
  newId(): number {
    let id = this.nextId;
    while (this.pending.has(id)) id = id >= 0x7fffffff ? 1 : id + 1;
    this.nextId = id >= 0x7fffffff ? 1 : id + 1;
    return id;
  }

  /** Sends p.message and waits for its answer; p.done is called exactly once. */
  send(p: Pending): void {
    this.pending.set(p.id, p);
    p.timer = setTimeout(() => this.expire(p), p.timeoutMs);
    this.transmit(p);
  }

  /** Ends a request before its answer (deadline, abort, close); a later answer is dropped. */
  cancel(p: Pending, err: Error): void {
    if (this.pending.get(p.id) !== p) return;
    this.finish(p);
    p.done(err);
  }

  /** Requests in flight (tests). */
  get inFlight(): number {
    return this.pending.size;
  }

  private transmit(p: Pending): void {
    this.open().send(p.message, p.port, p.address, (err) => {
      if (err && this.pending.get(p.id) === p) {
        this.finish(p);
        p.done(err);
      }
    });
  }

  private expire(p: Pending): void {
    if (this.pending.get(p.id) !== p) return;
    if (p.retriesLeft > 0) {
      p.retriesLeft--;
      p.timer!.refresh();
      this.transmit(p);
      return;
    }
    this.finish(p);
    p.done(new RequestTimedOut());
  }

  private finish(p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(p.id);
  }

  private open(): dgram.Socket {
    if (this.socket) return this.socket;
    const s = dgram.createSocket({ type: this.type, recvBufferSize: 4 << 20 });
    s.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    s.on('error', (err) => {
      // the socket is unusable: every request on it fails, the next one opens a new socket
      if (this.socket === s) this.socket = undefined;
      try {
        s.close();
      } catch {
        // already closed
      }
      for (const p of [...this.pending.values()]) this.cancel(p, err);
    });
    // requests keep the process alive through their timers, an idle socket does not
    s.unref();
    this.socket = s;
    return s;
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let head;
    try {
      head = readHead(msg);
    } catch {
      return; // not an SNMP message we can read: a stray
    }
    const p = this.pending.get(head.requestId);
    if (!p || p.address !== rinfo.address || p.port !== rinfo.port || p.version !== head.version) return;
    if (head.pdu !== RESPONSE) return;
    let res: Response;
    try {
      res = readBody(head);
    } catch (err) {
      this.finish(p);
      p.done(new Error(`malformed response: ${(err as Error).message}`));
      return;
    }
    this.finish(p);
    p.done(null, res);
  }
}

/**
 * Sockets per address family: sessions are spread over them in turn. One would do for the
 * matching; a few give the kernel more room to queue answers while the event loop is busy (the
 * receive buffer asked for is capped by net.core.rmem_max, 208 KiB on a default Linux).
 */
export const SOCKETS_PER_FAMILY = 4;

const transports: Record<'udp4' | 'udp6', UdpTransport[]> = { udp4: [], udp6: [] };
const turn = { udp4: 0, udp6: 0 };

/** One of the process's transports for an address family, in turn (a session keeps its own). */
export function udpTransport(type: 'udp4' | 'udp6'): UdpTransport {
  const list = transports[type];
  const i = turn[type]++ % SOCKETS_PER_FAMILY;
  return (list[i] ??= new UdpTransport(type));
}

/** Requests in flight over every transport of the process (tests, statistics). */
export function requestsInFlight(): number {
  let n = 0;
  for (const list of Object.values(transports)) for (const t of list) n += t.inFlight;
  return n;
}
