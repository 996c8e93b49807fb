// The simulator's SNMP engine: turns one request datagram for device i into one response
// datagram (or nothing), for v1, v2c and v3 (USM authPriv). No sockets here, so unit tests can
// drive it with bytes. One instance serves every device; its buffers are reused per request.
// The varbinds are PduResponder's (responder.ts); the message around them is written here.
import { timingSafeEqual } from 'node:crypto';
import {
  BerError,
  BerReader,
  BerWriter,
  intContentSize,
  oidContentSize,
  TAG,
  tlvSize,
  uintContentSize,
} from './ber.js';
import { layoutFor, type DeviceView, type Layout } from './mib.js';
import { COMMUNITY, COUNTER_EPOCH_MS, isV3Only, V3_USER } from './model.js';
import {
  contentOf,
  E_AUTHORIZATION,
  FLAG_AUTH,
  FLAG_PRIV,
  FLAG_REPORTABLE,
  newRequest,
  OUR_MAX_SIZE,
  readPdu,
  REPORT,
  TIME_WINDOW,
  USM,
  type AgentStats,
  type ReportKind,
} from './request.js';
import { PduResponder } from './responder.js';
import {
  aesDecrypt,
  aesEncrypt,
  AUTH_PARAMS_LEN,
  authDigest,
  engineId,
  PRIV_PARAMS_LEN,
  SaltSequence,
  userKeys,
  type UserKeys,
} from './usm.js';

export { REPORT, type AgentStats } from './request.js';

export interface AgentOptions {
  /** Seed of the deterministic data (model.ts). Default 1. */
  seed?: number;
  /** Largest response in bytes (UDP payload); v3 requests may lower it with msgMaxSize. Default 1472. */
  maxMessageSize?: number;
  /** When the simulated devices booted (sysUpTime 0, v3 engine time 0), ms since the epoch. Default: now. */
  startMs?: number;
  /** Clock, ms since the epoch. Default Date.now (tests pass a fixed clock). */
  now?: () => number;
}

export const DEFAULT_AGENT_OPTIONS: Required<Omit<AgentOptions, 'startMs'>> = {
  seed: 1,
  maxMessageSize: 1472,
  now: Date.now,
};

export class SimAgent {
  readonly seed: number;
  readonly maxMessageSize: number;
  readonly startMs: number;
  /**
   * snmpEngineBoots: the start time in seconds since 2026, so it grows with every restart as a
   * real agent's does and clients holding an old (boots, time) resynchronise.
   */
  readonly engineBoots: number;
  readonly stats: AgentStats = {
    requests: 0,
    responses: 0,
    dropped: 0,
    badCommunity: 0,
    reports: {
      unsupportedSecLevels: 0,
      notInTimeWindows: 0,
      unknownUserNames: 0,
      unknownEngineIDs: 0,
      wrongDigests: 0,
      decryptionErrors: 0,
    },
  };
  private readonly now: () => number;
  private readonly reader = new BerReader(Buffer.alloc(0));
  private readonly scoped = new BerWriter(70000);
  private readonly out = new BerWriter(70000);
  private readonly view: DeviceView = { index: 0, seed: 1, nowMs: 0, uptimeTicks: 0 };
  private readonly req = newRequest();
  private readonly pdu = new PduResponder(this.req, this.view);
  private readonly salts = new SaltSequence();
  private readonly community = Buffer.from(COMMUNITY);
  private readonly v3User = Buffer.from(V3_USER);
  private readonly engines = new Map<number, Buffer>();
  private readonly keys = new Map<number, UserKeys>();
  private v3Time = 0;

  constructor(options: AgentOptions = {}) {
    const o = { ...DEFAULT_AGENT_OPTIONS, ...options };
    if (!Number.isInteger(o.maxMessageSize) || o.maxMessageSize < 484 || o.maxMessageSize > OUR_MAX_SIZE) {
      throw new RangeError(`maxMessageSize must be an integer from 484 to ${OUR_MAX_SIZE}, got ${o.maxMessageSize}`);
    }
    this.seed = o.seed;
    this.maxMessageSize = o.maxMessageSize;
    this.now = o.now;
    this.startMs = options.startMs ?? o.now();
    this.engineBoots = Math.max(1, Math.floor((this.startMs - COUNTER_EPOCH_MS) / 1000));
  }

  /** The engine ID of device i (cached: the v3 path needs it on every message). */
  engineIdOf(device: number): Buffer {
    let id = this.engines.get(device);
    if (!id) {
      id = engineId(device, this.seed);
      this.engines.set(device, id);
    }
    return id;
  }

  /** Answers one datagram sent to device i; null means send nothing. */
  handle(device: number, msg: Buffer): Buffer | null {
    this.stats.requests++;
    try {
      const r = this.reader.reset(msg);
      r.expect(TAG.Sequence);
      const version = r.int();
      const out =
        version === 3
          ? this.handleV3(device, msg)
          : version === 0 || version === 1
            ? this.handleCommunity(device, version)
            : null;
      if (out) this.stats.responses++;
      else this.stats.dropped++;
      return out;
    } catch (err) {
      if (!(err instanceof BerError)) throw err;
      this.stats.dropped++;
      return null;
    }
  }

  private prepareView(device: number): void {
    const now = this.now();
    this.view.index = device;
    this.view.seed = this.seed;
    this.view.nowMs = now;
    // TimeTicks wrap after 497 days
    this.view.uptimeTicks = Math.max(0, Math.floor((now - this.startMs) / 10)) % 4294967296;
  }

  private handleCommunity(device: number, version: number): Buffer | null {
    const r = this.reader;
    const req = this.req;
    req.version = version;
    req.community = r.octets();
    if (isV3Only(device) || !req.community.equals(this.community)) {
      this.stats.badCommunity++;
      return null;
    }
    readPdu(r, this.req);
    if (version === 0 && req.pduType === TAG.GetBulkRequest) return null;
    req.maxSize = this.maxMessageSize;
    this.prepareView(device);
    this.answer(layoutFor(device));
    return this.wrapCommunity(TAG.Response);
  }

  private answer(layout: Layout): void {
    this.pdu.reset();
    this.pdu.answer(layout, this.computeVbLimit());
  }

  /** The most varbind bytes whose message still fits maxSize (while no error is set). */
  private computeVbLimit(): number {
    const max = this.req.maxSize;
    let lim = max - this.messageSize(0);
    // each enclosing length may need a byte or two more than with no varbinds
    while (lim > 0 && this.messageSize(lim) > max) lim--;
    return lim;
  }

  // ---- message sizes and wrapping ----

  /** Size of the whole response message if the varbinds take vbLen bytes. */
  private messageSize(vbLen: number): number {
    const req = this.req;
    const pdu = this.pdu.pduSize(vbLen, req.reqId);
    if (req.version !== 3) return tlvSize(3 + tlvSize(req.community.length) + pdu);
    return this.v3Size(pdu, req.flags);
  }

  private v3Size(pdu: number, flags: number): number {
    const req = this.req;
    const scoped = tlvSize(tlvSize(req.contextEngine.length) + tlvSize(req.contextName.length) + pdu);
    const data = flags & FLAG_PRIV ? tlvSize(scoped) : scoped;
    const usm = tlvSize(this.usmContentSize(flags));
    const global = tlvSize(tlvSize(intContentSize(req.msgId)) + tlvSize(intContentSize(OUR_MAX_SIZE)) + 3 + 3);
    return tlvSize(3 + global + tlvSize(usm) + data);
  }

  private usmContentSize(flags: number): number {
    const req = this.req;
    const time = this.v3Time;
    return (
      tlvSize(req.engine.length) +
      tlvSize(intContentSize(this.engineBoots)) +
      tlvSize(intContentSize(time)) +
      tlvSize(req.user.length) +
      tlvSize(flags & FLAG_AUTH ? AUTH_PARAMS_LEN : 0) +
      tlvSize(flags & FLAG_PRIV ? PRIV_PARAMS_LEN : 0)
    );
  }

  private wrapCommunity(tag: number): Buffer {
    const req = this.req;
    const w = this.out;
    w.reset();
    const total = this.messageSize(this.pdu.vb.pos);
    w.header(TAG.Sequence, contentOf(total));
    w.int(req.version);
    w.bytes(TAG.OctetString, req.community);
    this.pdu.writePdu(w, tag, req.reqId);
    return Buffer.from(w.buf.subarray(0, w.pos));
  }

  // ---- SNMPv3 ----

  private engineTime(): number {
    return Math.max(0, Math.floor((this.now() - this.startMs) / 1000));
  }

  private handleV3(device: number, msg: Buffer): Buffer | null {
    const r = this.reader;
    const req = this.req;
    req.version = 3;
    // one engine time per message: sizes computed before writing must match what is written
    this.v3Time = this.engineTime();
    r.expect(TAG.Sequence);
    req.msgId = r.int();
    const maxSize = r.int();
    const flagBytes = r.octets();
    if (flagBytes.length !== 1) throw new BerError('bad msgFlags');
    req.flags = flagBytes[0];
    if (r.int() !== USM) return null;
    if ((req.flags & (FLAG_AUTH | FLAG_PRIV)) === FLAG_PRIV) return null;
    const secLen = r.expect(TAG.OctetString);
    const secEnd = r.pos + secLen;
    r.expect(TAG.Sequence);
    req.engine = r.octets();
    const boots = r.int();
    const time = r.int();
    req.user = r.octets();
    const authLen = r.expect(TAG.OctetString);
    const authPos = r.pos;
    r.pos += authLen;
    const salt = r.octets();
    r.pos = secEnd;
    req.maxSize = Math.min(this.maxMessageSize, Math.max(484, maxSize));
    req.reqId = 0;
    req.contextEngine = this.engineIdOf(device);
    req.contextName = Buffer.alloc(0);
    req.oids = [];
    const reportable = (req.flags & FLAG_REPORTABLE) !== 0;
    const ours = this.engineIdOf(device);
    const plain = (req.flags & FLAG_PRIV) === 0;

    if (plain) this.readScoped(r);
    if (!req.engine.equals(ours)) return reportable ? this.report(device, 'unknownEngineIDs', 0) : null;
    if (!isV3Only(device) || !req.user.equals(this.v3User))
      return reportable ? this.report(device, 'unknownUserNames', 0) : null;
    const keys = this.keysOf(device);
    if (req.flags & FLAG_AUTH) {
      if (authLen !== AUTH_PARAMS_LEN) return reportable ? this.report(device, 'wrongDigests', 0) : null;
      const copy = Buffer.from(msg);
      copy.fill(0, authPos, authPos + AUTH_PARAMS_LEN);
      if (!timingSafeEqual(authDigest(keys.auth, copy), msg.subarray(authPos, authPos + AUTH_PARAMS_LEN))) {
        return reportable ? this.report(device, 'wrongDigests', 0) : null;
      }
      if (boots !== this.engineBoots || Math.abs(time - this.v3Time) > TIME_WINDOW) {
        return reportable ? this.report(device, 'notInTimeWindows', FLAG_AUTH) : null;
      }
    }
    if (!plain) {
      const data = r.octets();
      if (salt.length !== PRIV_PARAMS_LEN) return reportable ? this.report(device, 'decryptionErrors', 0) : null;
      try {
        const clear = aesDecrypt(keys.priv, boots, time, salt, data);
        this.readScoped(new BerReader(clear));
      } catch (err) {
        if (!(err instanceof BerError)) throw err;
        return reportable ? this.report(device, 'decryptionErrors', 0) : null;
      }
    }
    this.prepareView(device);
    if ((req.flags & (FLAG_AUTH | FLAG_PRIV)) !== (FLAG_AUTH | FLAG_PRIV)) {
      // the lab user may read only with authPriv, as `rouser nmsv3 priv` in snmpd.conf
      this.pdu.reset();
      this.pdu.fail(E_AUTHORIZATION, 0);
    } else this.answer(layoutFor(device));
    return this.wrapV3(device, TAG.Response, req.flags & (FLAG_AUTH | FLAG_PRIV), keys);
  }

  private readScoped(r: BerReader): void {
    const req = this.req;
    r.expect(TAG.Sequence);
    req.contextEngine = r.octets();
    req.contextName = r.octets();
    readPdu(r, this.req);
  }

  private keysOf(device: number): UserKeys {
    let k = this.keys.get(device);
    if (!k) {
      k = userKeys(this.engineIdOf(device));
      this.keys.set(device, k);
    }
    return k;
  }

  /** A USM report (RFC 3414 3.2): one usmStats counter, at the given security level. */
  private report(device: number, kind: ReportKind, flags: number): Buffer {
    const req = this.req;
    this.stats.reports[kind]++;
    req.engine = this.engineIdOf(device);
    req.contextEngine = req.engine;
    this.pdu.reset();
    const oid = REPORT[kind];
    const w = this.pdu.vb;
    const value = this.stats.reports[kind];
    w.header(TAG.Sequence, tlvSize(oidContentSize(oid)) + tlvSize(uintContentSize(value)));
    w.oid(oid);
    w.uint(TAG.Counter32, value);
    return this.wrapV3(device, TAG.Report, flags, flags & FLAG_AUTH ? this.keysOf(device) : undefined);
  }

  private wrapV3(device: number, tag: number, flags: number, keys?: UserKeys): Buffer {
    const req = this.req;
    req.engine = this.engineIdOf(device);
    const time = this.v3Time;
    // the scoped PDU first: it may need encrypting before the message around it is written
    const s = this.scoped;
    s.reset();
    const pdu = this.pdu.pduSize(this.pdu.vb.pos, req.reqId);
    s.header(TAG.Sequence, tlvSize(req.contextEngine.length) + tlvSize(req.contextName.length) + pdu);
    s.bytes(TAG.OctetString, req.contextEngine);
    s.bytes(TAG.OctetString, req.contextName);
    this.pdu.writePdu(s, tag, req.reqId);
    let salt: Buffer | undefined;
    let data = s.buf.subarray(0, s.pos);
    if (flags & FLAG_PRIV && keys) {
      salt = this.salts.next();
      data = aesEncrypt(keys.priv, this.engineBoots, time, salt, data);
    }
    const w = this.out;
    w.reset();
    w.header(TAG.Sequence, contentOf(this.v3Size(pdu, flags)));
    w.int(3);
    w.header(TAG.Sequence, tlvSize(intContentSize(req.msgId)) + tlvSize(intContentSize(OUR_MAX_SIZE)) + 3 + 3);
    w.int(req.msgId);
    w.int(OUR_MAX_SIZE);
    w.header(TAG.OctetString, 1);
    w.buf[w.pos++] = flags;
    w.int(USM);
    const usm = this.usmContentSize(flags);
    w.header(TAG.OctetString, tlvSize(usm));
    w.header(TAG.Sequence, usm);
    w.bytes(TAG.OctetString, req.engine);
    w.int(this.engineBoots);
    w.int(time);
    w.bytes(TAG.OctetString, req.user);
    let authPos = -1;
    if (flags & FLAG_AUTH) {
      w.header(TAG.OctetString, AUTH_PARAMS_LEN);
      authPos = w.pos;
      w.buf.fill(0, w.pos, w.pos + AUTH_PARAMS_LEN);
      w.pos += AUTH_PARAMS_LEN;
    } else w.header(TAG.OctetString, 0);
    if (salt) w.bytes(TAG.OctetString, salt);
    else w.header(TAG.OctetString, 0);
    if (salt) w.bytes(TAG.OctetString, data);
    else w.raw(data);
    const out = Buffer.from(w.buf.subarray(0, w.pos));
    if (authPos >= 0 && keys) authDigest(keys.auth, out).copy(out, authPos);
    return out;
  }
}
