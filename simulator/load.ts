// A bounded load loop against running simulated devices, for benchmarks: keeps `concurrency`
// requests in flight round-robin over the devices and counts answers. The raw client sends
// prebuilt v2c datagrams (v3-only devices skipped), so it stays cheap next to the simulator it
// measures; the net-snmp client is what pollers use, v3 devices included.
import dgram from 'node:dgram';
import snmp, { type Session } from 'net-snmp';
import { BerReader, BerWriter, TAG } from './ber.js';
import { deviceCredentials, isV3Only } from './model.js';

export interface LoadOptions {
  /** Default 127.0.0.1. */
  address?: string;
  /** Default 16100. */
  firstPort?: number;
  /** Devices to spread requests over. Default 10. */
  devices?: number;
  /** Requests in flight. Default 64. */
  concurrency?: number;
  /** Stop after this many seconds. Default 10. */
  seconds?: number;
  /** Stop after this many answers. Default 1,000,000. */
  maxRequests?: number;
  /** 'get': sysUpTime + 8 counters; 'bulk': GETBULK of 4 ifTable/ifXTable columns × 10 rows. Default 'bulk'. */
  kind?: 'get' | 'bulk';
  /** A request unanswered this long counts as lost. Default 2000 ms. */
  timeoutMs?: number;
  /** 'raw': prebuilt v2c datagrams; 'net-snmp': the npm client, one session per device, v3 too. Default 'raw'. */
  client?: 'raw' | 'net-snmp';
}

export interface LoadResult {
  kind: string;
  client: string;
  devices: number;
  concurrency: number;
  seconds: number;
  sent: number;
  answered: number;
  lost: number;
  answersPerSecond: number;
  bytesPerAnswer: number;
}

function requestTemplate(kind: 'get' | 'bulk'): Buffer {
  const oids =
    kind === 'get'
      ? [
          [1, 3, 6, 1, 2, 1, 1, 3, 0],
          ...[1, 2, 3, 4].flatMap((p) => [
            [1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, p],
            [1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 10, p],
          ]),
        ]
      : [
          [1, 3, 6, 1, 2, 1, 2, 2, 1, 2],
          [1, 3, 6, 1, 2, 1, 2, 2, 1, 8],
          [1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6],
          [1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 10],
        ];
  // encode inner to outer with a scratch writer per level (fine: built once)
  const vb = new BerWriter(1024);
  for (const oid of oids) {
    const inner = new BerWriter(64);
    inner.oid(oid);
    inner.nul();
    vb.header(TAG.Sequence, inner.pos);
    vb.raw(inner.buf.subarray(0, inner.pos));
  }
  const pdu = new BerWriter(1024);
  pdu.int(0x7fff0000); // request id: fixed width (5 bytes), patched per request
  pdu.int(0);
  pdu.int(kind === 'bulk' ? 10 : 0);
  pdu.header(TAG.Sequence, vb.pos);
  pdu.raw(vb.buf.subarray(0, vb.pos));
  const body = new BerWriter(1024);
  body.int(1);
  body.bytes(TAG.OctetString, Buffer.from('public'));
  body.header(kind === 'bulk' ? TAG.GetBulkRequest : TAG.GetRequest, pdu.pos);
  body.raw(pdu.buf.subarray(0, pdu.pos));
  const msg = new BerWriter(1024);
  msg.header(TAG.Sequence, body.pos);
  msg.raw(body.buf.subarray(0, body.pos));
  return Buffer.from(msg.buf.subarray(0, msg.pos));
}

/** Offset of the request-id content in a message from requestTemplate. */
function reqIdOffset(msg: Buffer): number {
  const r = new BerReader(msg);
  r.expect(TAG.Sequence);
  r.int();
  r.octets();
  r.pos++;
  r.length();
  r.expect(TAG.Integer);
  return r.pos;
}

const DEFAULT_LOAD: Required<LoadOptions> = {
  address: '127.0.0.1',
  firstPort: 16100,
  devices: 10,
  concurrency: 64,
  seconds: 10,
  maxRequests: 1_000_000,
  kind: 'bulk',
  timeoutMs: 2000,
  client: 'raw',
};

export async function runLoad(options: LoadOptions = {}): Promise<LoadResult> {
  const o = { ...DEFAULT_LOAD, ...options };
  return o.client === 'net-snmp' ? runNetSnmpLoad(o) : runRawLoad(o);
}

const GET_OIDS = [
  '1.3.6.1.2.1.1.3.0',
  ...[1, 2, 3, 4].flatMap((p) => [`1.3.6.1.2.1.31.1.1.1.6.${p}`, `1.3.6.1.2.1.31.1.1.1.10.${p}`]),
];
const BULK_OIDS = ['1.3.6.1.2.1.2.2.1.2', '1.3.6.1.2.1.2.2.1.8', '1.3.6.1.2.1.31.1.1.1.6', '1.3.6.1.2.1.31.1.1.1.10'];

async function runNetSnmpLoad(o: Required<LoadOptions>): Promise<LoadResult> {
  const sessions = new Map<number, Session>();
  const session = (i: number): Session => {
    let s = sessions.get(i);
    if (!s) {
      const c = deviceCredentials(i);
      const options = { port: o.firstPort + i, timeout: o.timeoutMs, retries: 0 };
      s =
        c.version === 'v2c'
          ? snmp.createSession(o.address, c.community, { ...options, version: snmp.Version2c })
          : snmp.createV3Session(
              o.address,
              {
                name: c.authname,
                level: snmp.SecurityLevel.authPriv,
                authProtocol: snmp.AuthProtocols.sha,
                authKey: c.authpass,
                privProtocol: snmp.PrivProtocols.aes,
                privKey: c.cryptopass,
              },
              { ...options, version: snmp.Version3 },
            );
      s.on('error', () => undefined);
      sessions.set(i, s);
    }
    return s;
  };
  let next = 0;
  let sent = 0;
  let answered = 0;
  let lost = 0;
  const started = Date.now();
  const deadline = started + o.seconds * 1000;
  const one = (s: Session) =>
    new Promise<boolean>((resolve) => {
      if (o.kind === 'get') s.get(GET_OIDS, (err) => resolve(!err));
      else s.getBulk(BULK_OIDS, 0, 10, (err) => resolve(!err));
    });
  const worker = async () => {
    while (Date.now() < deadline && sent < o.maxRequests) {
      sent++;
      if (await one(session(next++ % o.devices))) answered++;
      else lost++;
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  for (const s of sessions.values()) s.close();
  const seconds = Math.min((Date.now() - started) / 1000, o.seconds);
  return {
    kind: o.kind,
    client: 'net-snmp',
    devices: o.devices,
    concurrency: o.concurrency,
    seconds: Math.round(seconds * 100) / 100,
    sent,
    answered,
    lost,
    answersPerSecond: Math.round(answered / seconds),
    bytesPerAnswer: 0,
  };
}

async function runRawLoad(o: Required<LoadOptions>): Promise<LoadResult> {
  const targets: number[] = [];
  for (let i = 0; i < o.devices; i++) if (!isV3Only(i)) targets.push(o.firstPort + i);
  const template = requestTemplate(o.kind);
  const idAt = reqIdOffset(template);
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const inFlight = new Map<number, number>(); // request id -> sent at
  let nextId = 1;
  let next = 0;
  let sent = 0;
  let answered = 0;
  let lost = 0;
  let bytes = 0;
  const started = Date.now();
  const deadline = started + o.seconds * 1000;
  const send = () => {
    if (Date.now() >= deadline || sent >= o.maxRequests) return;
    const id = nextId++ & 0x3fffffff;
    const msg = Buffer.from(template);
    msg.writeUInt32BE(id, idAt);
    inFlight.set(id, Date.now());
    sent++;
    socket.send(msg, targets[next++ % targets.length], o.address);
  };
  await new Promise<void>((resolve) => {
    const reader = new BerReader(Buffer.alloc(0));
    socket.on('message', (msg) => {
      try {
        reader.reset(msg);
        reader.expect(TAG.Sequence);
        reader.int();
        reader.octets();
        reader.pos++;
        reader.length();
        const id = reader.int();
        if (!inFlight.delete(id)) return;
        answered++;
        bytes += msg.length;
      } catch {
        return;
      }
      send();
    });
    const sweep = setInterval(() => {
      const now = Date.now();
      for (const [id, at] of inFlight) {
        if (now - at > o.timeoutMs) {
          inFlight.delete(id);
          lost++;
          send();
        }
      }
      if ((now >= deadline || sent >= o.maxRequests) && (inFlight.size === 0 || now >= deadline + o.timeoutMs)) {
        clearInterval(sweep);
        lost += inFlight.size;
        resolve();
      }
    }, 100);
    for (let i = 0; i < o.concurrency; i++) send();
  });
  socket.close();
  const seconds = (Date.now() - started) / 1000;
  return {
    kind: o.kind,
    client: 'raw',
    devices: targets.length,
    concurrency: o.concurrency,
    seconds: Math.round(Math.min(seconds, o.seconds) * 100) / 100,
    sent,
    answered,
    lost,
    answersPerSecond: Math.round(answered / Math.min(seconds, o.seconds)),
    bytesPerAnswer: answered ? Math.round(bytes / answered) : 0,
  };
}
