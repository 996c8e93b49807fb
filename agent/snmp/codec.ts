// The agent's own SNMP v1/v2c messages (v3 stays on net-snmp): requests encoded into one
// reusable buffer, responses decoded straight to our varbinds. A poll decodes some 800 varbinds,
// so the decoder makes one object per varbind and one OID string, values already in the form
// the walk keeps (numbers, Buffers that are views into the packet, bigints for Counter64).
import { BerError, BerReader, BerWriter, intContentSize, oidContentSize, TAG, tlvSize } from '../../lib/ber.js';
import type { Varbind } from './types.js';

export { BerError };

/** SNMP's version field: 0 for v1, 1 for v2c. */
export type WireVersion = 0 | 1;

/** PDU tags of the requests we send. */
export const PDU = { Get: TAG.GetRequest, GetNext: TAG.GetNextRequest, GetBulk: TAG.GetBulkRequest } as const;

/** The largest UDP payload over IPv4: the biggest response we accept. */
export const MAX_MESSAGE = 65507;

/** A dotted OID (`1.3.6.1...`, a leading dot allowed) as its arcs. */
export function parseOid(oid: string): number[] {
  const out: number[] = [];
  let v = 0;
  let digits = 0;
  for (let i = oid.charCodeAt(0) === 46 ? 1 : 0; i <= oid.length; i++) {
    const c = i < oid.length ? oid.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || v > 0xffffffff) throw new BerError(`bad OID ${JSON.stringify(oid)}`);
      out.push(v);
      v = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      digits++;
    } else throw new BerError(`bad OID ${JSON.stringify(oid)}`);
  }
  if (out.length < 2 || out[0] > 2 || (out[0] < 2 && out[1] >= 40))
    throw new BerError(`bad OID ${JSON.stringify(oid)}`);
  return out;
}

let writer = new BerWriter(1500);

/**
 * One request message. `a`, `b` are error-status and error-index (0 for GET and GETNEXT) or
 * non-repeaters and max-repetitions (GETBULK). Returns a copy the size of the message: it is
 * kept for retries while the writer's buffer serves the next request.
 */
export function encodeRequest(
  version: WireVersion,
  community: Buffer,
  pdu: number,
  requestId: number,
  a: number,
  b: number,
  oids: string[],
): Buffer {
  const arcs = oids.map(parseOid);
  let vbl = 0;
  for (const o of arcs) vbl += tlvSize(tlvSize(oidContentSize(o)) + 2);
  const pduLen =
    tlvSize(intContentSize(requestId)) + tlvSize(intContentSize(a)) + tlvSize(intContentSize(b)) + tlvSize(vbl);
  const msgLen = tlvSize(intContentSize(version)) + tlvSize(community.length) + tlvSize(pduLen);
  const total = tlvSize(msgLen);
  if (total > writer.buf.length) writer = new BerWriter(total * 2);
  const w = writer;
  w.reset();
  w.header(TAG.Sequence, msgLen);
  w.int(version);
  w.bytes(TAG.OctetString, community);
  w.header(pdu, pduLen);
  w.int(requestId);
  w.int(a);
  w.int(b);
  w.header(TAG.Sequence, vbl);
  for (const o of arcs) {
    w.header(TAG.Sequence, tlvSize(oidContentSize(o)) + 2);
    w.oid(o);
    w.nul();
  }
  return Buffer.from(w.buf.subarray(0, w.pos));
}

/** A response's header, read first so that a stray packet costs no more than this. */
export interface ResponseHead {
  version: number;
  pdu: number;
  requestId: number;
}

/** A decoded Response PDU. */
export interface Response {
  requestId: number;
  errorStatus: number;
  errorIndex: number;
  varbinds: Varbind[];
}

const reader = new BerReader(Buffer.alloc(0));

/**
 * Reads version, community (skipped) and the PDU's tag and request-id; the reader is left at
 * error-status for readBody. Throws BerError on anything that is not an SNMP v1/v2c message.
 */
export function readHead(buf: Buffer): ResponseHead {
  const r = reader.reset(buf);
  r.expect(TAG.Sequence);
  const version = r.int();
  r.octets();
  const pdu = r.peekTag();
  r.pos++;
  r.length();
  return { version, pdu, requestId: r.int() };
}

/** The rest of the message readHead began: error-status, error-index and the varbinds. */
export function readBody(head: ResponseHead): Response {
  const r = reader;
  const errorStatus = r.int();
  const errorIndex = r.int();
  const vblLen = r.expect(TAG.Sequence); // first: `r.pos + r.expect()` would add the old pos
  const end = r.pos + vblLen;
  const varbinds: Varbind[] = [];
  while (r.pos < end) varbinds.push(readVarbind(r));
  return { requestId: head.requestId, errorStatus, errorIndex, varbinds };
}

/** readHead and readBody in one (tests, and anything off the hot path). */
export function decodeResponse(buf: Buffer): Response {
  return readBody(readHead(buf));
}

function readVarbind(r: BerReader): Varbind {
  const vbLen = r.expect(TAG.Sequence);
  const end = r.pos + vbLen;
  const oid = oidText(r);
  const b = r.buf;
  const start = r.pos;
  const type = r.peekTag();
  r.pos++;
  const len = r.length();
  const p = r.pos;
  r.pos = p + len;
  if (r.pos !== end) throw new BerError('varbind length mismatch');
  let value: Varbind['value'];
  switch (type) {
    case TAG.Integer:
      value = len === 0 ? 0 : signed(b, p, len);
      break;
    case TAG.Counter32:
    case TAG.Gauge32:
    case TAG.TimeTicks:
      value = unsigned(b, p, len);
      break;
    case TAG.Counter64:
      value = counter64(b, p, len);
      break;
    case TAG.IpAddress:
      value = len === 4 ? `${b[p]}.${b[p + 1]}.${b[p + 2]}.${b[p + 3]}` : b.subarray(p, p + len);
      break;
    case TAG.Oid:
      r.pos = start;
      value = oidText(r);
      break;
    case TAG.Null:
    case TAG.NoSuchObject:
    case TAG.NoSuchInstance:
    case TAG.EndOfMibView:
      value = null;
      break;
    default:
      // OctetString, Opaque and anything else: the bytes, a view into the packet
      value = b.subarray(p, p + len);
  }
  // `at` from the start (the walk sets it when it keeps the varbind as its cell): one object shape
  return { oid, type, value, at: undefined };
}

function signed(b: Buffer, p: number, len: number): number {
  if (len > 6) throw new BerError('integer too long');
  let v = 0;
  for (let i = 0; i < len; i++) v = v * 256 + b[p + i];
  return b[p] & 0x80 ? v - 2 ** (8 * len) : v;
}

function unsigned(b: Buffer, p: number, len: number): number {
  if (len > 7) throw new BerError('unsigned integer too long');
  let v = 0;
  for (let i = 0; i < len; i++) v = v * 256 + b[p + i];
  return v;
}

/** Up to 9 bytes (a leading zero): read as at most two numbers, one BigInt made in the end. */
function counter64(b: Buffer, p: number, len: number): bigint {
  if (len > 9) throw new BerError('Counter64 too long');
  if (len <= 6) return BigInt(unsigned(b, p, len));
  const lo = unsigned(b, p + len - 6, 6);
  const hi = unsigned(b, p, len - 6);
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 48n) | BigInt(lo);
}

/** Where oidText writes an OID's digits: the text is then made from it in one piece. */
const text = Buffer.allocUnsafe(128 * 11);

/**
 * An OBJECT IDENTIFIER TLV as dotted text. The digits go into a scratch buffer and become one
 * flat string: built by `+=`, the text was a chain of pieces the walk's compares had to flatten.
 */
function oidText(r: BerReader): string {
  const len = r.expect(TAG.Oid);
  const b = r.buf;
  const end = r.pos + len;
  if (len === 0 || b[end - 1] & 0x80) throw new BerError('bad oid');
  let n = 0;
  let v = 0;
  let arcs = 0;
  for (let p = r.pos; p < end; p++) {
    const c = b[p];
    v = v * 128 + (c & 0x7f);
    if (c & 0x80) continue;
    if (++arcs > 127) throw new BerError('oid too long');
    if (arcs === 1) {
      const a = v < 40 ? 0 : v < 80 ? 1 : 2;
      text[n++] = 48 + a;
      text[n++] = 46;
      v -= a * 40;
    } else text[n++] = 46;
    n = digits(v, n);
    v = 0;
  }
  r.pos = end;
  return text.toString('latin1', 0, n);
}

/** Writes v's decimal digits into `text` at n; returns the position after them. */
function digits(v: number, n: number): number {
  if (v < 10) {
    text[n] = 48 + v;
    return n + 1;
  }
  let e = n;
  for (let x = v; x >= 1; x = Math.floor(x / 10)) e++;
  for (let i = e - 1; i >= n; i--) {
    const q = Math.floor(v / 10);
    text[i] = 48 + (v - q * 10);
    v = q;
  }
  return e;
}
