// The SNMP request parser of the tests' own tiny UDP agents (which misbehave on purpose), on
// asn1-ber (net-snmp's encoder, not ours): a v1/v2c request in, its parts out; and the frame of
// a response around the varbinds a test writes.
import { createRequire } from 'node:module';

export interface AsnReader {
  readByte(): number;
  readSequence(tag?: number): number | null;
  readInt(): number;
  readString(tag?: number, buf?: boolean): string | Buffer;
  readOID(): string;
  peek(): number;
  offset: number;
  length: number;
}
export interface AsnWriter {
  startSequence(tag?: number): void;
  endSequence(): void;
  writeInt(i: number, tag?: number): void;
  writeString(s: string, tag?: number): void;
  writeOID(s: string): void;
  writeByte(b: number): void;
  buffer: Buffer;
}
export const { Ber } = createRequire(import.meta.url)('asn1-ber') as {
  Ber: { Reader: new (b: Buffer) => AsnReader; Writer: new () => AsnWriter };
};

export const GET_BULK = 0xa5;
export const RESPONSE = 0xa2;

export interface SnmpRequest {
  version: number;
  community: string;
  pduType: number;
  reqId: number;
  nonRepeaters: number;
  maxRepetitions: number;
  /** The OIDs asked for (their NULL values skipped). */
  oids: string[];
}

/** Reads a v1/v2c request (GET, GETNEXT, GETBULK). */
export function parseRequest(msg: Buffer): SnmpRequest {
  const r = new Ber.Reader(msg);
  r.readSequence();
  const version = r.readInt();
  const community = r.readString() as string;
  const pduType = r.peek();
  r.readSequence(pduType);
  const reqId = r.readInt();
  const nonRepeaters = r.readInt();
  const maxRepetitions = r.readInt();
  r.readSequence();
  const oids: string[] = [];
  while (r.offset < msg.length) {
    r.readSequence();
    oids.push(r.readOID());
    r.readByte(); // the NULL value: tag
    r.readByte(); // and length
  }
  return { version, community, pduType, reqId, nonRepeaters, maxRepetitions, oids };
}

/** A response to `req` with this error status (index 0); `varbinds` writes the varbind sequences. */
export function writeResponse(req: SnmpRequest, errorStatus: number, varbinds: (w: AsnWriter) => void): Buffer {
  const w = new Ber.Writer();
  w.startSequence();
  w.writeInt(req.version);
  w.writeString(req.community);
  w.startSequence(RESPONSE);
  w.writeInt(req.reqId);
  w.writeInt(errorStatus);
  w.writeInt(0);
  w.startSequence();
  varbinds(w);
  w.endSequence();
  w.endSequence();
  w.endSequence();
  return w.buffer;
}
