// The per-device memcached records of the agent's jobs, gathered and written together (one socket
// write for many), against the real memcached: every record readable afterwards, the newest of a
// device's records kept, and a flush with nothing gathered harmless.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoordKeys } from '../../agent/coord/keys.js';
import { Registry } from '../../agent/registry/registry.js';
import { DeviceRecords } from '../../agent/daemon/device-records.js';
import { SERVICES } from '../helpers/services.js';

const { host, port } = SERVICES.memcached;

test('device records gathered, then written together: each one readable, the newest per device', async () => {
  const registry = new Registry({
    host,
    port: Number(port),
    keys: new CoordKeys(`devrec-${process.pid}-${Date.now()}`),
  });
  const errors: Error[] = [];
  const records = new DeviceRecords(registry, (e) => errors.push(e), 60_000);
  try {
    const rec = (at: number) => ({ node_id: 'n1', poller_name: 'p1', at, duration_ms: 5, outcome: 'ok' as const });
    for (let id = 1; id <= 200; id++) records.add('poller', id, rec(id));
    records.add('poller', 7, rec(7000)); // a newer record of device 7 before the write
    records.add('discovery', 7, rec(70));
    assert.equal(await registry.device('poller', 1), undefined, 'nothing written before the flush');
    await records.flush();
    await records.flush();
    for (let id = 1; id <= 200; id++) {
      const r = await registry.device('poller', id);
      assert.equal(r?.at, id === 7 ? 7000 : id, `device ${id}: ${JSON.stringify(r)}`);
      assert.equal(r?.node_id, 'n1');
    }
    assert.equal((await registry.device('discovery', 7))?.at, 70);
    assert.deepEqual(errors, []);
  } finally {
    registry.close();
  }
});
