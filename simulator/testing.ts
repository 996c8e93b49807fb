// Client-side helpers for the simulator's tests: requests built with asn1-ber (net-snmp's own
// encoder, independent of ours) and a generic TLV decoder for responses, so a bug in the
// simulator's codec cannot hide itself by being symmetric. Not used by the simulator itself.
import { createRequire } from 'node:module';

interface AsnWriter {
  startSequence(tag?: number): void;
  endSequence(): void;
  writeInt(i: number, tag?: number): void;
  writeString(s: string, tag?: number): void;
  writeBuffer(b: Buffer, tag: number): void;
  writeOID(s: string, tag?: number): void;
  writeNull(): void;
  buffer: Buffer;
}
const require = createRequire(import.meta.url);
const { Ber } = require('asn1-ber') as { Ber: { Writer: new () => AsnWriter } };

export const PDU = { get: 0xa0, getNext: 0xa1, response: 0xa2, set: 0xa3, getBulk: 0xa5, report: 0xa8 } as const;

export interface RequestSpec {
  /** 0 = v1, 1 = v2c. */
  version: 0 | 1;
  community?: string;
  pduType: number;
  reqId?: number;
  nonRepeaters?: number;
  maxRepetitions?: number;
  oids: string[];
}

function writePdu(
  w: AsnWriter,
  r: { pduType: number; reqId?: number; nonRepeaters?: number; maxRepetitions?: number; oids: string[] },
): void {
  w.startSequence(r.pduType);
  w.writeInt(r.reqId ?? 1234);
  w.writeInt(r.nonRepeaters ?? 0);
  w.writeInt(r.maxRepetitions ?? 0);
  w.startSequence(0x30);
  for (const oid of r.oids) {
    w.startSequence(0x30);
    w.writeOID(oid);
    w.writeNull();
    w.endSequence();
  }
  w.endSequence();
  w.endSequence();
}

/** A v1/v2c request message. */
export function buildRequest(r: RequestSpec): Buffer {
  const w = new Ber.Writer();
  w.startSequence(0x30);
  w.writeInt(r.version);
  w.writeString(r.community ?? 'public');
  writePdu(w, r);
  w.endSequence();
  return w.buffer;
}

/** An SNMPv3 engine-discovery request: noAuthNoPriv, reportable, empty engine ID and user. */
export function buildV3Discovery(msgId: number, reqId: number, engineId: Buffer = Buffer.alloc(0), user = ''): Buffer {
  const w = new Ber.Writer();
  w.startSequence(0x30);
  w.writeInt(3);
  w.startSequence(0x30);
  w.writeInt(msgId);
  w.writeInt(65507);
  w.writeBuffer(Buffer.from([0x04]), 0x04);
  w.writeInt(3);
  w.endSequence();
  const usm = new Ber.Writer();
  usm.startSequence(0x30);
  usm.writeBuffer(engineId, 0x04);
  usm.writeInt(0);
  usm.writeInt(0);
  usm.writeString(user);
  usm.writeString('');
  usm.writeString('');
  usm.endSequence();
  w.writeBuffer(usm.buffer, 0x04);
  w.startSequence(0x30);
  w.writeBuffer(engineId, 0x04);
  w.writeString('');
  writePdu(w, { pduType: PDU.get, reqId, oids: ['1.3.6.1.2.1.1.5.0'] });
  w.endSequence();
  w.endSequence();
  return w.buffer;
}

export interface V3Spec {
  msgId: number;
  /** msgFlags: 1 auth, 2 priv (not supported here), 4 reportable. */
  flags: number;
  engineId: Buffer;
  boots: number;
  time: number;
  user: string;
  /** Localised HMAC-SHA-96 key; required when flags has auth. */
  authKey?: Buffer;
  reqId: number;
  oids: string[];
}

/** A plaintext (noAuthNoPriv or authNoPriv) SNMPv3 GET. */
export function buildV3Get(spec: V3Spec, digest: (key: Buffer, msg: Buffer) => Buffer): Buffer {
  const auth = (spec.flags & 1) !== 0;
  const w = new Ber.Writer();
  w.startSequence(0x30);
  w.writeInt(3);
  w.startSequence(0x30);
  w.writeInt(spec.msgId);
  w.writeInt(65507);
  w.writeBuffer(Buffer.from([spec.flags]), 0x04);
  w.writeInt(3);
  w.endSequence();
  const usm = new Ber.Writer();
  usm.startSequence(0x30);
  usm.writeBuffer(spec.engineId, 0x04);
  usm.writeInt(spec.boots);
  usm.writeInt(spec.time);
  usm.writeString(spec.user);
  usm.writeBuffer(Buffer.alloc(auth ? 12 : 0), 0x04);
  usm.writeString('');
  usm.endSequence();
  w.writeBuffer(usm.buffer, 0x04);
  w.startSequence(0x30);
  w.writeBuffer(spec.engineId, 0x04);
  w.writeString('');
  writePdu(w, { pduType: PDU.get, reqId: spec.reqId, oids: spec.oids });
  w.endSequence();
  w.endSequence();
  const msg = Buffer.from(w.buffer);
  if (auth) {
    // the only 12 zero bytes after an OCTET STRING header of length 12 are the auth parameters
    const at = msg.indexOf(Buffer.concat([Buffer.from([0x04, 12]), Buffer.alloc(12)])) + 2;
    digest(spec.authKey!, msg).copy(msg, at);
  }
  return msg;
}

export interface Tlv {
  tag: number;
  /** Content bytes. */
  bytes: Buffer;
  /** Total size of the TLV including tag and length. */
  size: number;
  children?: Tlv[];
}

/** Generic BER decoder: constructed tags (bit 0x20) are decoded recursively. */
export function decodeTlv(buf: Buffer, pos = 0): Tlv {
  const tag = buf[pos];
  let p = pos + 1;
  let len = buf[p++];
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++];
  }
  if (p + len > buf.length) throw new Error(`TLV at ${pos} runs past the end`);
  const bytes = buf.subarray(p, p + len);
  const tlv: Tlv = { tag, bytes, size: p + len - pos };
  if (tag & 0x20) {
    tlv.children = [];
    for (let q = 0; q < len;) {
      const child = decodeTlv(bytes, q);
      tlv.children.push(child);
      q += child.size;
    }
  }
  return tlv;
}

export function tlvInt(t: Tlv): bigint {
  let v = 0n;
  for (const b of t.bytes) v = (v << 8n) | BigInt(b);
  // INTEGER is signed; the application types (0x41..0x46) are unsigned
  if (t.tag === 0x02 && t.bytes.length > 0 && t.bytes[0] & 0x80) v -= 1n << BigInt(8 * t.bytes.length);
  return v;
}

export function tlvOid(t: Tlv): string {
  const parts: number[] = [];
  let v = 0;
  for (let i = 0; i < t.bytes.length; i++) {
    v = v * 128 + (t.bytes[i] & 0x7f);
    if (t.bytes[i] & 0x80) continue;
    if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
    else parts.push(v);
    v = 0;
  }
  return parts.join('.');
}

export interface DecodedVarbind {
  oid: string;
  /** BER tag of the value: 0x02 INTEGER, 0x04 OCTET STRING, 0x41 Counter32, 0x46 Counter64, 0x80-0x82 exceptions... */
  type: number;
  value: bigint | string | null;
}

export interface DecodedPdu {
  pduType: number;
  reqId: number;
  errorStatus: number;
  errorIndex: number;
  varbinds: DecodedVarbind[];
}

export function decodePdu(t: Tlv): DecodedPdu {
  const [id, status, index, list] = t.children!;
  return {
    pduType: t.tag,
    reqId: Number(tlvInt(id)),
    errorStatus: Number(tlvInt(status)),
    errorIndex: Number(tlvInt(index)),
    varbinds: list.children!.map((vb) => {
      const [name, value] = vb.children!;
      const type = value.tag;
      const v =
        type === 0x04
          ? value.bytes.toString('latin1')
          : type === 0x06
            ? tlvOid(value)
            : type === 0x05 || type >= 0x80
              ? null
              : tlvInt(value);
      return { oid: tlvOid(name), type, value: v };
    }),
  };
}

/** Decodes a v1/v2c message. */
export function decodeCommunityMessage(buf: Buffer): { version: number; community: string; pdu: DecodedPdu } {
  const top = decodeTlv(buf);
  if (top.size !== buf.length) throw new Error('trailing bytes after the message');
  const [version, community, pdu] = top.children!;
  return { version: Number(tlvInt(version)), community: community.bytes.toString('latin1'), pdu: decodePdu(pdu) };
}

/** Decodes an unencrypted v3 message (reports, discovery answers). */
export function decodeV3Plain(buf: Buffer): {
  msgId: number;
  flags: number;
  engineId: Buffer;
  boots: number;
  time: number;
  user: string;
  contextEngineId: Buffer;
  pdu: DecodedPdu;
} {
  const top = decodeTlv(buf);
  const [, global, sec, data] = top.children!;
  const usm = decodeTlv(sec.bytes).children!;
  const [ctxEngine, , pdu] = data.children!;
  return {
    msgId: Number(tlvInt(global.children![0])),
    flags: global.children![2].bytes[0],
    engineId: Buffer.from(usm[0].bytes),
    boots: Number(tlvInt(usm[1])),
    time: Number(tlvInt(usm[2])),
    user: usm[3].bytes.toString('latin1'),
    contextEngineId: Buffer.from(ctxEngine.bytes),
    pdu: decodePdu(pdu),
  };
}
