// The v1/v2c transport (a few UDP sockets per process shared by every session) against Debian's
// snmpd and snmpsim, and through a UDP relay in front of snmpd that damages the traffic on
// purpose: it drops requests, duplicates answers, sends strays, or answers from another port.
// Expected values are snmpd's configuration (test-services.sh) and what snmpget printed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { SnmpSession } from '../../agent/snmp/session.js';
import { SnmpError } from '../../agent/snmp/errors.js';
import { requestsInFlight } from '../../agent/snmp/transport.js';
import { SERVICES } from '../helpers/services.js';

const SYSNAME = '1.3.6.1.2.1.1.5.0';
const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString() : v);

interface Relay {
  port: number;
  /** Requests the relay received from us. */
  requests: number;
  close(): void;
}

type Mode = 'drop-first' | 'duplicate' | 'stray' | 'other-port' | 'drop-all' | 'ipv6';

/** A UDP relay to snmpd that misbehaves as `mode` says. */
async function relay(mode: Mode): Promise<Relay> {
  const front = dgram.createSocket(mode === 'ipv6' ? 'udp6' : 'udp4');
  const back = dgram.createSocket('udp4');
  const other = dgram.createSocket('udp4');
  let client: dgram.RemoteInfo | undefined;
  const r: Relay = {
    port: 0,
    requests: 0,
    close: () => [front, back, other].forEach((s) => s.close()),
  };
  front.on('message', (msg, rinfo) => {
    client = rinfo;
    r.requests++;
    if (mode === 'drop-all' || (mode === 'drop-first' && r.requests === 1)) return;
    back.send(msg, SERVICES.snmpd.port, SERVICES.snmpd.host);
  });
  back.on('message', (msg) => {
    const to = [client!.port, client!.address] as const;
    if (mode === 'other-port') return other.send(msg, ...to);
    if (mode === 'stray') {
      // someone else's answer first: the same bytes with another request-id, and junk
      const stray = Buffer.from(msg);
      stray[stray.indexOf(0xa2) + 4] ^= 0x55;
      front.send(stray, ...to);
      front.send(Buffer.from('not an SNMP message'), ...to);
    }
    front.send(msg, ...to);
    if (mode === 'duplicate') front.send(msg, ...to);
  });
  const bind = (s: dgram.Socket, host: string) => new Promise<void>((res) => s.bind(0, host, res));
  await Promise.all([
    bind(front, mode === 'ipv6' ? '::1' : '127.0.0.1'),
    bind(back, '127.0.0.1'),
    bind(other, '127.0.0.1'),
  ]);
  r.port = front.address().port;
  return r;
}

const relays: Relay[] = [];
after(() => relays.forEach((r) => r.close()));

function session(port: number, extra: Partial<ConstructorParameters<typeof SnmpSession>[1]> = {}, timeoutMs = 300) {
  return new SnmpSession(
    { host: '127.0.0.1', port, version: 'v2c', community: 'public', timeoutMs, retries: 1 },
    extra,
  );
}

test('many sessions at once on the shared socket each get their own answers', async () => {
  const jobs = Array.from({ length: 40 }, async (_, i) => {
    const sim = i % 2 === 1;
    const s = new SnmpSession({
      host: sim ? SERVICES.snmpsim.host : 'localhost',
      port: sim ? SERVICES.snmpsim.port : SERVICES.snmpd.port,
      version: i % 4 === 0 ? 'v1' : 'v2c',
      community: sim ? 'cisco_16_switch' : 'public',
    });
    try {
      // cisco_16_switch's sysName as snmpget prints it; snmpd's from its configuration
      const [vb] = await s.get([SYSNAME]);
      return text(vb.value);
    } finally {
      s.close();
    }
  });
  const names = await Promise.all(jobs);
  names.forEach((n, i) => assert.equal(n, i % 2 === 1 ? 'Profiler3750' : 'nms-test-snmpd', `session ${i}`));
  assert.equal(requestsInFlight(), 0);
});

test('a lost request is sent again; duplicate and stray answers are dropped', async () => {
  for (const mode of ['drop-first', 'duplicate', 'stray'] as const) {
    const r = await relay(mode);
    relays.push(r);
    const s = session(r.port);
    try {
      const [vb] = await s.getNext(['1.3.6.1.2.1.1.5']);
      assert.deepEqual([vb.oid, text(vb.value)], [SYSNAME, 'nms-test-snmpd'], mode);
      const again = await s.get([SYSNAME]);
      assert.equal(text(again[0].value), 'nms-test-snmpd', mode);
      assert.equal(s.requests, 2, mode);
      assert.equal(r.requests, mode === 'drop-first' ? 3 : 2, mode);
    } finally {
      s.close();
    }
  }
});

test('IPv6: a udp6 session to ::1 written the long way (relayed to snmpd)', async () => {
  const r = await relay('ipv6');
  relays.push(r);
  const target = { host: '0:0::1', port: r.port, transport: 'udp6', version: 'v2c', community: 'public' } as const;
  const s = new SnmpSession({ ...target, timeoutMs: 300, retries: 0 });
  try {
    const [vb] = await s.get([SYSNAME]);
    assert.equal(text(vb.value), 'nms-test-snmpd');
  } finally {
    s.close();
  }
});

test('an answer from another port is ignored: the request times out with the message users see', async () => {
  const r = await relay('other-port');
  relays.push(r);
  const s = session(r.port);
  try {
    await assert.rejects(s.get([SYSNAME]), (err: SnmpError) => {
      assert.equal(err.failure, 'timeout');
      assert.equal(err.message, `no SNMP answer from 127.0.0.1:${r.port} (v2c; wrong community?)`);
      return true;
    });
    assert.equal(r.requests, 2); // the request and its one retry
  } finally {
    s.close();
  }
});

test('the poll deadline and the AbortSignal end what is in flight', async () => {
  const r = await relay('drop-all');
  relays.push(r);
  const s = session(r.port, { deadline: Date.now() + 100 }, 5000);
  await assert.rejects(s.get([SYSNAME]), { failure: 'timeout', message: 'poll deadline of the device passed' });
  s.close();
  const ac = new AbortController();
  const a = session(r.port, { signal: ac.signal }, 5000);
  const pending = a.getBulk(['1.3.6.1.2.1.2.2.1.2'], 10);
  ac.abort();
  await assert.rejects(pending, { failure: 'aborted', message: 'poll aborted' });
  await assert.rejects(a.get([SYSNAME]), { failure: 'aborted' });
  a.close();
  assert.equal(requestsInFlight(), 0);
});

test('error-status is surfaced as before: v1 noSuchName past the end (status 2)', async () => {
  const s = new SnmpSession({ ...SERVICES.snmpd, version: 'v1', community: 'public' });
  try {
    await assert.rejects(s.getNext(['1.3.6.1.6.3.99']), (err: SnmpError) => {
      assert.equal(err.failure, 'protocol');
      assert.equal((err.cause as { status: number }).status, 2);
      assert.equal(
        err.message,
        `${SERVICES.snmpd.host}:${SERVICES.snmpd.port} answered with an error: NoSuchName: 1.3.6.1.6.3.99`,
      );
      return true;
    });
  } finally {
    s.close();
  }
});

test('a closed session fails what it still had in flight, and refuses more', async () => {
  const r = await relay('drop-all');
  relays.push(r);
  const s = session(r.port);
  const pending = s.get([SYSNAME]);
  s.close();
  await assert.rejects(pending, { failure: 'aborted', message: 'SNMP session closed' });
  await assert.rejects(s.get([SYSNAME]), { failure: 'aborted' });
  assert.equal(requestsInFlight(), 0);
});
