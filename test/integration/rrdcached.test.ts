// The rrdcached client against real rrdcached: the shared test daemon (TCP and unix socket) for
// the protocol, and a private one that is stopped and started again for reconnects.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RrdError } from '../../lib/errors.js';
import { RrdcachedClient, RrdcachedError, RrdcachedUnavailableError } from '../../lib/rrdcached.js';
import { RrdWriter } from '../../agent/rrd/writer.js';
import { rrdFiles } from '../../agent/rrd/layout.js';
import { SERVICES } from '../helpers/services.js';

const tcp = SERVICES.rrdcached;
const unix = `unix:${SERVICES.rrdcachedSocket}`;
const prefix = `rrdclient-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'nms-rrdclient-'));
const clients: RrdcachedClient[] = [];
const open = (address: string, extra = {}) => {
  const c = new RrdcachedClient({ address, ...extra });
  clients.push(c);
  return c;
};
after(async () => {
  for (const c of clients) await c.close();
  rmSync(dir, { recursive: true, force: true });
  const cleanup = open(unix);
  await cleanup.command(`FORGET ${prefix}/a.rrd`).catch(() => undefined);
  await cleanup.close();
  rmSync(join(SERVICES.rrdDir, prefix), { recursive: true, force: true });
});

const spec = (start: number) => ({
  step: 10,
  start,
  ds: ['DS:in:DERIVE:20:0:U', 'DS:out:GAUGE:20:0:U'],
  rra: ['RRA:AVERAGE:0.5:1:100', 'RRA:LAST:0.5:1:100'],
});

test('TCP and unix socket: PING, STATS, CREATE, BATCH of UPDATEs, FLUSH, FETCH', { timeout: 30_000 }, async () => {
  const now = Math.floor(Date.now() / 1000);
  for (const address of [tcp, unix]) {
    const c = open(address);
    await c.ping();
    const stats = await c.stats();
    assert.equal(typeof stats.UpdatesReceived, 'number');
    assert.equal(typeof stats.QueueLength, 'number');
  }
  const c = open(tcp);
  const path = `${prefix}/a.rrd`;
  await c.create(path, { ...spec(now - 200), noOverwrite: false });
  assert.equal(await c.createIfMissing(path, spec(now - 200)), false);
  const updates = Array.from({ length: 10 }, (_, i) => ({ path, time: now - 150 + i * 10, values: [i * 1000, i] }));
  const r = await c.updateBatch(updates);
  assert.deepEqual(r, { sent: 10, errors: [] });
  const again = await c.updateBatch([updates[9]]);
  assert.equal(again.errors.length, 1); // the same time twice: refused by rrdcached, reported per command
  assert.match(again.errors[0].message, /illegal attempt to update/);
  assert.equal(again.errors[0].kind, 'already-updated', 'the same second again: the file has it');
  await c.flush(path);
  const f = await open(unix).fetch(path, 'AVERAGE', now - 140, now - 70);
  assert.deepEqual(f.ds, ['in', 'out']);
  assert.equal(f.step, 10);
  const rates = f.rows.filter((row) => row.values[0] !== null).map((row) => row.values[0]);
  assert.ok(rates.length >= 5, JSON.stringify(f.rows));
  for (const v of rates) assert.ok(Math.abs(v! - 100) < 1e-6, `rate ${v}`); // 1000 per 10 s
});

test('error replies carry a kind decided from what rrdcached answered', { timeout: 30_000 }, async () => {
  const c = open(tcp);
  const path = `${prefix}/kinds.rrd`;
  const now = Math.floor(Date.now() / 1000);
  const kindOf = (p: Promise<unknown>) =>
    p.then(
      () => 'no error',
      (err: unknown) => (err instanceof RrdcachedError ? err.kind : `not an RrdcachedError: ${err}`),
    );
  await c.create(path, spec(now - 200));
  assert.equal(await kindOf(c.create(path, spec(now - 200))), 'file-exists');
  assert.equal(await c.createIfMissing(path, spec(now - 200)), false);
  assert.equal(await kindOf(c.command(`UPDATE ${prefix}/missing.rrd ${now}:1:1`)), 'no-such-file');
  assert.equal(await kindOf(c.command(`INFO ${prefix}/missing.rrd`)), 'no-such-file');
  assert.equal(await kindOf(c.fetch(`${prefix}/missing.rrd`, 'AVERAGE', now - 100, now)), 'no-such-file');
  assert.equal(await kindOf(c.command('UPDATE /etc/passwd 1:1')), 'permission');
  assert.equal(await kindOf(c.command('NO-SUCH-COMMAND')), 'unknown-command');
  const r = await c.batch([
    `UPDATE ${path} ${now - 100}:1:1`,
    `UPDATE ${path} ${now - 150}:1:1`,
    `UPDATE ${prefix}/missing.rrd ${now}:1:1`,
    `CREATE ${path} -s 10 -O DS:in:GAUGE:20:0:U RRA:AVERAGE:0.5:1:10`,
  ]);
  assert.deepEqual(
    r.errors.map((e) => [e.index, e.kind]),
    [
      [1, 'illegal-update'],
      [2, 'no-such-file'],
      [3, 'file-exists'],
    ],
  );
  await c.command(`FORGET ${path}`);
});

test('value counts are checked on the client, against CREATE or INFO', { timeout: 30_000 }, async () => {
  const c = open(unix);
  const now = Math.floor(Date.now() / 1000);
  await assert.rejects(
    c.updateBatch([{ path: `${prefix}/a.rrd`, time: now, values: [1] }]),
    (e: unknown) => e instanceof RrdError && /1 values for 2 data sources/.test(e.message),
  );
  const fresh = open(tcp); // knows nothing about the file: asks INFO
  assert.equal(await fresh.dsCount(`${prefix}/a.rrd`), 2);
  await assert.rejects(
    fresh.updateBatch([{ path: `${prefix}/a.rrd`, time: now, values: [1, 2, 3] }]),
    /3 values for 2 data sources/,
  );
  await assert.rejects(c.updateBatch([{ path: `${prefix}/a.rrd`, time: 0, values: [1, 2] }]), /absolute/);
});

test('pipelining: many commands in flight on one connection come back in order', { timeout: 30_000 }, async () => {
  const c = open(unix);
  const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? c.ping() : c.stats())));
  replies.forEach((r, i) =>
    i % 2 ? assert.equal(r, undefined) : assert.equal(typeof (r as Record<string, number>).QueueLength, 'number'),
  );
});

test('unreachable, then reconnect after rrdcached is stopped and started again', { timeout: 30_000 }, async () => {
  const sock = join(dir, 'sock');
  const start = async () => {
    const p = spawn('rrdcached', ['-g', '-b', dir, '-B', '-R', '-l', `unix:${sock}`, '-p', join(dir, 'pid')], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
    return p;
  };
  const stop = async (p: ChildProcess) => {
    p.kill('SIGTERM');
    if (p.exitCode === null) await once(p, 'exit');
    rmSync(sock, { force: true });
  };
  const c = open(`unix:${sock}`, { connectTimeoutMs: 500 });
  await assert.rejects(c.ping(), RrdcachedUnavailableError);
  let p = await start();
  await c.ping();
  await stop(p);
  await assert.rejects(c.ping(), RrdcachedUnavailableError);
  p = await start();
  await c.ping(); // a new connection, made on demand
  await stop(p);
  await assert.rejects(
    open('127.0.0.1:1', { connectTimeoutMs: 500 }).ping(),
    (e: unknown) =>
      e instanceof RrdcachedUnavailableError && /127\.0\.0\.1:1 unreachable: ECONNREFUSED/.test((e as Error).message),
  );
});

test('bad options and addresses are refused at construction, naming the option', () => {
  assert.throws(() => new RrdcachedClient({ address: 'nowhere' }), /host:port, unix:\/path or \/path/);
  assert.throws(() => new RrdcachedClient({ commandTimeoutMs: 0 }), /RrdcachedClientOptions\.commandTimeoutMs/);
});

test('writer: a file removed behind its back is created again on the next write', { timeout: 30_000 }, async () => {
  const c = open(unix);
  const w = new RrdWriter({ client: c, step: 10 });
  const def = rrdFiles.uptime(`${prefix}-gone`);
  const now = Math.floor(Date.now() / 1000);
  assert.deepEqual((await w.write([{ def, time: now - 30, values: [1] }])).errors, []);
  await c.command(`FORGET ${def.path}`).catch(() => undefined);
  rmSync(join(SERVICES.rrdDir, `${prefix}-gone`), {
    recursive: true,
    force: true,
  });
  const refused = await w.write([{ def, time: now - 20, values: [2] }]);
  assert.equal(refused.errors.length, 1);
  assert.match(refused.errors[0], /^UPDATE .*uptime\.rrd: No such file/);
  assert.deepEqual((await w.write([{ def, time: now - 10, values: [3] }])).errors, []);
  await c.command(`FORGET ${def.path}`).catch(() => undefined);
  rmSync(join(SERVICES.rrdDir, `${prefix}-gone`), {
    recursive: true,
    force: true,
  });
});
