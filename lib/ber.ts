// A small BER codec: just what SNMP messages need (RFC 3416/3417 types), written for a hot
// loop; shared by the simulator (server side) and the agent's v1/v2c client (agent/snmp/codec.ts).
// The writer fills one reusable buffer forward with lengths computed in advance (callers size
// inner parts first), so encoding a message makes no objects per varbind.

export const TAG = {
  Integer: 0x02,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Sequence: 0x30,
  IpAddress: 0x40,
  Counter32: 0x41,
  Gauge32: 0x42,
  TimeTicks: 0x43,
  Counter64: 0x46,
  NoSuchObject: 0x80,
  NoSuchInstance: 0x81,
  EndOfMibView: 0x82,
  GetRequest: 0xa0,
  GetNextRequest: 0xa1,
  Response: 0xa2,
  SetRequest: 0xa3,
  GetBulkRequest: 0xa5,
  Report: 0xa8,
} as const;

/** A packet we cannot decode; the agent drops it, as real agents do. */
export class BerError extends Error {}

/** Bytes a BER length field takes. */
export function lengthSize(len: number): number {
  return len < 0x80 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : 4;
}

/** Bytes of a whole TLV whose content is `len` bytes (one-byte tags only). */
export function tlvSize(len: number): number {
  return 1 + lengthSize(len) + len;
}

/** 2^(8k-1) for k = 1..8: the first value that needs k+1 content bytes. */
const SIGN_LIMIT = [0, 2 ** 7, 2 ** 15, 2 ** 23, 2 ** 31, 2 ** 39, 2 ** 47, 2 ** 55, 2 ** 63];

/** Content bytes of a signed INTEGER (two's complement, minimal). */
export function intContentSize(n: number): number {
  let size = 1;
  while (size < 5 && (n < -SIGN_LIMIT[size] || n >= SIGN_LIMIT[size])) size++;
  return size;
}

/** Content bytes of an unsigned value (Counter32/Gauge32/TimeTicks/Counter64) below 2^64. */
export function uintContentSize(n: number): number {
  // a leading zero byte is needed when the top bit of the first byte is set
  let size = 1;
  while (size < 9 && n >= SIGN_LIMIT[size]) size++;
  return size;
}

function subidSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Content bytes of an OBJECT IDENTIFIER. */
export function oidContentSize(oid: ArrayLike<number>): number {
  if (oid.length < 2) return 1;
  let size = subidSize(oid[0] * 40 + oid[1]);
  for (let i = 2; i < oid.length; i++) size += subidSize(oid[i]);
  return size;
}

/** Encodes an OID as a complete TLV (used to precompute the MIB layout). */
export function encodeOid(oid: ArrayLike<number>): Buffer {
  const w = new BerWriter(tlvSize(oidContentSize(oid)));
  w.oid(oid);
  return w.buf.subarray(0, w.pos);
}

/** Forward writer over one preallocated buffer; `reset()` reuses it for the next message. */
export class BerWriter {
  buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  reset(): void {
    this.pos = 0;
  }
  header(tag: number, len: number): void {
    const b = this.buf;
    b[this.pos++] = tag;
    if (len < 0x80) b[this.pos++] = len;
    else if (len < 0x100) {
      b[this.pos++] = 0x81;
      b[this.pos++] = len;
    } else if (len < 0x10000) {
      b[this.pos++] = 0x82;
      b[this.pos++] = len >> 8;
      b[this.pos++] = len & 0xff;
    } else {
      b[this.pos++] = 0x83;
      b[this.pos++] = (len >> 16) & 0xff;
      b[this.pos++] = (len >> 8) & 0xff;
      b[this.pos++] = len & 0xff;
    }
  }
  int(n: number, tag: number = TAG.Integer): void {
    const size = intContentSize(n);
    this.header(tag, size);
    // two's complement of a 32-bit-range integer, big-endian
    let v = n < 0 ? n + 2 ** (8 * size) : n;
    for (let i = size - 1; i >= 0; i--) {
      this.buf[this.pos + i] = v & 0xff;
      v = Math.floor(v / 256);
    }
    this.pos += size;
  }
  /** Unsigned application types; `n` must be a non-negative integer below 2^53. */
  uint(tag: number, n: number): void {
    const size = uintContentSize(n);
    this.header(tag, size);
    let v = n;
    for (let i = size - 1; i >= 0; i--) {
      this.buf[this.pos + i] = v % 256;
      v = Math.floor(v / 256);
    }
    this.pos += size;
  }
  bytes(tag: number, src: Uint8Array): void {
    this.header(tag, src.length);
    this.raw(src);
  }
  /** An OCTET STRING of ASCII text (the simulator's strings are all ASCII). */
  ascii(s: string): void {
    this.header(TAG.OctetString, s.length);
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }
  raw(src: Uint8Array): void {
    const n = src.length;
    // a plain loop beats TypedArray.set for the short OIDs and strings that dominate
    if (n < 48) {
      const b = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) b[p++] = src[i];
    } else this.buf.set(src, this.pos);
    this.pos += n;
  }
  nul(tag: number = TAG.Null): void {
    this.buf[this.pos++] = tag;
    this.buf[this.pos++] = 0;
  }
  oid(oid: ArrayLike<number>): void {
    this.header(TAG.Oid, oidContentSize(oid));
    if (oid.length < 2) {
      this.buf[this.pos++] = oid.length === 1 ? oid[0] * 40 : 0;
      return;
    }
    this.subid(oid[0] * 40 + oid[1]);
    for (let i = 2; i < oid.length; i++) this.subid(oid[i]);
  }
  private subid(v: number): void {
    const size = subidSize(v);
    for (let i = size - 1; i >= 0; i--) {
      this.buf[this.pos + i] = (v & 0x7f) | (i === size - 1 ? 0 : 0x80);
      v = Math.floor(v / 128);
    }
    this.pos += size;
  }
}

/** Cursor over a received packet; values are views into it, not copies. */
export class BerReader {
  buf: Buffer;
  pos: number;
  end: number;
  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }
  /** Points the reader at another packet (one reader serves every request). */
  reset(buf: Buffer, start = 0, end = buf.length): this {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    return this;
  }
  /** Reads a tag and length; returns the content length and leaves pos at the content. */
  expect(tag: number): number {
    if (this.pos >= this.end) throw new BerError('truncated');
    const got = this.buf[this.pos++];
    if (got !== tag) throw new BerError(`expected tag 0x${tag.toString(16)}, got 0x${got.toString(16)}`);
    return this.length();
  }
  peekTag(): number {
    if (this.pos >= this.end) throw new BerError('truncated');
    return this.buf[this.pos];
  }
  length(): number {
    if (this.pos >= this.end) throw new BerError('truncated');
    let len = this.buf[this.pos++];
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 3) throw new BerError('unsupported length');
      len = 0;
      for (let i = 0; i < n; i++) {
        if (this.pos >= this.end) throw new BerError('truncated');
        len = len * 256 + this.buf[this.pos++];
      }
    }
    if (this.pos + len > this.end) throw new BerError('length beyond end');
    return len;
  }
  int(tag: number = TAG.Integer): number {
    const len = this.expect(tag);
    if (len < 1 || len > 5) throw new BerError('bad integer');
    const start = this.pos;
    let v = 0;
    for (let i = 0; i < len; i++) v = v * 256 + this.buf[this.pos++];
    if (this.buf[start] & 0x80) v -= 2 ** (8 * len);
    return v;
  }
  octets(tag: number = TAG.OctetString): Buffer {
    const len = this.expect(tag);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  oid(): number[] {
    const len = this.expect(TAG.Oid);
    const end = this.pos + len;
    const out: number[] = [];
    let v = 0;
    let first = true;
    while (this.pos < end) {
      const b = this.buf[this.pos++];
      v = v * 128 + (b & 0x7f);
      if (b & 0x80) continue;
      if (first) {
        const a = v < 40 ? 0 : v < 80 ? 1 : 2;
        out.push(a, v - a * 40);
        first = false;
      } else out.push(v);
      v = 0;
    }
    if (v !== 0 || out.length > 128) throw new BerError('bad oid');
    return out;
  }
  /** Skips one TLV of any tag. */
  skip(): void {
    this.pos++;
    const len = this.length(); // read first: `pos += length()` would use the old pos
    this.pos += len;
  }
}
