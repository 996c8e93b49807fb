// RRD layout (LibreNMS's names, sources and RRAs), the disk spool and the writer's commands.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setLogSink } from '../../lib/log.js';
import { formatUpdate, RrdcachedClient } from '../../lib/rrdcached.js';
import { createSpec, rrdFiles, RRAS, safeName } from '../../agent/rrd/layout.js';
import { RrdSpool } from '../../agent/rrd/spool.js';
import { pathHash, RrdWriter } from '../../agent/rrd/writer.js';

const dir = mkdtempSync(join(tmpdir(), 'nms-rrd-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('host names are made safe the LibreNMS way', () => {
  assert.equal(safeName('core-sw1.example.net'), 'core-sw1.example.net');
  assert.equal(safeName('fe80::1%eth0'), 'fe80__1_eth0');
  assert.equal(safeName('a b/c'), 'a_b_c');
  assert.equal(rrdFiles.port('r1 x', 42).path, 'r1_x/port-id42.rrd');
});

test('port files: 15 DERIVE sources 0..12500000000, heartbeat twice the step, LibreNMS RRAs', () => {
  const def = rrdFiles.port('h', 1);
  assert.equal(def.ds.length, 15);
  const s = createSpec(def, 300, 1000);
  assert.equal(s.ds[0], 'DS:INOCTETS:DERIVE:600:0:12500000000');
  assert.equal(s.ds[14], 'DS:OUTMULTICASTPKTS:DERIVE:600:0:12500000000');
  assert.equal(createSpec(def, 10, 1000).ds[1], 'DS:OUTOCTETS:DERIVE:20:0:12500000000');
  assert.deepEqual(RRAS, [
    'RRA:AVERAGE:0.5:1:2016',
    'RRA:AVERAGE:0.5:6:1440',
    'RRA:AVERAGE:0.5:24:1440',
    'RRA:AVERAGE:0.5:288:1440',
    'RRA:MIN:0.5:1:2016',
    'RRA:MIN:0.5:6:1440',
    'RRA:MIN:0.5:24:1440',
    'RRA:MIN:0.5:288:1440',
    'RRA:MAX:0.5:1:2016',
    'RRA:MAX:0.5:6:1440',
    'RRA:MAX:0.5:24:1440',
    'RRA:MAX:0.5:288:1440',
    'RRA:LAST:0.5:1:2016',
  ]);
  assert.deepEqual([rrdFiles.uptime('h').path, rrdFiles.pollerPerf('h').path], ['h/uptime.rrd', 'h/poller-perf.rrd']);
});

test('spool: replays segments in order, survives a restart, and is bounded with one warning', async () => {
  const d = join(dir, 'spool1');
  const logs: string[] = [];
  setLogSink((l) => logs.push(l));
  try {
    const s = new RrdSpool({ dir: d, maxBytes: 200, segmentBytes: 30 });
    for (let i = 0; i < 6; i++) assert.equal(s.append([`UPDATE f ${100 + i}:1`]), true);
    assert.ok(readdirSync(d).length > 1, 'several segments');
    assert.equal(s.append(['X'.repeat(300)]), false);
    assert.equal(s.append(['Y'.repeat(300)]), false);
    assert.equal(logs.filter((l) => l.includes('spool_full')).length, 1);
    const again = new RrdSpool({ dir: d, maxBytes: 200 }); // a restarted agent finds what was left
    assert.equal(again.size, s.size);
    const sent: string[] = [];
    const r = await again.replay(async (c) => (sent.push(...c), { sent: c.length, errors: [] }));
    assert.equal(r.commands, 6);
    assert.deepEqual(
      sent,
      Array.from({ length: 6 }, (_, i) => `UPDATE f ${100 + i}:1`),
    );
    assert.equal(again.pending, false);
    assert.deepEqual(readdirSync(d), []);
  } finally {
    setLogSink((l) => process.stderr.write(l + '\n'));
  }
});

test('spool: a failed replay keeps what was not sent', async () => {
  const s = new RrdSpool({ dir: join(dir, 'spool2'), segmentBytes: 10 });
  s.append(['UPDATE a 1:1']);
  s.append(['UPDATE a 2:1']);
  await assert.rejects(
    s.replay(async () => {
      throw new Error('gone');
    }),
    /gone/,
  );
  const left: string[] = [];
  await s.replay(async (c) => (left.push(...c), { sent: c.length, errors: [] }));
  assert.deepEqual(left, ['UPDATE a 1:1', 'UPDATE a 2:1']);
  assert.equal(s.pending, false);
});

test(
  'spool: records replay oldest poll first; a blocked record waits, its segment stays until it is ' + 'sent',
  async () => {
    const d = join(dir, 'spool3');
    const s = new RrdSpool({ dir: d, segmentBytes: 10 });
    s.append(['UPDATE h1/a.rrd 120:1'], { key: 'h1', time: 120 });
    s.append(['UPDATE h2/a.rrd 100:1'], { key: 'h2', time: 100 });
    s.append(['UPDATE h1/a.rrd 140:1'], { key: 'h1', time: 140 });
    const sent: string[] = [];
    const done: string[] = [];
    const send = async (c: string[]) => (
      sent.push(...c),
      { sent: c.length, errors: c.map((x, i) => ({ index: i, message: `no ${x.split(' ')[2]}` })).slice(0, 1) }
    );
    // h1 is held by another node (an older poll of it there): only h2 goes
    const r1 = await s.replay(send, {
      blocked: async (k) => k === 'h1',
      sent: async (k, t) => void done.push(`${k}@${t}`),
    });
    assert.deepEqual([r1.records, r1.waiting, sent], [1, 2, ['UPDATE h2/a.rrd 100:1']]);
    assert.deepEqual(
      r1.errors,
      [{ command: 'UPDATE h2/a.rrd 100:1', message: 'no 100:1' }],
      'each refusal with its command and reason',
    );
    assert.equal(readdirSync(d).length, 2, "the sent record's segment is gone, the waiting ones stay");
    // a restart finds the waiting records; unblocked, they go in poll-time order
    const again = new RrdSpool({ dir: d });
    const r2 = await again.replay(send, {
      blocked: async () => false,
      sent: async (k, t) => void done.push(`${k}@${t}`),
    });
    assert.equal(r2.records, 2);
    assert.deepEqual(sent.slice(1), ['UPDATE h1/a.rrd 120:1', 'UPDATE h1/a.rrd 140:1']);
    assert.deepEqual(done, ['h2@100', 'h1@120', 'h1@140']);
    assert.equal(again.pending, false);
    assert.deepEqual(readdirSync(d), []);
  },
);

test('writer: CREATE once per file before its first UPDATE; value counts checked', () => {
  const w = new RrdWriter({ client: new RrdcachedClient(), step: 10 });
  const def = rrdFiles.uptime('h');
  const first = w.commandsFor([{ def, time: 1000.25, values: [5] }]);
  assert.equal(first.length, 2);
  assert.match(first[0], /^CREATE h\/uptime\.rrd -s 10 -b 990 -O DS:uptime:GAUGE:20:0:U RRA:AVERAGE/);
  assert.equal(first[1], 'UPDATE h/uptime.rrd 1000.250:5');
  assert.deepEqual(w.commandsFor([{ def, time: 1010, values: [null] }]), ['UPDATE h/uptime.rrd 1010:U']);
  assert.throws(() => w.commandsFor([{ def, time: 1020, values: [1, 2] }]), /2 values for 1 data sources/);
  assert.throws(() => new RrdWriter({ client: new RrdcachedClient(), step: 0 }), /RrdWriterOptions\.step/);
});

test('writer: rrdcached unreachable → spooled (or dropped without a spool), in order', async () => {
  setLogSink(() => undefined);
  try {
    const spool = new RrdSpool({ dir: join(dir, 'spool3') });
    const w = new RrdWriter({
      client: new RrdcachedClient({ address: '127.0.0.1:1', connectTimeoutMs: 300 }),
      spool,
      step: 10,
    });
    const def = rrdFiles.uptime('h');
    const a = await w.write([{ def, time: 1000, values: [1] }]);
    const b = await w.write([{ def, time: 1010, values: [2] }]);
    assert.deepEqual([a.spooled, a.sent, b.spooled], [2, 0, 1]);
    const sent: string[] = [];
    await spool.replay(async (c) => (sent.push(...c), { sent: c.length, errors: [] }));
    assert.deepEqual(
      sent.map((c) => c.split(' ').slice(0, 3).join(' ')),
      ['CREATE h/uptime.rrd -s', 'UPDATE h/uptime.rrd 1000:1', 'UPDATE h/uptime.rrd 1010:2'],
    );
    const lost = await new RrdWriter({ client: new RrdcachedClient({ address: '127.0.0.1:1' }), step: 10 }).write([
      { def, time: 1000, values: [1] },
    ]);
    assert.equal(lost.dropped, 2);
  } finally {
    setLogSink((l) => process.stderr.write(l + '\n'));
  }
});

test("path hashes: stable, 53-bit, distinct over a fleet's worth of port files", () => {
  assert.equal(pathHash('a/b.rrd'), pathHash('a/b.rrd'));
  const seen = new Set<number>();
  for (let d = 0; d < 200; d++)
    for (let p = 0; p < 50; p++) {
      const h = pathHash(`198.18.0.200_${16100 + d}/port-id${d * 50 + p}.rrd`);
      assert.ok(Number.isSafeInteger(h) && h >= 0);
      seen.add(h);
    }
  assert.equal(seen.size, 200 * 50);
});

test('client: DS counts are kept for at most maxKnownFiles files, the oldest forgotten first', () => {
  const c = new RrdcachedClient({ address: '127.0.0.1:1', maxKnownFiles: 3 });
  for (const p of ['a', 'b', 'c']) c.setDsCount(`${p}.rrd`, 15);
  c.setDsCount('b.rrd', 2); // known already: replaces, forgets nothing
  assert.deepEqual(
    ['a', 'b', 'c'].map((p) => c.knownDsCount(`${p}.rrd`)),
    [15, 2, 15],
  );
  c.setDsCount('d.rrd', 1);
  assert.deepEqual(
    ['a', 'b', 'c', 'd'].map((p) => c.knownDsCount(`${p}.rrd`)),
    [undefined, 2, 15, 1],
  );
  assert.throws(() => new RrdcachedClient({ maxKnownFiles: 0 }), /maxKnownFiles must be a positive whole number/);
});

test('UPDATE lines: integer and fractional times, unknowns, big counters; unsafe paths refused', () => {
  assert.equal(
    formatUpdate({ path: 'h/port-id1.rrd', time: 1700000000, values: [1, null, 18446744073709551615n, 0.5] }),
    'UPDATE h/port-id1.rrd 1700000000:1:U:18446744073709551615:0.5',
  );
  assert.equal(
    formatUpdate({ path: 'h/a.rrd', time: 1700000000.12345, values: [null] }),
    'UPDATE h/a.rrd 1700000000.123:U',
  );
  for (const p of ['', 'a b.rrd', '../x.rrd', 'h/a\tb.rrd'])
    assert.throws(() => formatUpdate({ path: p, time: 1, values: [1] }), /must be non-empty/);
});
