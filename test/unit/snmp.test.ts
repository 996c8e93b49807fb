// SNMP value decoding and OID order, without a network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferToBigInt, compareOids, decodeValue, hex, isUnder, str, T } from '../../agent/snmp/values.js';

test('Counter64 buffers of any length become bigints, including 9 bytes with a leading zero', () => {
  assert.equal(bufferToBigInt(Buffer.from('00ffffffffffffffff', 'hex')), 2n ** 64n - 1n);
  assert.equal(bufferToBigInt(Buffer.from('0100000000', 'hex')), 2n ** 32n);
  assert.equal(bufferToBigInt(Buffer.from('05', 'hex')), 5n);
  assert.equal(bufferToBigInt(Buffer.alloc(0)), 0n);
  // every length against a byte-by-byte reference, with the high bits set where they matter
  const reference = (b: Buffer) => [...b].reduce((v, x) => (v << 8n) | BigInt(x), 0n);
  for (let n = 1; n <= 14; n++) {
    for (const fill of [0x00, 0x01, 0x7f, 0x80, 0xff]) {
      const b = Buffer.alloc(n, fill);
      b[n - 1] = 0xa5;
      assert.equal(bufferToBigInt(b), reference(b), `${n} bytes of ${fill}`);
    }
  }
  assert.equal(decodeValue(T.Counter64, Buffer.from('00ffffffffffffffff', 'hex')), 2n ** 64n - 1n);
});

test('holes decode to null; text and MACs read back', () => {
  assert.equal(decodeValue(T.NoSuchInstance, null), null);
  assert.equal(decodeValue(T.EndOfMibView, null), null);
  assert.equal(str({ type: T.OctetString, value: Buffer.from('eth0\0\0') }), 'eth0');
  assert.equal(hex({ type: T.OctetString, value: Buffer.from('001122aabbcc', 'hex') }), '00:11:22:aa:bb:cc');
});

test('OIDs compare numerically, not as text', () => {
  assert.ok(compareOids('1.3.6.1.2.1.2.2.1.2.10', '1.3.6.1.2.1.2.2.1.2.9') > 0);
  assert.ok(compareOids('1.3.6.1.2', '1.3.6.1.2.1') < 0);
  assert.equal(compareOids('1.3.6', '1.3.6'), 0);
  const sorted = [
    '1.3.6',
    '1.3.6.1',
    '1.3.6.1.2',
    '1.3.6.1.3',
    '1.3.6.1.10',
    '1.3.6.1.20',
    '1.3.6.5',
    '1.3.6.12',
    '1.3.61.5',
    '2',
  ];
  for (let i = 0; i < sorted.length; i++) {
    for (let j = 0; j < sorted.length; j++) {
      assert.equal(Math.sign(compareOids(sorted[i], sorted[j])), Math.sign(i - j), `${sorted[i]} vs ${sorted[j]}`);
    }
  }
  // from a shared prefix's end (the walk's column and its dot): the same order as from the start
  const under = sorted.filter((o) => o.startsWith('1.3.6.'));
  for (const a of under)
    for (const b of under)
      assert.equal(Math.sign(compareOids(a, b, 6)), Math.sign(compareOids(a, b)), `${a} vs ${b} from 6`);
  assert.ok(isUnder('1.3.6.1.2.1.2.2.1.2.1', '1.3.6.1.2.1.2.2.1.2'));
  assert.ok(!isUnder('1.3.6.1.2.1.2.2.1.20.1', '1.3.6.1.2.1.2.2.1.2'));
});
