// Collectors against golden files (test/golden/*.json): hand-written varbinds for cases no
// recording holds, and the record expected from them. Real devices' recordings are checked
// against LibreNMS's rows in golden-recordings.test.ts and ports-recordings.test.ts. On a
// difference the test prints wanted beside got.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  COLLECTORS,
  collectedFromList,
  detectReboot,
  portsCollector,
  portStatsCollector,
} from '../../agent/collectors/index.js';
import type { PortCounter } from '../../agent/collectors/port-counters.js';
import { collectFromRecording } from '../helpers/snmprec.js';
import { decodeVarbind, jsonable, readGolden } from '../golden/golden.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

/** Collectors checked against recordings of real devices and LibreNMS's rows. */
const FROM_RECORDINGS = new Set([
  'system',
  'ports',
  'processors',
  'storage',
  'sensors',
  'entity-physical',
  'ipv4-addresses',
  'discovery-protocols',
  'ucd-diskio',
]);

test('every collector has a golden file or is checked against recordings', () => {
  const covered = new Set([...files.map((f) => readGolden(join(dir, f)).collector), ...FROM_RECORDINGS]);
  for (const c of COLLECTORS) assert.ok(covered.has(c.name), `no golden file or recording test for ${c.name}`);
});

for (const f of files) {
  test(`golden ${f}`, () => {
    const g = readGolden(join(dir, f));
    const c = COLLECTORS.find((x) => x.name === g.collector);
    assert.ok(c, `${f}: unknown collector ${g.collector}`);
    const got = jsonable(c.process(collectedFromList(c, g.varbinds.map(decodeVarbind))));
    const want = g.expected;
    const wantLines = JSON.stringify(want, null, 1).split('\n');
    const gotLines = JSON.stringify(got, null, 1).split('\n');
    const diff: string[] = [];
    for (let i = 0; i < Math.max(wantLines.length, gotLines.length); i++) {
      if (wantLines[i] !== gotLines[i])
        diff.push(`  line ${i + 1}: wanted ${wantLines[i] ?? '(nothing)'}  |  got ${gotLines[i] ?? '(nothing)'}`);
    }
    assert.deepEqual(got, want, `${f} (${g.source}) differs:\n${diff.slice(0, 20).join('\n')}`);
  });
}

test('reboot detection: uptime going down is a reboot, a 32-bit wrap is not', () => {
  assert.equal(detectReboot(1000, 10), true);
  assert.equal(detectReboot(1000, 2000), false);
  assert.equal(detectReboot(null, 10), false);
  assert.equal(detectReboot(2 ** 32 / 100 - 5, 3), false);
});

test("a poll's smaller ports walk reads the same status, speed and counters as discovery's full one", () => {
  for (const name of ['iosxe_asr920', 'fs-switch_s3900', 'jetstream', 'cumulus_mellanox', 'apc_ap8959eu3']) {
    const full = portsCollector.process(collectFromRecording(name, portsCollector));
    const bits = full.some((p) => p.counterBits === 64) ? 64 : 32;
    const stats = portStatsCollector(bits);
    const got = stats.process(collectFromRecording(name, stats));
    assert.equal(got.length, full.length, name);
    got.forEach((p, i) => {
      const want = full[i];
      if (want.counterBits !== bits) return; // a 32-bit port on a 64-bit device: polled as 64-bit
      const status = (x: typeof p) => [x.ifIndex, x.ifSpeed, x.ifAdminStatus, x.ifOperStatus];
      assert.deepEqual(status(p), status(want));
      // a counter the poll does not walk is null (the database keeps it); the others are equal
      for (const [c, v] of Object.entries(p.counters)) {
        if (v !== null) assert.equal(v, want.counters[c as PortCounter], `${name} ${want.ifIndex} ${c}`);
      }
      assert.equal(p.ifDescr, null); // not walked by a poll, so left alone in the database
    });
  }
});
