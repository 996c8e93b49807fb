// The device modules without services: a value invalid for its type is skipped and logged once;
// pool arithmetic; the module switches; and discovery of processors, mempools, storage and
// sensors on recordings whose counts LibreNMS's expected rows give (docs/conformance.md has all).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../lib/log.js';
import { buildSet, readDefinitionTexts } from '../../agent/definitions/loader.js';
import { detectOs } from '../../agent/definitions/detect.js';
import { numberOf } from '../../agent/modules/table.js';
import { poolValues, separateBuffers } from '../../agent/modules/pools.js';
import { moduleEnabled, parseAttribs } from '../../agent/modules/index.js';
import { discoverProcessors } from '../../agent/modules/processors.js';
import { discoverMempools } from '../../agent/modules/mempools.js';
import { discoverStorage } from '../../agent/modules/storage.js';
import { discoverSensors } from '../../agent/modules/sensors.js';
import type { ModuleContext } from '../../agent/modules/types.js';
import { str } from '../../agent/snmp/values.js';
import { readExpected as expectedOf, recordingReader } from '../helpers/snmprec.js';

const set = buildSet(readDefinitionTexts());

function quietLog(lines: string[]): Logger {
  const log: Logger = {
    debug: () => {},
    info: () => {},
    warn: (e, f) => lines.push(`${e} ${JSON.stringify(f)}`),
    error: () => {},
    child: () => log,
  };
  return log;
}

test('a value invalid for its type is skipped and logged once per device and OID', () => {
  const lines: string[] = [];
  const ctx = {
    log: quietLog(lines),
    invalid: new Set<string>(),
    device: { device_id: 7 },
  } as unknown as ModuleContext;
  const text = { type: 2, value: Buffer.from(' 5 Secs ( 96.5%)') };
  assert.equal(numberOf(ctx, text, '1.3.6.1.4.1.674.1'), null);
  assert.equal(numberOf(ctx, text, '1.3.6.1.4.1.674.1'), null);
  assert.equal(numberOf(ctx, { type: 2, value: 42 }, '1.3.6.1.4.1.674.2'), 42);
  assert.equal(numberOf(ctx, { type: 4, value: Buffer.from('3.4') }, '1.3.6.1.4.1.674.3'), 3.4);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /invalid_value .*"device_id":7.*1\.3\.6\.1\.4\.1\.674\.1/);
});

test('pools: sizes from used/free/total/percent, buffers and cache apart from physical memory', () => {
  assert.deepEqual(poolValues({ perc: 47, used: null, free: null, total: 3112408 }, 1024, null), {
    total: 3187105792,
    used: 1497939722,
    free: 1689166070,
    perc: 47,
  });
  assert.deepEqual(poolValues({ perc: null, used: null, free: 60, total: 3990 }, 1048576, null), {
    total: 4183818240,
    used: 4120903680,
    free: 62914560,
    perc: (3930 / 3990) * 100,
  });
  assert.equal(poolValues({ perc: 26, used: null, free: null, total: null }, 1, null)?.total, 100);
  const rows = [
    { type: 'hrstorage', cls: 'system', descr: 'Physical memory', total: 1000, used: 800, free: 200, perc: 80 },
    { type: 'hrstorage', cls: 'buffers', descr: 'Memory buffers', total: 100, used: 100, free: 0, perc: 100 },
    { type: 'hrstorage', cls: 'cached', descr: 'Cached memory', total: 300, used: 300, free: 0, perc: 100 },
  ];
  separateBuffers(rows);
  assert.deepEqual(
    rows.map((r) => [r.total, r.used, Math.round(r.perc)]),
    [
      [1000, 400, 40],
      [1000, 100, 10],
      [1000, 300, 30],
    ],
  );
});

test('module switches: per OS (disabled_modules) and per device (devices_attribs), the device winning', () => {
  const def = { ...set.byOs.get('linux')!, disabled_modules: ['sensors'] };
  assert.equal(moduleEnabled('sensors', 'poll', def), false);
  assert.equal(moduleEnabled('sensors', 'poll', def, parseAttribs('poll_sensors=1')), true);
  assert.equal(moduleEnabled('storage', 'discovery', def, parseAttribs('discover_storage=0,poll_ports=0')), false);
  assert.equal(moduleEnabled('storage', 'poll', def, parseAttribs('discover_storage=0')), true);
});

const COUNTS: [string, 'processors' | 'mempools' | 'storage' | 'sensors'][] = [
  ['linux', 'processors'],
  ['fortigate_webfilter', 'processors'],
  ['voss_8608', 'processors'],
  ['opengear', 'processors'],
  ['qnap', 'mempools'],
  ['hpe-ilo', 'mempools'],
  ['junos_qfx5130-32cd-evo', 'mempools'],
  ['opengear', 'mempools'],
  ['edgeos', 'storage'],
  ['nxos_n5548-7.3.3', 'storage'],
  ['routeros_rb760igs', 'sensors'],
  ['netgear', 'sensors'],
  ['gaia_23900', 'sensors'],
];
const DISCOVER = {
  processors: discoverProcessors,
  mempools: discoverMempools,
  storage: discoverStorage,
  sensors: discoverSensors,
};

for (const [name, mod] of COUNTS) {
  test(`${mod} of ${name}: as many as LibreNMS found`, async () => {
    const reader = recordingReader(name);
    const g = await reader.get(['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.2.0']);
    const def = await detectOs(
      set,
      { sysDescr: str(g.get('1.3.6.1.2.1.1.1.0')) ?? '', sysObjectID: str(g.get('1.3.6.1.2.1.1.2.0')) ?? '' },
      reader,
    );
    const ctx = {
      reader,
      def,
      set,
      log: quietLog([]),
      invalid: new Set<string>(),
      device: { device_id: 1 },
    } as unknown as ModuleContext;
    const got = await DISCOVER[mod](ctx);
    const want = (expectedOf(name)[mod] as { discovery: Record<string, unknown[]> }).discovery[mod];
    assert.equal(got.length, want.length);
  });
}
