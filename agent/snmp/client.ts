// A v1/v2c session's requests on our own codec and the process's shared UDP socket: the
// community and version encoded per request, the device's address looked up once, error-status
// turned into RequestFailed as net-snmp did (the walk reads `status`).
import { lookup } from 'node:dns/promises';
import { isIP, SocketAddress } from 'node:net';
import { encodeRequest, type Response, type WireVersion } from './codec.js';
import { type Pending, RequestFailed, udpTransport, type UdpTransport } from './transport.js';
import type { SnmpTarget, Varbind } from './types.js';

type Done<R> = (err: Error | null, r?: R) => void;

/** Names of error-status values (RFC 3416), as net-snmp words them. */
const STATUS = [
  'NoError',
  'TooBig',
  'NoSuchName',
  'BadValue',
  'ReadOnly',
  'GeneralError',
  'NoAccess',
  'WrongType',
  'WrongLength',
  'WrongEncoding',
  'WrongValue',
  'NoCreation',
  'InconsistentValue',
  'ResourceUnavailable',
  'CommitFailed',
  'UndoFailed',
  'AuthorizationError',
  'NotWritable',
  'InconsistentName',
];

export class OwnClient {
  private readonly transport: UdpTransport;
  private readonly community: Buffer;
  private readonly version: WireVersion;
  private readonly host: string;
  private readonly port: number;
  private readonly family: 4 | 6;
  private address?: string;
  private resolving?: Promise<string>;
  private cancelled?: Error;
  private readonly inFlight = new Set<Pending>();

  constructor(
    target: SnmpTarget,
    type: 'udp4' | 'udp6',
    private readonly timeoutMs: number,
    private readonly retries: number,
  ) {
    this.transport = udpTransport(type);
    this.family = type === 'udp6' ? 6 : 4;
    this.community = Buffer.from(target.community ?? 'public', 'utf8');
    this.version = target.version === 'v1' ? 0 : 1;
    this.host = target.host;
    this.port = target.port ?? 161;
    // answers are matched on the address as the kernel reports it: IPv6 in its canonical form
    const ip = isIP(target.host);
    if (ip === 4 || (ip === 6 && target.host.includes('%'))) this.address = target.host;
    else if (ip === 6) this.address = new SocketAddress({ address: target.host, family: 'ipv6' }).address;
  }

  /** Sends one request (a PDU tag of codec.ts's PDU); `done` gets the response or the error. */
  request(pdu: number, oids: string[], a: number, b: number, done: Done<Response>): void {
    if (this.address !== undefined) return this.start(this.address, pdu, oids, a, b, done);
    this.resolving ??= lookup(this.host, { family: this.family }).then((r) => (this.address = r.address));
    this.resolving.then(
      (address) => this.start(address, pdu, oids, a, b, done),
      (err: Error) => done(err),
    );
  }

  /** Fails every request in flight, and any sent after, with `err`. */
  cancelAll(err: Error): void {
    this.cancelled ??= err;
    for (const p of [...this.inFlight]) this.transport.cancel(p, err);
  }

  private start(address: string, pdu: number, oids: string[], a: number, b: number, done: Done<Response>): void {
    if (this.cancelled) return done(this.cancelled);
    const id = this.transport.newId();
    const p: Pending = {
      message: encodeRequest(this.version, this.community, pdu, id, a, b, oids),
      address,
      port: this.port,
      version: this.version,
      timeoutMs: this.timeoutMs,
      retriesLeft: this.retries,
      id,
      done: (err, res) => {
        this.inFlight.delete(p);
        if (err) done(err);
        else if (res!.errorStatus > 0) done(statusError(res!));
        else done(null, res);
      },
    };
    this.inFlight.add(p);
    this.transport.send(p);
  }
}

function statusError(res: Response): RequestFailed {
  const name = STATUS[res.errorStatus] ?? 'GeneralError';
  const status = STATUS[res.errorStatus] ? res.errorStatus : 5;
  const vb = res.errorIndex > 0 ? res.varbinds[res.errorIndex - 1] : undefined;
  return new RequestFailed(vb ? `${name}: ${vb.oid}` : name, status);
}

/** A response's varbinds as they came (GET, GETNEXT). */
export function flat(cb: Done<Varbind[]>): Done<Response> {
  return (err, res) => (err ? cb(err) : cb(null, res!.varbinds));
}

/**
 * A GETBULK response without non-repeaters as one list per requested OID: varbind i belongs to
 * request OID i mod n (the response may be short, as the RFC allows).
 */
export function byColumn(n: number, cb: Done<Varbind[][]>): Done<Response> {
  return (err, res) => {
    if (err) return cb(err);
    const vbs = res!.varbinds;
    const cols: Varbind[][] = [];
    for (let i = 0; i < n && i < vbs.length; i++) cols.push([vbs[i]]);
    for (let i = n; i < vbs.length; i++) cols[i % n].push(vbs[i]);
    cb(null, cols);
  };
}
