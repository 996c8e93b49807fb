// The multi-column walker against a tiny real UDP SNMP agent written here, which misbehaves on
// purpose: it refuses big requests with tooBig, or answers GETBULK short (the RFC allows both).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { SnmpSession } from '../../agent/snmp/session.js';
import { walkColumns } from '../../agent/snmp/walk.js';
import { compareOids } from '../../agent/snmp/values.js';
import { parseRequest, writeResponse } from '../helpers/snmp-request.js';

const COLS = ['1.3.6.1.2.1.2.2.1.2', '1.3.6.1.2.1.2.2.1.10', '1.3.6.1.2.1.31.1.1.1.6'];
const ROWS = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233];
const TABLE = COLS.flatMap((c) => ROWS.map((r) => `${c}.${r}`)).sort(compareOids);

interface Behaviour {
  /** Answer tooBig when more varbinds than this are asked for. */
  tooBigAbove?: number;
  /** Answer with at most this many varbinds. */
  shortAt?: number;
}

function agent(b: Behaviour, seen: { requests: number; tooBig: number }): (msg: Buffer) => Buffer {
  return (msg) => {
    seen.requests++;
    const req = parseRequest(msg);
    const { pduType, oids } = req;
    const maxRep = req.maxRepetitions;
    const next = (oid: string) => TABLE.find((t) => compareOids(t, oid) > 0);
    const out: (string | undefined)[] = [];
    const cur = [...oids];
    for (let rep = 0; rep < (pduType === 0xa5 ? maxRep : 1); rep++) {
      cur.forEach((o, i) => {
        const n = o === undefined ? undefined : next(o);
        out.push(n);
        cur[i] = n as string;
      });
    }
    const tooBig = b.tooBigAbove !== undefined && out.length > b.tooBigAbove;
    if (tooBig) seen.tooBig++;
    const answer = tooBig ? [] : out.slice(0, b.shortAt ?? out.length);
    return writeResponse(req, tooBig ? 1 : 0, (w) =>
      answer.forEach((oid, i) => {
        w.startSequence();
        w.writeOID(oid ?? oids[i % oids.length]);
        if (oid === undefined) {
          w.writeByte(0x82); // endOfMibView
          w.writeByte(0);
        } else w.writeInt(ROWS[TABLE.indexOf(oid) % ROWS.length]);
        w.endSequence();
      }),
    );
  };
}

const sockets: dgram.Socket[] = [];
after(() => sockets.forEach((s) => s.close()));

async function serve(b: Behaviour): Promise<{ port: number; seen: { requests: number; tooBig: number } }> {
  const seen = { requests: 0, tooBig: 0 };
  const answer = agent(b, seen);
  const s = dgram.createSocket('udp4');
  s.on('message', (m, ri) => s.send(answer(m), ri.port, ri.address));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  sockets.push(s);
  return { port: s.address().port, seen };
}

async function walk(port: number, opts = {}) {
  const session = new SnmpSession({
    host: '127.0.0.1',
    port,
    version: 'v2c',
    community: 'public',
    timeoutMs: 1000,
    retries: 0,
  });
  try {
    return await walkColumns(session, COLS, opts);
  } finally {
    session.close();
  }
}

function assertWholeTable(data: Awaited<ReturnType<typeof walk>>) {
  for (const c of COLS) assert.deepEqual([...data.get(c)!.keys()], ROWS.map(String), c);
}

test('a well-behaved agent: every row of every column, in few requests', { timeout: 10_000 }, async () => {
  const { port, seen } = await serve({});
  assertWholeTable(await walk(port));
  assert.ok(seen.requests <= 2, `${seen.requests} requests`);
});

test(
  'tooBig: the walker halves its requests until they fit, and still reads everything',
  { timeout: 10_000 },
  async () => {
    const { port, seen } = await serve({ tooBigAbove: 7 });
    assertWholeTable(await walk(port));
    assert.ok(seen.tooBig >= 1, 'the agent never said tooBig');
  },
);

test('short responses: the walker asks again from where each column got to', { timeout: 10_000 }, async () => {
  const { port, seen } = await serve({ shortAt: 4 });
  assertWholeTable(await walk(port));
  assert.ok(seen.requests >= (COLS.length * ROWS.length) / 4, `${seen.requests} requests`);
});

test('an agent that answers nothing useful stops the walk with an error, not a hang', { timeout: 10_000 }, async () => {
  const { port } = await serve({ shortAt: 0 });
  await assert.rejects(walk(port), /made no progress in 3 requests/);
});
