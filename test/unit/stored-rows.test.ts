// The module rows a Poller keeps between polls: read once while the device's last_discovered
// stays the same, read again when it changes or after forget(), and bounded by the rows held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StoredRows } from '../../agent/modules/stored.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

test('rows are read once per last_discovered; a new discovery time or forget() reads them again', async () => {
  const c = new StoredRows();
  let reads = 0;
  const load = async () => [++reads];
  const dev = { device_id: 7, last_discovered: at(1) };
  assert.deepEqual(await c.rows(dev, 'sensors', load), [1]);
  assert.deepEqual(await c.rows({ ...dev, last_discovered: at(1) }, 'sensors', load), [1]);
  assert.deepEqual(await c.rows({ ...dev, last_discovered: at(2) }, 'sensors', load), [2]);
  assert.deepEqual(await c.rows({ ...dev, last_discovered: at(2) }, 'processors', load), [3]);
  c.forget(7);
  assert.deepEqual(await c.rows({ ...dev, last_discovered: at(2) }, 'sensors', load), [4]);
  assert.deepEqual(await c.rows({ device_id: 7, last_discovered: null }, 'sensors', load), [5]);
  assert.deepEqual(c.size, { devices: 1, rows: 1 });
});

test('past the bound, idle devices are dropped, least recently polled first', async () => {
  const c = new StoredRows(5, 0); // every device idle at once
  const rows = (n: number) => async () => Array.from({ length: n }, (_, i) => i);
  for (const id of [1, 2]) await c.rows({ device_id: id, last_discovered: at(0) }, 'storage', rows(2));
  await c.rows({ device_id: 1, last_discovered: at(0) }, 'storage', rows(9)); // a hit: 1 is now the newest
  await c.rows({ device_id: 3, last_discovered: at(0) }, 'storage', rows(2));
  assert.deepEqual(c.size, { devices: 2, rows: 4 });
  let read = false;
  await c.rows({ device_id: 2, last_discovered: at(0) }, 'storage', async () => ((read = true), []));
  assert.equal(read, true, 'device 2 was dropped');
  read = false;
  await c.rows({ device_id: 3, last_discovered: at(0) }, 'storage', async () => ((read = true), []));
  assert.equal(read, false, 'device 3 is kept');
});

test('past the bound, devices still polled keep their rows; the ones that do not fit are read each time', async () => {
  const c = new StoredRows(5); // nothing idle for 15 minutes
  let reads = 0;
  const rows = async () => (reads++, [1, 2]);
  // devices 1..4 polled in a cycle, three times: 2 rows each, room for two devices
  for (let cycle = 0; cycle < 3; cycle++)
    for (const id of [1, 2, 3, 4]) await c.rows({ device_id: id, last_discovered: at(0) }, 'storage', rows);
  // devices 1 and 2 read once; 3 and 4 every cycle (least-recently-used dropping would read all 12)
  assert.equal(reads, 2 + 2 * 3);
  assert.deepEqual(c.size, { devices: 2, rows: 4 });
});

test('kept rows share one copy of the texts they repeat; values stay the same', async () => {
  const { spawnSync } = await import('node:child_process');
  const { join } = await import('node:path');
  // In a child with --expose-gc: 20,000 devices' rows, each with texts of its own (as rows read
  // from the database come), against the same rows holding one shared copy from the start.
  const script = `
    const { StoredRows } = await import('./agent/modules/stored.ts');
    const fresh = (s) => s.split('').join('');
    const heap = () => (gc(), gc(), process.memoryUsage().heapUsed);
    async function fill(own) {
      const c = new StoredRows(1e6);
      const h0 = heap();
      for (let id = 1; id <= 20000; id++) {
        const cls = own ? fresh('temperature') : 'temperature';
        const oid = own ? fresh('.1.3.6.1.4.1.2636.3.1.13.1.7.9.1.0.0') : '.1.3.6.1.4.1.2636.3.1.13.1.7.9.1.0.0';
        await c.rows({ device_id: id, last_discovered: null }, 'sensors', async () => [{ id, cls, oid, divisor: 1 }]);
      }
      const bytes = heap() - h0;
      const row = await c.rows({ device_id: 77, last_discovered: null }, 'sensors', async () => []);
      return { bytes, row, c };
    }
    const own = await fill(true);
    const one = await fill(false);
    console.log(JSON.stringify({ own: own.bytes, one: one.bytes, row: own.row }));`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: join(import.meta.dirname, '..', '..'),
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(out.row, [{ id: 77, cls: 'temperature', oid: '.1.3.6.1.4.1.2636.3.1.13.1.7.9.1.0.0', divisor: 1 }]);
  // 40,000 texts of their own would hold ~2.2 MB more (32 and 56 bytes each); shared, about none
  assert.ok(out.own - out.one < 300_000, `rows with texts of their own held ${out.own - out.one} bytes more`);
});
