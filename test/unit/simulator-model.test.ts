// The simulator's data model: deterministic, linear counters at known rates, 32-bit wrap,
// and the device classes (v3-only, 32-bit-only) other tests rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  COUNTER_EPOCH_MS,
  counterDelta,
  counterValue,
  cpuCount,
  deviceCredentials,
  has64BitCounters,
  isV3Only,
  PORTS,
  portRate,
  portStatus,
} from '../../simulator/model.js';
import { processorLoad, SENSORS, sensorValue, storages, storageUsed } from '../../simulator/health.js';
import { passwordToKey, localizeKey, engineId } from '../../simulator/usm.js';

const T = Date.UTC(2026, 10, 25, 12, 0, 0);

test('device classes: every 10th is v3-only, i % 7 == 3 has only 32-bit counters', () => {
  assert.deepEqual([0, 8, 9, 19, 29].map(isV3Only), [false, false, true, true, true]);
  assert.deepEqual(deviceCredentials(0), { version: 'v2c', community: 'public' });
  const v3 = deviceCredentials(9);
  assert.equal(v3.version, 'v3');
  assert.ok(
    v3.version === 'v3' &&
      v3.authname === 'nmsv3' &&
      v3.authpass === 'nmsv3authpass' &&
      v3.cryptopass === 'nmsv3privpass',
  );
  assert.deepEqual([0, 3, 10, 17, 4].map(has64BitCounters), [true, false, false, false, true]);
  assert.deepEqual([0, 1, 2, 3].map(cpuCount), [2, 4, 1, 8]);
});

test('counters grow linearly at portRate and are deterministic', () => {
  for (const dev of [0, 5, 9999]) {
    for (const ifIndex of [1, 20, 48]) {
      const rate = portRate(dev, ifIndex, 'ifHCInOctets');
      assert.equal(rate > 0, portStatus(dev, ifIndex).oper === 1, `port ${ifIndex} of ${dev} moves exactly when up`);
      const a = counterValue(dev, ifIndex, 'ifHCInOctets', T);
      const b = counterValue(dev, ifIndex, 'ifHCInOctets', T + 10_000);
      assert.ok(Math.abs(b - a - rate * 10) <= 1, `delta ${b - a} vs ${rate * 10}`);
      assert.equal(counterValue(dev, ifIndex, 'ifHCInOctets', T), a);
      assert.ok(Number.isSafeInteger(b));
    }
  }
  // a different seed gives different data
  assert.notEqual(portRate(0, 1, 'ifHCInOctets', 1), portRate(0, 1, 'ifHCInOctets', 2));
  // rates fit the port: at most 30 % of 1G, 15 % of 10G
  for (let i = 1; i <= PORTS; i++)
    assert.ok(portRate(7, i, 'ifHCOutOctets') <= (i >= 45 ? 0.15 * 1.25e9 : 0.3 * 1.25e8) + 1);
});

test('down ports exist and count nothing; port 1 and uplinks are always up', () => {
  let down = 0;
  let adminDown = 0;
  for (let dev = 0; dev < 50; dev++) {
    assert.equal(portStatus(dev, 1).oper, 1);
    for (let i = 1; i <= PORTS; i++) {
      const s = portStatus(dev, i);
      if (s.oper === 2) {
        down++;
        assert.equal(portRate(dev, i, 'ifHCInOctets'), 0);
        assert.equal(counterValue(dev, i, 'ifInErrors', T), counterValue(dev, i, 'ifInErrors', T + 3_600_000));
      }
      if (s.admin === 2) adminDown++;
    }
  }
  assert.ok(down > 50 && down < 400, `about 9 % of 2400 ports down, got ${down}`);
  assert.ok(adminDown > 10, `some admin down, got ${adminDown}`);
});

test('32-bit columns are the 64-bit value modulo 2^32 and wrap', () => {
  const dev = 3;
  const ifIndex = 45; // an uplink: fast enough to wrap every few tens of seconds
  const rate = portRate(dev, ifIndex, 'ifInOctets');
  const hc = counterValue(dev, ifIndex, 'ifHCInOctets', T);
  assert.ok(hc > 2 ** 32, 'the full value is far beyond 32 bits');
  assert.equal(counterValue(dev, ifIndex, 'ifInOctets', T), hc % 2 ** 32);
  // find the wrap within one period and check the delta across it
  const period = 2 ** 32 / rate;
  const before = counterValue(dev, ifIndex, 'ifInOctets', T);
  const msToWrap = ((2 ** 32 - before) / rate) * 1000;
  assert.ok(msToWrap <= period * 1000 + 1);
  const t1 = T + Math.floor(msToWrap) - 1000;
  const t2 = t1 + 2000;
  const v1 = counterValue(dev, ifIndex, 'ifInOctets', t1);
  const v2 = counterValue(dev, ifIndex, 'ifInOctets', t2);
  assert.ok(v2 < v1, 'the counter wrapped between the two reads');
  assert.ok(Math.abs(counterDelta('ifInOctets', v1, v2) - rate * 2) <= 2);
});

test('ifInNUcastPkts is multicast + broadcast', () => {
  const sum = portRate(0, 2, 'ifInMulticastPkts') + portRate(0, 2, 'ifInBroadcastPkts');
  assert.ok(Math.abs(portRate(0, 2, 'ifInNUcastPkts') - sum) < 1e-9);
  assert.ok(portRate(0, 2, 'ifInUcastPkts') > portRate(0, 2, 'ifInNUcastPkts'));
  assert.equal(
    counterValue(0, 2, 'ifHCInOctets', COUNTER_EPOCH_MS - 1000),
    counterValue(0, 2, 'ifHCInOctets', COUNTER_EPOCH_MS),
  );
});

test('host resources and sensors stay in range and move', () => {
  const loads = new Set<number>();
  for (let m = 0; m < 60; m++) {
    const l = processorLoad(4, 1, T + m * 30_000);
    assert.ok(l >= 0 && l <= 100);
    loads.add(l);
  }
  assert.ok(loads.size > 5, 'CPU load moves');
  for (const s of storages(4)) {
    const used = storageUsed(4, s, T);
    assert.ok(used > 0 && used < s.size);
  }
  for (const s of SENSORS) {
    const v = sensorValue(4, s, T);
    assert.ok(Number.isInteger(v) && Math.abs(v - s.mean) <= 2 * s.swing);
  }
});

test('USM keys match RFC 3414 A.3.2 (SHA, "maplesyrup")', () => {
  const ku = passwordToKey('maplesyrup');
  assert.equal(ku.toString('hex'), '9fb5cc0381497b3793528939ff788d5d79145211');
  const kul = localizeKey(ku, Buffer.from('000000000000000000000002', 'hex'));
  assert.equal(kul.toString('hex'), '6695febc9288e36282235fc7151f128497b38f3f');
  assert.notDeepEqual(engineId(1, 1), engineId(2, 1));
  assert.equal(engineId(1, 1)[0] & 0x80, 0x80);
});
