// One SNMP request as the simulator's engine reads it (reused from datagram to datagram), the
// protocol constants both halves of the engine need, and the BER size arithmetic of a reply.
import { BerError, type BerReader, TAG, tlvSize } from './ber.js';

/** Error statuses (RFC 3416). */
export const E_TOO_BIG = 1;
export const E_NO_SUCH_NAME = 2;
export const E_NO_ACCESS = 6;
export const E_AUTHORIZATION = 16;

export const FLAG_AUTH = 1;
export const FLAG_PRIV = 2;
export const FLAG_REPORTABLE = 4;
export const USM = 3;
/** RFC 3414 time window, seconds. */
export const TIME_WINDOW = 150;
/** Size we announce for receiving (largest UDP payload). */
export const OUR_MAX_SIZE = 65507;

const USM_STATS = [1, 3, 6, 1, 6, 3, 15, 1, 1];
export const REPORT = {
  unsupportedSecLevels: [...USM_STATS, 1, 0],
  notInTimeWindows: [...USM_STATS, 2, 0],
  unknownUserNames: [...USM_STATS, 3, 0],
  unknownEngineIDs: [...USM_STATS, 4, 0],
  wrongDigests: [...USM_STATS, 5, 0],
  decryptionErrors: [...USM_STATS, 6, 0],
} as const;
export type ReportKind = keyof typeof REPORT;

export interface AgentStats {
  requests: number;
  responses: number;
  /** Undecodable packets, wrong communities, v1/v2c to v3-only devices. */
  dropped: number;
  badCommunity: number;
  reports: Record<ReportKind, number>;
}

/** Per-request state, reused. */
export interface Request {
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

export function newRequest(): Request {
  return {
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
}

/** Reads a request PDU (type, ids, the OIDs asked for) into req; anything else is a BerError. */
export function readPdu(r: BerReader, req: Request): void {
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

function lengthBytes(total: number): number {
  // total = 1 (tag) + length bytes + content; find how many bytes the length field took
  for (let lb = 1; lb <= 4; lb++) if (tlvSize(total - 1 - lb) === total) return lb;
  throw new Error('inconsistent size');
}

/** Content length of a TLV whose total size is `total`. */
export function contentOf(total: number): number {
  return total - 1 - lengthBytes(total);
}
