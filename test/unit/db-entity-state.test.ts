// entityStateOf: how the GROUP_CONCAT columns of getDeviceState become counts and row ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entityStateOf, sensorKey } from '../../agent/db/entity-state.js';

test('entity state: live counts, counter width, ids of every row (deleted ones too)', () => {
  const s = entityStateOf({
    e_ports: '11 1 0 64,12 2 1 64,13 3 0 32',
    e_processors: '5 hr 196608,6 ucd 0',
    e_storage: '7 0 hrstorage 1,8 1 hrstorage 31,9 0 hrstorage ',
    e_sensors: '20 0 entity-sensor temperature 1001,21 1 entity-sensor voltage 1002,22 0 other temperature 1001',
  });
  assert.deepEqual([s.ports, s.processors, s.storage, s.sensors, s.counterBits], [2, 2, 2, 2, 64]);
  assert.deepEqual(
    [...s.ids.ports],
    [
      [1, 11],
      [2, 12],
      [3, 13],
    ],
  );
  assert.deepEqual([...s.ids.processors], [['196608', 5]]);
  assert.deepEqual(
    [...s.ids.storage],
    [
      ['1', 7],
      ['31', 8],
    ],
    'an empty index names no row',
  );
  assert.deepEqual(
    [...s.ids.sensors],
    [
      [sensorKey('temperature', '1001'), 20],
      [sensorKey('voltage', '1002'), 21],
    ],
  );
});

test('entity state: 32-bit counters only when every live port has them; nothing at all is 0 with 64', () => {
  assert.equal(entityStateOf({ e_ports: '11 1 0 32,12 2 1 64' }).counterBits, 32);
  const none = entityStateOf({ e_ports: null, e_processors: null, e_storage: null, e_sensors: null });
  assert.deepEqual(
    [none.ports, none.processors, none.storage, none.sensors, none.counterBits, none.ids.ports.size],
    [0, 0, 0, 0, 64, 0],
  );
});

test('entity state: a cut-off or malformed entry is left out, never read as another row', () => {
  // "13 3 0 6" is "13 3 0 64" cut short; "14 4" lacks fields; "x 5 0 64" has no id
  const s = entityStateOf({ e_ports: '11 1 0 64,13 3 0 6,14 4,x 5 0 64' });
  assert.deepEqual([...s.ids.ports], [[1, 11]]);
  assert.equal(s.ports, 1);
  // five fields, an index that is not a number, an empty or other deleted field (a row, not live)
  const t = entityStateOf({ e_ports: '21 1 0 64 1,22 2x 0 64,23 3  64,24 4 00 32,25 5 1 64,26 6 0 64' });
  assert.deepEqual(
    [...t.ids.ports],
    [
      [3, 23],
      [4, 24],
      [5, 25],
      [6, 26],
    ],
  );
  assert.equal(t.ports, 1);
  assert.equal(t.counterBits, 64);
});
