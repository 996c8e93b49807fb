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
