// The HOST-RESOURCES processors and storage and ENTITY-SENSOR-MIB sensors collectors on
// LibreNMS's recordings (read in place), against LibreNMS's rows for the same devices: expected
// values from LibreNMS's data, never from our own output. (These collectors are replaced by
// definition-driven modules on the definitions branch; this file goes with them.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { processorsCollector, sensorsCollector, storageCollector } from '../../agent/collectors/index.js';
import { collectFromRecording, expectedRows, recordingNames } from '../helpers/snmprec.js';

type Row = Record<string, unknown>;

/** Every recording that has rows of `module`/`table` matching `keep`, with those rows. */
function devicesWith(module: string, table: string, keep: (r: Row) => boolean): [string, Row[]][] {
  const out: [string, Row[]][] = [];
  for (const name of recordingNames()) {
    const rows = expectedRows(name, module, table, 'poller')?.filter(keep);
    if (rows?.length) out.push([name, rows]);
  }
  return out;
}

test('processors: HOST-RESOURCES processors (type hr) have LibreNMS\'s indexes and usage', () => {
  const devices = devicesWith('processors', 'processors', (r) => r.processor_type === 'hr');
  assert.ok(devices.length >= 10, `${devices.length} devices with hr processors`);
  for (const [name, want] of devices) {
    const got = processorsCollector.process(collectFromRecording(name, processorsCollector));
    assert.deepEqual(got.map((p) => [p.index, p.usage]), want.map((r) => [String(r.processor_index),
      r.processor_usage]), name);
  }
});

test('storage: every disk LibreNMS keeps from hrStorageTable has its size and use', () => {
  const devices = devicesWith('storage', 'storage',
    (r) => r.type === 'hrstorage' || r.storage_type === 'hrstorage' || r.storage_mib === undefined);
  let compared = 0;
  for (const [name, want] of devices) {
    const got = new Map(storageCollector.process(collectFromRecording(name, storageCollector)).map((s) => [s.index,
      s]));
    for (const w of want) {
      const g = got.get(String(w.storage_index));
      if (!g || g.descr !== w.storage_descr) continue; // a vendor MIB's row (nxos bootflash, ...)
      compared++;
      assert.deepEqual([g.size, g.used, g.units], [w.storage_size, w.storage_used, w.storage_units],
        `${name} ${w.storage_descr}`);
    }
  }
  assert.ok(compared >= 20, `${compared} disks compared`);
});

test('sensors: ENTITY-SENSOR-MIB sensors have LibreNMS\'s class, index and value', () => {
  const devices = devicesWith('sensors', 'sensors', (r) => r.sensor_type === 'entity-sensor');
  assert.ok(devices.length >= 2);
  let compared = 0;
  for (const [name, want] of devices) {
    const got = new Map(sensorsCollector.process(collectFromRecording(name,
      sensorsCollector)).map((s) => [`${s.sensorClass} ${s.index}`, s]));
    for (const w of want) {
      const g = got.get(`${w.sensor_class} ${w.sensor_index}`);
      if (!g) continue; // classes our generic collector does not read yet (dbm of transceivers)
      compared++;
      assert.equal(g.value, w.sensor_current, `${name} ${w.sensor_class} ${w.sensor_index}`);
    }
  }
  assert.ok(compared >= 15, `${compared} sensors compared`);
});
