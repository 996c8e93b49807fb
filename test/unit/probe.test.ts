// `nms-agent probe` without a device: the SNMP target its flags describe, its one-line usage
// errors, and the JSON it prints (counters beyond 2^53 as digits).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeTarget } from '../../agent/commands/probe.js';
import { probeJson, type ProbeResult } from '../../agent/poll/probe.js';
import { UsageError } from '../../lib/errors.js';

test('flags give the target: v2c public by default, v1, v3 with the level taken from the passwords, IPv6', () => {
  assert.deepEqual(probeTarget('192.0.2.1', {}), {
    host: '192.0.2.1',
    port: 161,
    transport: 'udp',
    version: 'v2c',
    community: 'public',
  });
  assert.equal(probeTarget('192.0.2.1', { v1: true, community: 'c', port: '1161' }).version, 'v1');
  const v3 = probeTarget('[2001:db8::1]', { v3: true, authname: 'u', authpass: 'p1', cryptopass: 'p2' });
  assert.deepEqual(
    [v3.host, v3.transport, v3.authlevel, v3.authalgo, v3.cryptoalgo],
    ['2001:db8::1', 'udp6', 'authPriv', 'SHA', 'AES'],
  );
  assert.equal(probeTarget('h', { v3: true, authname: 'u', authpass: 'p' }).authlevel, 'authNoPriv');
  assert.equal(probeTarget('h', { v3: true, authname: 'u' }).authlevel, 'noAuthNoPriv');
});

test('contradicting or missing flags are usage errors', () => {
  for (const o of [
    { v3: true, community: 'c' },
    { v3: true, v1: true, authname: 'u' },
    { authpass: 'x' },
    { port: '0' },
    { port: 'x' },
    { v3: true },
    { v3: true, authname: 'u', authlevel: 'authPriv', authpass: 'p' },
    { v3: true, authname: 'u', authlevel: 'bogus' },
  ]) {
    assert.throws(() => probeTarget('h', o), UsageError, JSON.stringify(o));
  }
});

test('probe JSON: counters are numbers while exact, digits beyond 2^53', () => {
  const r: ProbeResult = {
    target: { host: 'h', port: 161, version: 'v2c' },
    status: 'up',
    seconds: 0.1,
    snmpRequests: 1,
    modules: [
      {
        module: 'ports',
        phase: 'discovery',
        status: 'ok',
        ms: 1,
        varbinds: 2,
        tables: { ports: [{ ifIndex: 1, ifInOctets: 5n, ifOutOctets: 2n ** 63n }] },
      },
    ],
  };
  const row = (JSON.parse(probeJson(r)) as ProbeResult).modules[0].tables!.ports[0] as Record<string, unknown>;
  assert.deepEqual([row.ifInOctets, row.ifOutOctets], [5, '9223372036854775808']);
});
