// The simulator's SNMP engine: turns one request datagram for device i into one response
// datagram (or nothing), for v1, v2c and v3 (USM authPriv). No sockets here, so unit tests can
// drive it with bytes. One instance serves every device; its buffers are reused per request.
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
import {
  compareOid,
  isKnownObject,
  layoutFor,
  lowerBound,
  upperBound,
  writeValue,
  type DeviceView,
  type Layout,
} from './mib.js';
import { COMMUNITY, COUNTER_EPOCH_MS, isV3Only, V3_USER } from './model.js';
import {
  aesDecrypt,
  aesEncrypt,
  AUTH_PARAMS_LEN,
  authDigest,
  engineId,
  PRIV_PARAMS_LEN,
  userKeys,
  type UserKeys,
} from './usm.js';

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

/** Error statuses (RFC 3416). */
const E_TOO_BIG = 1;
const E_NO_SUCH_NAME = 2;
const E_NO_ACCESS = 6;
const E_AUTHORIZATION = 16;

const FLAG_AUTH = 1;
const FLAG_PRIV = 2;
const FLAG_REPORTABLE = 4;
const USM = 3;
/** RFC 3414 time window, seconds. */
const TIME_WINDOW = 150;
/** Size we announce for receiving (largest UDP payload). */
const OUR_MAX_SIZE = 65507;

const USM_STATS = [1, 3, 6, 1, 6, 3, 15, 1, 1];
export const REPORT = {
  unsupportedSecLevels: [...USM_STATS, 1, 0],
  notInTimeWindows: [...USM_STATS, 2, 0],
  unknownUserNames: [...USM_STATS, 3, 0],
  unknownEngineIDs: [...USM_STATS, 4, 0],
  wrongDigests: [...USM_STATS, 5, 0],
  decryptionErrors: [...USM_STATS, 6, 0],
} as const;
type ReportKind = keyof typeof REPORT;

export interface AgentStats {
  requests: number;
  responses: number;
  /** Undecodable packets, wrong communities, v1/v2c to v3-only devices. */
  dropped: number;
  badCommunity: number;
  reports: Record<ReportKind, number>;
}

/** Per-request state, reused. */
interface Request {
  version: number;
  community: Buffer;
  pduType: number;
  reqId: number;
  nonRepeaters: number;
  maxRepetitions: number;
  oids: number[][];
  maxSize: number;
  // v3
  msgId: number;
  flags: number;
  engine: Buffer;
  user: Buffer;
  contextEngine: Buffer;
  contextName: Buffer;
}

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
  private readonly vb = new BerWriter(70000);
  private readonly scoped = new BerWriter(70000);
  private readonly out = new BerWriter(70000);
  private readonly view: DeviceView = { index: 0, seed: 1, nowMs: 0, uptimeTicks: 0 };
  private readonly req: Request = {
    version: 0,
    community: Buffer.alloc(0),
    pduType: 0,
    reqId: 0,
    nonRepeaters: 0,
    maxRepetitions: 0,
    oids: [],
    maxSize: 0,
    msgId: 0,
    flags: 0,
    engine: Buffer.alloc(0),
    user: Buffer.alloc(0),
    contextEngine: Buffer.alloc(0),
    contextName: Buffer.alloc(0),
  };
  private readonly community = Buffer.from(COMMUNITY);
  private readonly v3User = Buffer.from(V3_USER);
  private readonly engines = new Map<number, Buffer>();
  private readonly keys = new Map<number, UserKeys>();
  private errorStatus = 0;
  private errorIndex = 0;
  private vbLimit = 0;
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
    this.view.uptimeTicks = Math.max(0, Math.floor((now - this.startMs) / 10)) % 4294967296; // TimeTicks wrap after 497 days
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
    this.readPdu(r);
    if (version === 0 && req.pduType === TAG.GetBulkRequest) return null;
    req.maxSize = this.maxMessageSize;
    this.prepareView(device);
    this.answer(layoutFor(device));
    return this.wrapCommunity(TAG.Response);
  }

  private readPdu(r: BerReader): void {
    const req = this.req;
    req.pduType = r.peekTag();
    if (req.pduType < TAG.GetRequest || req.pduType > TAG.GetBulkRequest || req.pduType === TAG.Response)
      throw new BerError('not a request');
    r.pos++;
    r.length();
    req.reqId = r.int();
    req.nonRepeaters = r.int();
    req.maxRepetitions = r.int();
    const end = r.expect(TAG.Sequence) + r.pos;
    req.oids = [];
    while (r.pos < end) {
      r.expect(TAG.Sequence);
      req.oids.push(r.oid());
      r.skip();
    }
  }

  /** Fills this.vb with the response varbinds and sets errorStatus/errorIndex. */
  private answer(layout: Layout): void {
    const req = this.req;
    this.vb.reset();
    this.errorStatus = 0;
    this.errorIndex = 0;
    this.vbLimit = this.computeVbLimit();
    const v1 = req.version === 0;
    switch (req.pduType) {
      case TAG.GetRequest:
      case TAG.GetNextRequest:
        for (let i = 0; i < req.oids.length; i++) {
          const found =
            req.pduType === TAG.GetRequest ? this.get(layout, req.oids[i], v1) : this.next(layout, req.oids[i], v1);
          if (!found) return this.fail(E_NO_SUCH_NAME, i + 1);
          // checked per varbind so a request of thousands of OIDs cannot outgrow the buffers
          if (this.overSize()) return this.fail(E_TOO_BIG, 0);
        }
        break;
      case TAG.GetBulkRequest:
        this.bulk(layout);
        break;
      default: // SetRequest: the simulated devices are read-only
        return this.fail(v1 ? E_NO_SUCH_NAME : E_NO_ACCESS, 1);
    }
  }

  private overSize(): boolean {
    return this.vb.pos > this.vbLimit;
  }

  /** The most varbind bytes whose message still fits maxSize (while no error is set). */
  private computeVbLimit(): number {
    const max = this.req.maxSize;
    let lim = max - this.messageSize(0);
    // each enclosing length may need a byte or two more than with no varbinds
    while (lim > 0 && this.messageSize(lim) > max) lim--;
    return lim;
  }

  /** An error response carries the request's varbinds back (with NULL values). */
  private fail(status: number, index: number): void {
    this.errorStatus = status;
    this.errorIndex = index;
    this.vb.reset();
    if (status === E_TOO_BIG && this.req.version !== 0) return;
    for (const oid of this.req.oids) this.varbindNull(oid, TAG.Null);
  }

  private varbindNull(oid: number[], tag: number): void {
    const w = this.vb;
    w.header(TAG.Sequence, tlvSize(oidContentSize(oid)) + 2);
    w.oid(oid);
    w.nul(tag);
  }

  /** Writes entry k as a varbind. */
  private varbind(layout: Layout, k: number): void {
    const w = this.vb;
    const oidBer = layout.oidBer[k];
    // value first, behind room for the longest varbind header, then the header in front of it
    const start = w.pos;
    w.pos = start + 4 + oidBer.length;
    writeValue(w, layout.code[k], layout.row[k], this.view);
    const valueLen = w.pos - (start + 4 + oidBer.length);
    const content = oidBer.length + valueLen;
    const headerLen = tlvSize(content) - content;
    w.buf.copyWithin(start + headerLen + oidBer.length, start + 4 + oidBer.length, w.pos);
    w.pos = start;
    w.header(TAG.Sequence, content);
    w.raw(oidBer);
    w.pos += valueLen;
  }

  private get(layout: Layout, oid: number[], v1: boolean): boolean {
    const k = lowerBound(layout, oid);
    if (k < layout.oids.length && compareOid(layout.oids[k], oid) === 0 && !(v1 && layout.is64[k])) {
      this.varbind(layout, k);
      return true;
    }
    if (v1) return false;
    this.varbindNull(oid, isKnownObject(layout, oid, k) ? TAG.NoSuchInstance : TAG.NoSuchObject);
    return true;
  }

  private nextIndex(layout: Layout, k: number, v1: boolean): number {
    if (v1) while (k < layout.oids.length && layout.is64[k]) k++;
    return k;
  }

  private next(layout: Layout, oid: number[], v1: boolean): boolean {
    const k = this.nextIndex(layout, upperBound(layout, oid), v1);
    if (k < layout.oids.length) {
      this.varbind(layout, k);
      return true;
    }
    if (v1) return false;
    this.varbindNull(oid, TAG.EndOfMibView);
    return true;
  }

  /**
   * GETBULK as real agents answer it: the non-repeaters once, then up to max-repetitions rows
   * of one varbind per repeating column, cut to whole rows where the response would exceed the
   * message size (a partial first row when not even one fits, so a walk always progresses).
   */
  private bulk(layout: Layout): void {
    const req = this.req;
    const n = layout.oids.length;
    const nonRep = Math.min(Math.max(req.nonRepeaters, 0), req.oids.length);
    for (let i = 0; i < nonRep; i++) {
      this.next(layout, req.oids[i], false);
      if (this.overSize()) return this.fail(E_TOO_BIG, 0);
    }
    const cols = req.oids.length - nonRep;
    if (cols === 0) return;
    const cursor: number[] = [];
    for (let j = 0; j < cols; j++) cursor.push(upperBound(layout, req.oids[nonRep + j]));
    const maxRep = Math.max(req.maxRepetitions, 0);
    for (let rep = 0; rep < maxRep; rep++) {
      const rowStart = this.vb.pos;
      let ended = 0;
      for (let j = 0; j < cols; j++) {
        const before = this.vb.pos;
        const k = cursor[j];
        if (k < n) {
          this.varbind(layout, k);
          cursor[j] = k + 1;
        } else {
          ended++;
          // the name of an endOfMibView is the one that was asked for at this step
          this.varbindNull(
            k === upperBound(layout, req.oids[nonRep + j]) ? req.oids[nonRep + j] : Array.from(layout.oids[n - 1]),
            TAG.EndOfMibView,
          );
        }
        if (this.overSize()) {
          this.vb.pos = rep === 0 ? before : rowStart;
          return;
        }
      }
      if (ended === cols) return;
    }
  }

  // ---- message sizes and wrapping ----

  private pduContentSize(vbLen: number, reqId: number): number {
    return (
      tlvSize(intContentSize(reqId)) +
      tlvSize(intContentSize(this.errorStatus)) +
      tlvSize(intContentSize(this.errorIndex)) +
      tlvSize(vbLen)
    );
  }

  private pduSize(vbLen: number, reqId: number): number {
    return tlvSize(this.pduContentSize(vbLen, reqId));
  }

  /** Size of the whole response message if the varbinds take vbLen bytes. */
  private messageSize(vbLen: number): number {
    const req = this.req;
    const pdu = this.pduSize(vbLen, req.reqId);
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

  private writePdu(w: BerWriter, tag: number, reqId: number): void {
    const vbLen = this.vb.pos;
    w.header(tag, this.pduContentSize(vbLen, reqId));
    w.int(reqId);
    w.int(this.errorStatus);
    w.int(this.errorIndex);
    w.header(TAG.Sequence, vbLen);
    w.buf.set(this.vb.buf.subarray(0, vbLen), w.pos);
    w.pos += vbLen;
  }

  private wrapCommunity(tag: number): Buffer {
    const req = this.req;
    const w = this.out;
    w.reset();
    const total = this.messageSize(this.vb.pos);
    w.header(TAG.Sequence, contentOf(total));
    w.int(req.version);
    w.bytes(TAG.OctetString, req.community);
    this.writePdu(w, tag, req.reqId);
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
      this.vb.reset();
      this.errorStatus = 0;
      this.errorIndex = 0;
      this.fail(E_AUTHORIZATION, 0);
    } else this.answer(layoutFor(device));
    return this.wrapV3(device, TAG.Response, req.flags & (FLAG_AUTH | FLAG_PRIV), keys);
  }

  private readScoped(r: BerReader): void {
    const req = this.req;
    r.expect(TAG.Sequence);
    req.contextEngine = r.octets();
    req.contextName = r.octets();
    this.readPdu(r);
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
    this.vb.reset();
    this.errorStatus = 0;
    this.errorIndex = 0;
    const oid = REPORT[kind];
    const w = this.vb;
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
    const pdu = this.pduSize(this.vb.pos, req.reqId);
    s.header(TAG.Sequence, tlvSize(req.contextEngine.length) + tlvSize(req.contextName.length) + pdu);
    s.bytes(TAG.OctetString, req.contextEngine);
    s.bytes(TAG.OctetString, req.contextName);
    this.writePdu(s, tag, req.reqId);
    let salt: Buffer | undefined;
    let data = s.buf.subarray(0, s.pos);
    if (flags & FLAG_PRIV && keys) {
      salt = this.nextSalt();
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

  private saltCounter = 0;
  private readonly salt = Buffer.alloc(PRIV_PARAMS_LEN);
  /** RFC 3826: the salt must not repeat under one key; a counter from a random start does. */
  private nextSalt(): Buffer {
    if (this.saltCounter === 0) this.saltCounter = Math.floor(Math.random() * 2 ** 40) + 1;
    this.saltCounter++;
    this.salt.writeUInt32BE(Math.floor(this.saltCounter / 2 ** 32) >>> 0, 0);
    this.salt.writeUInt32BE(this.saltCounter >>> 0, 4);
    return this.salt;
  }
}

function lengthBytes(total: number): number {
  // total = 1 (tag) + length bytes + content; find how many bytes the length field took
  for (let lb = 1; lb <= 4; lb++) if (tlvSize(total - 1 - lb) === total) return lb;
  throw new Error('inconsistent size');
}

/** Content length of a TLV whose total size is `total`. */
function contentOf(total: number): number {
  return total - 1 - lengthBytes(total);
}
