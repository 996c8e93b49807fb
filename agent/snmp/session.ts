// One SNMP session to one device for the length of a poll: v1, v2c or v3, with a deadline and
// an AbortSignal that cancel whatever is in flight. v1 and v2c go through our own codec and the
// UDP sockets the process shares (codec.ts, client.ts, transport.ts); v3 through net-snmp, whose
// socket of its own is closed by close(). The caller runs close() in `finally` (it is safe to call twice).
import snmp from 'net-snmp';
import type { RawVarbind, Session } from 'net-snmp';
import { byColumn, flat, OwnClient } from './client.js';
import { PDU } from './codec.js';
import { SnmpError } from './errors.js';
import { RequestFailed, RequestTimedOut } from './transport.js';
import { decodeValue } from './values.js';
import type { SnmpTarget, Varbind } from './types.js';

export interface SnmpSessionOptions {
  /** Per-request timeout in ms (the target's own wins). Default 1500. */
  timeoutMs?: number;
  /** Retries per request (the target's own wins). Default 1. */
  retries?: number;
  /** Absolute time (ms since the epoch) after which every request fails. Default none. */
  deadline?: number;
  /** Aborts every request in flight and any later one. */
  signal?: AbortSignal;
}

export const DEFAULT_SNMP_SESSION_OPTIONS = { timeoutMs: 1500, retries: 1 } as const;

const AUTH: Record<string, number> = {
  MD5: snmp.AuthProtocols.md5,
  SHA: snmp.AuthProtocols.sha,
  'SHA-224': snmp.AuthProtocols.sha224,
  'SHA-256': snmp.AuthProtocols.sha256,
  'SHA-384': snmp.AuthProtocols.sha384,
  'SHA-512': snmp.AuthProtocols.sha512,
};
const PRIV: Record<string, number> = {
  DES: snmp.PrivProtocols.des,
  AES: snmp.PrivProtocols.aes,
  'AES-256': snmp.PrivProtocols.aes256b,
  'AES-256-C': snmp.PrivProtocols.aes256r,
};

export class SnmpSession {
  readonly target: SnmpTarget;
  readonly version: SnmpTarget['version'];
  /** v3 only: net-snmp's session. */
  private readonly session?: Session;
  /** v1/v2c: our own requests, on the process's shared sockets. */
  private readonly own?: OwnClient;
  private failed?: SnmpError;
  private readonly timer?: NodeJS.Timeout;
  private readonly onAbort?: () => void;
  private readonly signal?: AbortSignal;
  private closed = false;
  /** Requests sent, for the poll's statistics. */
  requests = 0;
  private inFlight = 0;

  constructor(target: SnmpTarget, options: SnmpSessionOptions = {}) {
    this.target = target;
    this.version = target.version;
    const opts = {
      port: target.port ?? 161,
      transport: target.transport === 'udp6' ? ('udp6' as const) : ('udp4' as const),
      timeout: target.timeoutMs ?? options.timeoutMs ?? DEFAULT_SNMP_SESSION_OPTIONS.timeoutMs,
      retries: target.retries ?? options.retries ?? DEFAULT_SNMP_SESSION_OPTIONS.retries,
      // we check order ourselves, with the column it concerns in the message
      backwardsGetNexts: true,
    };
    if (target.version === 'v3') {
      const level = target.authlevel ?? 'noAuthNoPriv';
      if (!target.authname) throw new SnmpError('auth', 'SNMPv3 needs authname');
      const user: {
        name: string;
        level: number;
        authProtocol?: number;
        authKey?: string;
        privProtocol?: number;
        privKey?: string;
      } = {
        name: target.authname,
        level: snmp.SecurityLevel[level],
      };
      if (level !== 'noAuthNoPriv') {
        user.authProtocol = AUTH[(target.authalgo ?? 'MD5').toUpperCase()];
        if (user.authProtocol === undefined)
          throw new SnmpError(
            'auth',
            `SNMPv3 authalgo ${target.authalgo} is not one of ${Object.keys(AUTH).join(', ')}`,
          );
        user.authKey = target.authpass ?? '';
      }
      if (level === 'authPriv') {
        user.privProtocol = PRIV[(target.cryptoalgo ?? 'AES').toUpperCase()];
        if (user.privProtocol === undefined)
          throw new SnmpError(
            'auth',
            `SNMPv3 cryptoalgo ${target.cryptoalgo} is not one of ${Object.keys(PRIV).join(', ')}`,
          );
        user.privKey = target.cryptopass ?? '';
      }
      this.session = snmp.createV3Session(target.host, user, { ...opts, version: snmp.Version3 });
      // A socket error with no listener would crash the process: make it fail the requests instead.
      this.session.on('error', (err: Error) =>
        this.fail(new SnmpError('protocol', `SNMP socket error: ${err.message}`, { cause: err })),
      );
    } else {
      this.own = new OwnClient(target, opts.transport, opts.timeout, opts.retries);
    }
    if (options.deadline !== undefined) {
      const left = Math.max(0, options.deadline - Date.now());
      this.timer = setTimeout(() => this.fail(new SnmpError('timeout', `poll deadline of the device passed`)), left);
      this.timer.unref();
    }
    if (options.signal) {
      this.signal = options.signal;
      this.onAbort = () => this.fail(new SnmpError('aborted', 'poll aborted'));
      if (options.signal.aborted) this.onAbort();
      else options.signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  private fail(err: SnmpError): void {
    if (this.failed) return;
    this.failed = err;
    if (this.session) this.session.cancelRequests(err);
    else this.own!.cancelAll(err);
  }

  async get(oids: string[]): Promise<Varbind[]> {
    const sent = nowMs();
    const raw = await this.call<RawVarbind[]>((cb) =>
      this.session ? this.session.get(oids, cb) : this.own!.request(PDU.Get, oids, 0, 0, flat(cb)),
    );
    // the agent read its counters somewhere between send and arrival: the midpoint errs least
    return convertAll(raw, (sent + nowMs()) / 2);
  }

  async getNext(oids: string[]): Promise<Varbind[]> {
    const sent = nowMs();
    const raw = await this.call<RawVarbind[]>((cb) =>
      this.session ? this.session.getNext(oids, cb) : this.own!.request(PDU.GetNext, oids, 0, 0, flat(cb)),
    );
    return convertAll(raw, (sent + nowMs()) / 2);
  }

  /** GETBULK without non-repeaters: one list of varbinds per requested OID (may be short). */
  async getBulk(oids: string[], maxRepetitions: number): Promise<Varbind[][]> {
    const { at, columns } = await this.getBulkRaw(oids, maxRepetitions);
    return columns.map((col) => convertAll(col, at));
  }

  /**
   * GETBULK as net-snmp decoded it (values not yet ours: see decodeValue) with the time the
   * agent read them: the walk turns each varbind into the Cell it keeps, without a copy between.
   */
  async getBulkRaw(oids: string[], maxRepetitions: number): Promise<{ at: number; columns: RawVarbind[][] }> {
    const sent = nowMs();
    if (this.own) {
      const cols = await this.call<RawVarbind[][]>((cb) =>
        this.own!.request(PDU.GetBulk, oids, 0, maxRepetitions, byColumn(oids.length, cb)),
      );
      return { at: (sent + nowMs()) / 2, columns: cols };
    }
    const raw = await this.call<(RawVarbind | RawVarbind[])[]>((cb) =>
      this.session!.getBulk(oids, 0, maxRepetitions, cb),
    );
    const at = (sent + nowMs()) / 2;
    for (let i = 0; i < raw.length; i++) if (!Array.isArray(raw[i])) raw[i] = [raw[i] as RawVarbind];
    return { at, columns: raw as RawVarbind[][] };
  }

  private call<R>(send: (cb: (err: Error | null, r?: R) => void) => void): Promise<R> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.closed) return Promise.reject(new SnmpError('aborted', 'SNMP session already closed'));
    this.requests++;
    this.inFlight++;
    return new Promise<R>((resolve, reject) => {
      try {
        send((err, r) => {
          this.inFlight--;
          if (err) reject(this.failed ?? classify(err, this.target));
          else resolve(r as R);
        });
      } catch (err) {
        this.inFlight--;
        reject(classify(err as Error, this.target));
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.signal && this.onAbort) this.signal.removeEventListener('abort', this.onAbort);
    // an error object (with its stack) only when a request is still waiting to be told
    if (!this.failed && this.inFlight > 0) this.failed = new SnmpError('aborted', 'SNMP session closed');
    if (this.own) {
      if (this.failed) this.own.cancelAll(this.failed);
      return;
    }
    try {
      this.session!.close();
    } catch {
      // already closed by a socket error: nothing left to release
    }
  }
}

/**
 * net-snmp's varbinds become ours in place (value decoded, arrival time added): a poll handles
 * some 800 of them, and a copy of each was a large part of the garbage a poll made.
 */
function convertAll(raw: RawVarbind[], at: number): Varbind[] {
  const out = raw as unknown as Varbind[];
  for (let i = 0; i < raw.length; i++) {
    const vb = out[i];
    vb.value = decodeValue(vb.type, raw[i].value);
    vb.at = at;
  }
  return out;
}

/** Wall time with the monotonic clock's precision: counter rates divide by these differences. */
const nowMs = () => performance.timeOrigin + performance.now();

function classify(err: Error, t: SnmpTarget): SnmpError {
  if (err instanceof SnmpError) return err;
  const where = `${t.host}:${t.port ?? 161}`;
  if (err instanceof snmp.RequestTimedOutError || err instanceof RequestTimedOut) {
    return new SnmpError(
      'timeout',
      `no SNMP answer from ${where} (${t.version}${t.version === 'v3' ? '' : '; wrong community?'})`,
      { cause: err },
    );
  }
  if (err instanceof snmp.ResponseInvalidError && err.code === snmp.ResponseInvalidCode.EAuthFailure) {
    return new SnmpError('auth', `SNMPv3 authentication failed at ${where}: ${err.message}`, { cause: err });
  }
  if (err instanceof snmp.RequestFailedError || err instanceof RequestFailed)
    return new SnmpError('protocol', `${where} answered with an error: ${err.message}`, { cause: err });
  return new SnmpError('protocol', `SNMP exchange with ${where} failed: ${err.message}`, { cause: err });
}
