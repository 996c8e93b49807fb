// The simulator's SNMP engine driven with bytes (no sockets): requests are encoded by asn1-ber
// and responses decoded by a separate generic decoder (simulator/testing.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimAgent } from '../../simulator/agent.js';
import { BerReader, BerWriter, TAG } from '../../simulator/ber.js';
import { compareOid, layoutFor } from '../../simulator/mib.js';
import { counterValue } from '../../simulator/model.js';
import { authDigest, engineId, userKeys } from '../../simulator/usm.js';
import {
  buildRequest,
  buildV3Discovery,
  buildV3Get,
  decodeCommunityMessage,
  decodeV3Plain,
  PDU,
  type RequestSpec,
} from '../../simulator/testing.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const START = NOW - 3_600_000;
const agent = new SimAgent({ seed: 1, startMs: START, now: () => NOW });
const IF_DESCR = '1.3.6.1.2.1.2.2.1.2';
const IF_IN_OCTETS = '1.3.6.1.2.1.2.2.1.10';
const IF_HC_IN = '1.3.6.1.2.1.31.1.1.1.6';
const IF_HC_OUT = '1.3.6.1.2.1.31.1.1.1.10';

function ask(device: number, spec: RequestSpec, a = agent) {
  const out = a.handle(device, buildRequest(spec));
  assert.ok(out, 'an answer');
  return { size: out.length, ...decodeCommunityMessage(out) };
}

test('BER writer: integers, unsigned and OIDs round-trip through the reader', () => {
  const w = new BerWriter(256);
  for (const n of [0, 1, 127, 128, 255, 256, -1, -128, -129, 2 ** 31 - 1, -(2 ** 31)]) w.int(n);
  w.uint(TAG.Counter64, 2 ** 53 - 1);
  w.uint(TAG.Counter32, 2 ** 32 - 1);
  w.oid([1, 3, 6, 1, 4, 1, 8072, 4294967295, 0]);
  const r = new BerReader(w.buf.subarray(0, w.pos));
  for (const n of [0, 1, 127, 128, 255, 256, -1, -128, -129, 2 ** 31 - 1, -(2 ** 31)]) assert.equal(r.int(), n);
  // Counter64 2^53-1: 00 1f ff ff ff ff ff ff
  assert.equal(w.buf.subarray(r.pos, r.pos + 9).toString('hex'), '4607' + '1fffffffffffff');
  r.skip();
  assert.equal(w.buf.subarray(r.pos, r.pos + 7).toString('hex'), '410500ffffffff');
  r.skip();
  assert.deepEqual(r.oid(), [1, 3, 6, 1, 4, 1, 8072, 4294967295, 0]);
});

test('a request captured from Debian snmpget (v2c GET sysName.0) is answered', () => {
  // snmpget -v2c -c public -d 127.0.0.1:30100 1.3.6.1.2.1.1.5.0
  const req = Buffer.from(
    '302902010104067075626c6963a01c020433e628d3020100020100300e300c06082b060102010105000500',
    'hex',
  );
  const out = agent.handle(0, req);
  assert.ok(out);
  const m = decodeCommunityMessage(out);
  assert.equal(m.pdu.pduType, PDU.response);
  assert.equal(m.pdu.reqId, 0x33e628d3);
  assert.deepEqual(m.pdu.varbinds, [{ oid: '1.3.6.1.2.1.1.5.0', type: 0x04, value: 'sim-0' }]);
});

test('GET: values from the model, noSuchInstance and noSuchObject', () => {
  const m = ask(5, {
    version: 1,
    pduType: PDU.get,
    oids: ['1.3.6.1.2.1.1.3.0', `${IF_HC_IN}.1`, `${IF_IN_OCTETS}.1`, `${IF_IN_OCTETS}.99`, '1.3.6.1.9.9.9'],
  });
  const [up, hc, c32, noInst, noObj] = m.pdu.varbinds;
  assert.deepEqual(up, { oid: '1.3.6.1.2.1.1.3.0', type: 0x43, value: 360000n });
  assert.deepEqual(hc, { oid: `${IF_HC_IN}.1`, type: 0x46, value: BigInt(counterValue(5, 1, 'ifHCInOctets', NOW)) });
  assert.deepEqual(c32, { oid: `${IF_IN_OCTETS}.1`, type: 0x41, value: BigInt(counterValue(5, 1, 'ifInOctets', NOW)) });
  assert.equal(noInst.type, 0x81);
  assert.equal(noObj.type, 0x80);
});

test('GETNEXT walks in OID order; 32-bit-only devices have no ifHC columns', () => {
  const m = ask(0, { version: 1, pduType: PDU.getNext, oids: ['1.3.6.1.2.1.1', `${IF_DESCR}.48`] });
  assert.equal(m.pdu.varbinds[0].oid, '1.3.6.1.2.1.1.1.0');
  assert.equal(m.pdu.varbinds[1].oid, '1.3.6.1.2.1.2.2.1.3.1');
  const hc32 = ask(3, { version: 1, pduType: PDU.getNext, oids: ['1.3.6.1.2.1.31.1.1.1.5.48'] });
  assert.equal(hc32.pdu.varbinds[0].oid, '1.3.6.1.2.1.31.1.1.1.14.1', 'device 3 skips columns 6..13');
  const end = ask(0, { version: 1, pduType: PDU.getNext, oids: ['1.3.6.1.6'] });
  assert.deepEqual(end.pdu.varbinds[0], { oid: '1.3.6.1.6', type: 0x82, value: null });
});

test('SNMPv1: no Counter64, noSuchName errors, no GETBULK', () => {
  const next = ask(0, { version: 0, pduType: PDU.getNext, oids: [`${IF_HC_IN}.1`] });
  assert.equal(next.pdu.varbinds[0].oid, '1.3.6.1.2.1.31.1.1.1.14.1', 'Counter64 columns are skipped');
  const get = ask(0, { version: 0, pduType: PDU.get, oids: ['1.3.6.1.2.1.1.5.0', `${IF_HC_IN}.1`] });
  assert.equal(get.pdu.errorStatus, 2);
  assert.equal(get.pdu.errorIndex, 2);
  assert.equal(agent.handle(0, buildRequest({ version: 0, pduType: PDU.getBulk, oids: [IF_DESCR] })), null);
});

test('GETBULK: every requested column in every repetition, after the non-repeaters', () => {
  const m = ask(0, {
    version: 1,
    pduType: PDU.getBulk,
    nonRepeaters: 1,
    maxRepetitions: 5,
    oids: ['1.3.6.1.2.1.1.3', IF_DESCR, IF_HC_IN, IF_HC_OUT],
  });
  const vbs = m.pdu.varbinds;
  assert.equal(vbs.length, 1 + 3 * 5);
  assert.equal(vbs[0].oid, '1.3.6.1.2.1.1.3.0');
  for (let rep = 0; rep < 5; rep++) {
    assert.deepEqual(
      vbs.slice(1 + rep * 3, 4 + rep * 3).map((v) => v.oid),
      [`${IF_DESCR}.${rep + 1}`, `${IF_HC_IN}.${rep + 1}`, `${IF_HC_OUT}.${rep + 1}`],
    );
  }
  assert.equal(vbs[1].value, 'GigabitEthernet1/0/1');
});

test('GETBULK stops at the message size, on whole repetitions', () => {
  for (const maxSize of [1472, 600]) {
    const a = new SimAgent({ startMs: START, now: () => NOW, maxMessageSize: maxSize });
    const m = ask(
      0,
      { version: 1, pduType: PDU.getBulk, maxRepetitions: 500, oids: [IF_DESCR, IF_HC_IN, IF_HC_OUT, IF_IN_OCTETS] },
      a,
    );
    assert.ok(m.size <= maxSize, `response of ${m.size} bytes within ${maxSize}`);
    assert.ok(m.size > maxSize - 120, `response of ${m.size} bytes is filled close to ${maxSize}`);
    assert.equal(m.pdu.errorStatus, 0);
    assert.equal(m.pdu.varbinds.length % 4, 0, 'whole repetitions only');
    assert.ok(m.pdu.varbinds.length < 2000);
  }
});

test('oversized answers: tooBig for GET, a partial first row for a very wide GETBULK', () => {
  const many = Array.from({ length: 200 }, () => '1.3.6.1.2.1.1.1.0');
  const g = ask(0, { version: 1, pduType: PDU.get, oids: many });
  assert.equal(g.pdu.errorStatus, 1);
  assert.equal(g.pdu.varbinds.length, 0);
  const wide = Array.from({ length: 100 }, () => '1.3.6.1.2.1.1.1');
  const b = ask(0, { version: 1, pduType: PDU.getBulk, maxRepetitions: 3, oids: wide });
  assert.equal(b.pdu.errorStatus, 0);
  assert.ok(b.size <= 1472);
  assert.ok(
    b.pdu.varbinds.length > 5 && b.pdu.varbinds.length < 100,
    `${b.pdu.varbinds.length} varbinds of a row that cannot fit`,
  );
  const set = ask(0, { version: 1, pduType: PDU.set, oids: ['1.3.6.1.2.1.1.5.0'] });
  assert.equal(set.pdu.errorStatus, 6, 'read-only: noAccess');
});

test('GETBULK past the end of the MIB gives endOfMibView in each column', () => {
  const m = ask(0, {
    version: 1,
    pduType: PDU.getBulk,
    maxRepetitions: 10,
    oids: ['1.3.6.1.2.1.99.1.1.1.8.1006', '1.3.6.1.2.1.99.1.1.1.8.1005'],
  });
  const vbs = m.pdu.varbinds;
  assert.deepEqual(vbs[0], { oid: '1.3.6.1.2.1.99.1.1.1.8.1006', type: 0x82, value: null });
  assert.equal(vbs[1].oid, '1.3.6.1.2.1.99.1.1.1.8.1006');
  assert.deepEqual(vbs[3], { oid: '1.3.6.1.2.1.99.1.1.1.8.1006', type: 0x82, value: null });
  assert.equal(vbs.length, 4, 'stops once every column has ended');
});

test('wrong community and v2c to a v3-only device get no answer', () => {
  assert.equal(
    agent.handle(0, buildRequest({ version: 1, community: 'private', pduType: PDU.get, oids: ['1.3.6.1.2.1.1.5.0'] })),
    null,
  );
  assert.equal(agent.handle(9, buildRequest({ version: 1, pduType: PDU.get, oids: ['1.3.6.1.2.1.1.5.0'] })), null);
  assert.equal(agent.handle(0, Buffer.from('3003020101', 'hex')), null, 'truncated packet is dropped');
});

test('SNMPv3 discovery: a report with usmStatsUnknownEngineIDs and the device engine ID', () => {
  const out = agent.handle(9, buildV3Discovery(77, 4242));
  assert.ok(out);
  const m = decodeV3Plain(out);
  assert.equal(m.msgId, 77);
  assert.equal(m.flags & 3, 0, 'report is noAuthNoPriv');
  assert.deepEqual(m.engineId, engineId(9, 1));
  assert.equal(m.boots, Math.floor((START - Date.UTC(2026, 0, 1)) / 1000), 'boots grow with each start');
  assert.equal(m.time, 3600);
  assert.equal(m.pdu.pduType, PDU.report);
  assert.equal(m.pdu.reqId, 4242);
  assert.equal(m.pdu.varbinds[0].oid, '1.3.6.1.6.3.15.1.1.4.0');
  assert.equal(m.pdu.varbinds[0].type, 0x41);
  // with the right engine ID but an unknown user: usmStatsUnknownUserNames
  const u = decodeV3Plain(agent.handle(9, buildV3Discovery(78, 1, engineId(9, 1), 'bob'))!);
  assert.equal(u.pdu.varbinds[0].oid, '1.3.6.1.6.3.15.1.1.3.0');
});

test('SNMPv3 authNoPriv: digest checked, time window enforced, lab user needs authPriv', () => {
  const engine = engineId(9, 1);
  const keys = userKeys(engine);
  const base = {
    msgId: 5,
    flags: 1 | 4,
    engineId: engine,
    boots: agent.engineBoots,
    time: 3600,
    user: 'nmsv3',
    authKey: keys.auth,
    reqId: 31,
    oids: ['1.3.6.1.2.1.1.5.0'],
  };
  // right key, right time: the request is authentic but below authPriv -> authorizationError, authenticated
  const ok = agent.handle(9, buildV3Get(base, authDigest))!;
  const okMsg = decodeV3Plain(ok);
  assert.equal(okMsg.pdu.pduType, PDU.response);
  assert.equal(okMsg.pdu.errorStatus, 16);
  assert.equal(okMsg.flags & 3, 1, 'response is authNoPriv');
  const at = ok.indexOf(Buffer.from([0x04, 12])) + 2; // the auth parameters: the only 12-byte OCTET STRING
  const copy = Buffer.from(ok);
  copy.fill(0, at, at + 12);
  assert.deepEqual(
    ok.subarray(at, at + 12),
    authDigest(keys.auth, copy),
    'the response carries a valid HMAC-SHA-96 digest',
  );
  // outside the time window: notInTimeWindows, authenticated, with the engine's real time
  const late = decodeV3Plain(agent.handle(9, buildV3Get({ ...base, time: 3600 + 1000 }, authDigest))!);
  assert.equal(late.pdu.pduType, PDU.report);
  assert.equal(late.pdu.varbinds[0].oid, '1.3.6.1.6.3.15.1.1.2.0');
  assert.equal(late.flags & 1, 1);
  assert.equal(late.time, 3600);
  // wrong key: usmStatsWrongDigests, unauthenticated
  const bad = decodeV3Plain(agent.handle(9, buildV3Get({ ...base, authKey: Buffer.alloc(20, 7) }, authDigest))!);
  assert.equal(bad.pdu.varbinds[0].oid, '1.3.6.1.6.3.15.1.1.5.0');
  assert.equal(bad.flags & 3, 0);
  // not reportable: errors are silent
  assert.equal(agent.handle(9, buildV3Get({ ...base, flags: 1, authKey: Buffer.alloc(20, 7) }, authDigest)), null);
});

test('SNMPv3 messages stay well-formed while the engine time changes length mid-request', () => {
  // a clock that moves 300 ms on every read, starting just before engine time 127 -> 128,
  // where the time INTEGER grows from one byte to two
  let t = START + 127_500;
  const ticking = new SimAgent({ startMs: START, now: () => (t += 300) });
  for (let i = 0; i < 5; i++) {
    const out = ticking.handle(9, buildV3Discovery(i, i))!;
    const m = decodeV3Plain(out);
    assert.equal(m.pdu.varbinds[0].oid, '1.3.6.1.6.3.15.1.1.4.0');
  }
});

test('one sorted OID layout per device shape, shared by all devices of that shape', () => {
  const seen = new Set<unknown>();
  for (let i = 0; i < 10_000; i++) seen.add(layoutFor(i));
  assert.ok(seen.size <= 8, `${seen.size} layouts for 10,000 devices`);
  assert.equal(layoutFor(0), layoutFor(4), 'same shape, same object');
  assert.notEqual(layoutFor(0), layoutFor(3), '32-bit-only devices have their own');
  for (const layout of seen as Set<ReturnType<typeof layoutFor>>) {
    for (let k = 1; k < layout.oids.length; k++)
      assert.ok(compareOid(layout.oids[k - 1], layout.oids[k]) < 0, 'strictly increasing');
  }
  assert.ok(layoutFor(0).oids.length > 2000);
});
