// The agent's own v1/v2c codec against bytes real agents sent: snmpsim 0.4.5 serving Debian's
// cisco_16_switch recording (port 16162) and Debian's snmpd (port 16161), captured once with the
// requests below. Expected values are what net-snmp's snmpget/snmpbulkget printed for the same
// requests and data (snmpsim's recording is static; the snmpd values asked are fixed ones).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerError, decodeResponse, encodeRequest, parseOid, PDU } from '../../agent/snmp/codec.js';
import { BerReader, TAG } from '../../lib/ber.js';

const hex = (s: string) => Buffer.from(s, 'hex');

// snmpbulkget -v2c -c cisco_16_switch -Cn0 -Cr2 ifDescr ifHCInOctets ifPhysAddress ipAdEntAddr
const BULK_REQ =
  '305f020101040f636973636f5f31365f737769746368a54902021092020100020102303d300d06092b06010201020201020500300e060a2b' +
  '060102011f010101060500300d06092b06010201020201060500300d06092b06010201041401010500';
const BULK_RES =
  '3081d3020101040f636973636f5f31365f737769746368a281bc020210920201000201003081af3013060a2b0601020102020102010405566c' +
  '616e313013060b2b060102011f0101010601460402602f4d3014060a2b06010201020201060104060016c7026ec03016060e2b0601020104' +
  '1401010a814c581040040acc58103014060a2b06010201020201023c0406566c616e36303014060b2b060102011f010101063c460508bb85' +
  '3e4a3014060a2b06010201020201063c04060016c7026ec13013060e2b06010201041401020a814c581002013c';

test('GETBULK request: the bytes snmpsim answered, and what the simulator reads back', () => {
  const oids = ['1.3.6.1.2.1.2.2.1.2', '1.3.6.1.2.1.31.1.1.1.6', '1.3.6.1.2.1.2.2.1.6', '.1.3.6.1.2.1.4.20.1.1'];
  const msg = encodeRequest(1, Buffer.from('cisco_16_switch'), PDU.GetBulk, 4242, 0, 2, oids);
  assert.equal(msg.toString('hex'), BULK_REQ);
  // read with the BER reader the simulator parses requests with
  const r = new BerReader(msg);
  r.expect(TAG.Sequence);
  assert.equal(r.int(), 1);
  assert.equal(r.octets().toString(), 'cisco_16_switch');
  r.expect(TAG.GetBulkRequest);
  assert.deepEqual([r.int(), r.int(), r.int()], [4242, 0, 2]);
  r.expect(TAG.Sequence);
  r.expect(TAG.Sequence);
  assert.deepEqual(r.oid(), [1, 3, 6, 1, 2, 1, 2, 2, 1, 2]);
});

test('GETBULK response from snmpsim: strings, Counter64, MACs, IpAddress, integers, in request order', () => {
  const res = decodeResponse(hex(BULK_RES));
  assert.equal(res.requestId, 4242);
  assert.equal(res.errorStatus, 0);
  assert.equal(res.errorIndex, 0);
  const got = res.varbinds.map((v) => [v.oid, v.type, Buffer.isBuffer(v.value) ? v.value.toString('hex') : v.value]);
  assert.deepEqual(got, [
    ['1.3.6.1.2.1.2.2.1.2.1', 4, Buffer.from('Vlan1').toString('hex')],
    ['1.3.6.1.2.1.31.1.1.1.6.1', 70, 39857997n],
    ['1.3.6.1.2.1.2.2.1.6.1', 4, '0016c7026ec0'],
    ['1.3.6.1.2.1.4.20.1.1.10.204.88.16', 64, '10.204.88.16'],
    ['1.3.6.1.2.1.2.2.1.2.60', 4, Buffer.from('Vlan60').toString('hex')],
    ['1.3.6.1.2.1.31.1.1.1.6.60', 70, 37505809994n],
    ['1.3.6.1.2.1.2.2.1.6.60', 4, '0016c7026ec1'],
    ['1.3.6.1.2.1.4.20.1.2.10.204.88.16', 2, 60],
  ]);
});

test('GET response from snmpsim: OID value, INTEGER, TimeTicks, noSuchInstance', () => {
  // snmpget -v2c sysObjectID.0 ifOperStatus.1 ifLastChange.1 1.3.6.1.2.1.99.0
  const res = decodeResponse(
    hex(
      '306b020101040f636973636f5f31365f737769746368a255020210920201000201003049301506082b060102010102000609' +
        '2b0601040109018404300f060a2b0601020102020108010201013012060a2b06010201020201090143040a35d0eb300b06' +
        '072b0601020163008100',
    ),
  );
  assert.deepEqual(
    res.varbinds.map((v) => [v.oid, v.type, v.value]),
    [
      ['1.3.6.1.2.1.1.2.0', 6, '1.3.6.1.4.1.9.1.516'],
      ['1.3.6.1.2.1.2.2.1.8.1', 2, 1],
      ['1.3.6.1.2.1.2.2.1.9.1', 67, 171299051],
      ['1.3.6.1.2.1.99.0', 129, null],
    ],
  );
});

test('GETBULK past the end of the MIB from snmpsim: endOfMibView', () => {
  const res = decodeResponse(
    hex(
      '303a020101040f636973636f5f31365f737769746368a224020210920201000201003018300a06062b06010603638200300a06062b0601' +
        '0603638200',
    ),
  );
  assert.deepEqual(
    res.varbinds.map((v) => [v.oid, v.type, v.value]),
    [
      ['1.3.6.1.6.3.99', 130, null],
      ['1.3.6.1.6.3.99', 130, null],
    ],
  );
});

test('GET response from snmpd (v2c): string, noSuchInstance, OID, noSuchObject', () => {
  const res = decodeResponse(
    hex(
      '306002010104067075626c6963a253020210920201000201003047301006082b060102010104000404726f6f74300c06082b0601020101' +
        '070081003017060a2b06010201010901020106092b060106030a030101300c06082b060102010163008000',
    ),
  );
  assert.deepEqual(
    res.varbinds.map((v) => [v.oid, v.type, Buffer.isBuffer(v.value) ? v.value.toString() : v.value]),
    [
      ['1.3.6.1.2.1.1.4.0', 4, 'root'],
      ['1.3.6.1.2.1.1.7.0', 129, null],
      ['1.3.6.1.2.1.1.9.1.2.1', 6, '1.3.6.1.6.3.10.3.1.1'],
      ['1.3.6.1.2.1.1.99.0', 128, null],
    ],
  );
});

test('v1 errors from snmpd: noSuchName (status 2) with its index, for GETNEXT past the end and GET', () => {
  // snmpgetnext -v1 1.3.6.1.6.3.99 → "(noSuchName) ... Failed object: .1.3.6.1.6.3.99"
  const next = decodeResponse(hex('302502010004067075626c6963a21802021092020102020101300c300a06062b06010603630500'));
  assert.deepEqual(
    [next.errorStatus, next.errorIndex, next.varbinds[next.errorIndex - 1].oid],
    [2, 1, '1.3.6.1.6.3.99'],
  );
  // snmpget -v1 sysContact.0 1.3.6.1.2.1.1.99.0 → "Failed object: .1.3.6.1.2.1.1.99.0"
  const get = decodeResponse(
    hex(
      '303502010004067075626c6963a22802021092020102020102301c300c06082b060102010104000500300c06082b0601020101630005' +
        '00',
    ),
  );
  assert.deepEqual(
    [get.errorStatus, get.errorIndex, get.varbinds[get.errorIndex - 1].oid],
    [2, 2, '1.3.6.1.2.1.1.99.0'],
  );
});

test('malformed or truncated packets throw BerError; bad OIDs are refused before sending', () => {
  const whole = hex(BULK_RES);
  for (const cut of [1, 10, 40, whole.length - 1])
    assert.throws(() => decodeResponse(whole.subarray(0, cut)), BerError, `cut at ${cut}`);
  assert.throws(() => decodeResponse(Buffer.from('not snmp')), BerError);
  for (const bad of ['', '1', '1.3.x', '1..3', '3.1', '1.3.6.1.99999999999'])
    assert.throws(() => parseOid(bad), BerError, bad);
  assert.deepEqual(parseOid('.1.3.6.1.2.1.1.1.0'), [1, 3, 6, 1, 2, 1, 1, 1, 0]);
});

test('OID text survives encode and decode for arcs of every size', () => {
  const oids = ['0.0', '1.3.6.1.4.1.2636.0.4294967295.10.99.100.1000.127.128.16383.16384', '2.999.1', '1.39.9'];
  const back = decodeResponse(encodeRequest(0, Buffer.from('x'), PDU.Get, 1, 0, 0, oids)).varbinds;
  assert.deepEqual(
    back.map((v) => [v.oid, v.type, v.value]),
    oids.map((o) => [o, 5, null]),
  );
});
