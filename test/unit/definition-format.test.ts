// The parts of the definition format that some OSes need, on the recordings that need them,
// against LibreNMS's expected rows: rows kept by their description (keep_descr), a table's row
// count (count_rows), a number read from text (value_match), optical power in µW shown in dBm
// (convert), port names from the OS's own MIB (ports:); and the schema refusing a bad value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../lib/log.js';
import { DefinitionError } from '../../lib/errors.js';
import { buildSet, parseDefinition, readDefinitionTexts } from '../../agent/definitions/loader.js';
import { detectOs } from '../../agent/definitions/detect.js';
import { portsCollector } from '../../agent/collectors/index.js';
import { namedPorts } from '../../agent/modules/port-names.js';
import { discoverProcessors } from '../../agent/modules/processors.js';
import { discoverSensors } from '../../agent/modules/sensors.js';
import { scaled } from '../../agent/modules/sensor-rows.js';
import { tableOf, valueOf } from '../../agent/modules/table.js';
import type { ModuleContext } from '../../agent/modules/types.js';
import { str } from '../../agent/snmp/values.js';
import { collectFromRecording, expectedRows, readExpected as expectedOf, recordingReader } from '../helpers/snmprec.js';

const set = buildSet(readDefinitionTexts());
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

async function contextOf(name: string): Promise<ModuleContext> {
  const reader = recordingReader(name);
  const g = await reader.get(['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.2.0']);
  const sys = { sysDescr: str(g.get('1.3.6.1.2.1.1.1.0')) ?? '', sysObjectID: str(g.get('1.3.6.1.2.1.1.2.0')) ?? '' };
  const def = await detectOs(set, sys, reader);
  return { reader, def, set, log: silent, invalid: new Set(), device: { device_id: 1 } } as unknown as ModuleContext;
}

/** Rows per class of LibreNMS's sensors for a recording. */
function classCounts(rows: { sensor_class?: unknown }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[String(r.sensor_class)] = (out[String(r.sensor_class)] ?? 0) + 1;
  return out;
}

for (const name of ['fortigate_webfilter', 'qnap', 'timos_7750-esa', 'eaton-mgeups_9pxle', 'vrp_power', 'drac_r540']) {
  test(`sensors of ${name}: as many per class as LibreNMS found, the same values`, async () => {
    const got = await discoverSensors(await contextOf(name));
    const want = (expectedOf(name).sensors as { discovery: { sensors: Record<string, unknown>[] } }).discovery.sensors;
    assert.deepEqual(classCounts(got), classCounts(want));
    const byOid = new Map(got.map((r) => [r.sensor_oid, r]));
    for (const w of want.filter((x) => x.sensor_class !== 'state' && byOid.has(String(x.sensor_oid)))) {
      const g = byOid.get(String(w.sensor_oid))!;
      assert.ok(Math.abs(Number(g.sensor_current) - Number(w.sensor_current)) < 0.01, `${String(w.sensor_descr)}`);
    }
  });
}

test('where by a part of the index: the PDU2-MIB measurements of a Raritan PDU by sensor type', async () => {
  const got = await discoverSensors(await contextOf('raritan-pdu_px4'));
  const want = (expectedOf('raritan-pdu_px4').sensors as { discovery: { sensors: Record<string, unknown>[] } })
    .discovery.sensors;
  assert.deepEqual(classCounts(got), classCounts(want.filter((w) => w.sensor_class !== 'state')));
});

test('convert: µW and mW to dBm after divisor and multiplier; nothing for a reading of 0', () => {
  assert.equal(scaled(345, 1, 1, 'uw_to_dbm'), -4.6218);
  assert.equal(scaled(2000, 1000, 1, 'mw_to_dbm'), 3.0103);
  assert.equal(scaled(0, 1, 1, 'uw_to_dbm'), null);
  assert.equal(scaled(38250, 1000000, 1), 0.03825);
});

test('value_match: the processor of a PowerConnect given as text; unifi by its load description', async () => {
  const pc = await discoverProcessors(await contextOf('powerconnect_3011'));
  assert.deepEqual(
    pc.map((p) => Math.round(p.processor_usage)),
    expectedRows('powerconnect_3011', 'processors', 'processors')!.map((p) => p.processor_usage),
  );
  const unifi = await discoverProcessors(await contextOf('unifi'));
  assert.deepEqual(
    unifi.map((p) => p.processor_usage),
    expectedRows('unifi', 'processors', 'processors')!.map((p) => p.processor_usage),
  );
});

test('a poll reads a text value with the table it was discovered from (tableOf, valueOf)', async () => {
  const ctx = await contextOf('powerconnect_3011');
  const oid = '.1.3.6.1.4.1.674.10895.5000.2.6132.1.1.1.1.4.4.0';
  const t = tableOf(ctx.def.processors, oid);
  assert.ok(t?.value_match);
  const cell = { type: 4, value: Buffer.from('    5 Secs ( 12.5%)   60 Secs ( 54.2271%)  300 Secs ( 38.2591%)') };
  assert.equal(valueOf(ctx, cell, oid, t), 12.5);
  assert.equal(valueOf(ctx, cell, oid, undefined), null, 'without its table the text is no number');
  assert.equal(tableOf(ctx.def.processors, '.1.3.6.1.4.1.674.10895.5000.2.6132.1.1.1.1.4.4.00'), undefined);
});

test("ports named from the OS's own MIB: zynos slot/port names, moxa's port names as ifAlias", () => {
  for (const [name, os, field] of [
    ['zynos_ges1316', 'zynos', 'ifName'],
    ['moxa-etherdevice_edsg516e', 'moxa-etherdevice', 'ifAlias'],
  ] as const) {
    const c = namedPorts(portsCollector, set.byOs.get(os), set);
    const got = new Map(c.process(collectFromRecording(name, c)).map((p) => [p.ifIndex, p[field]]));
    const want = expectedRows(name, 'ports', 'ports', 'poller')!;
    for (const w of want) assert.equal(got.get(Number(w.ifIndex)), w[field], `${name} ifIndex ${String(w.ifIndex)}`);
  }
  assert.equal(
    namedPorts(portsCollector, set.byOs.get('linux'), set),
    portsCollector,
    'an OS without port rules keeps the collector as it is',
  );
});

test('the schema refuses a bad conversion, keep_descr regex or port name source, with file and line', () => {
  const base = 'os: broken\ntext: Broken\nvendor: X\ntype: network\nicon: x.svg\ndetect: [{ sysObjectID: [.1.3] }]\n';
  const refused = (yaml: string) => {
    try {
      parseDefinition('broken.yaml', base + yaml);
    } catch (err) {
      assert.ok(err instanceof DefinitionError);
      return err.message;
    }
    assert.fail('accepted');
  };
  assert.match(
    refused('sensors:\n  - { class: dbm, oid: 1.3.6.1.4.1.1, convert: w_to_dbm }\n'),
    /^broken\.yaml:8 sensors\[0\]\.convert: must be one of mw_to_dbm, uw_to_dbm$/,
  );
  assert.match(
    refused("sensors:\n  - { class: fanspeed, oid: 1.3.6.1.4.1.1, keep_descr: ['Fan(' ] }\n"),
    /^broken\.yaml:8 sensors\[0\]\.keep_descr\[0\]: bad regular expression/,
  );
  assert.match(refused('ports:\n  ifName:\n    - from: ifWhatever\n'), /^broken\.yaml:9 ports\.ifName\[0\]\.from: /);
  assert.match(
    refused('sensors:\n  - { class: power, oid: 1.3.6.1.4.1.1, where: { part: 3, oid: 1.3.6.1.4.1.2, in: [5] } }\n'),
    /^broken\.yaml:8 sensors\[0\]\.where: /,
  );
});
