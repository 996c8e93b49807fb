// Collectors against golden files (test/golden/*.json): recorded or hand-written varbinds and
// the record expected from them. On a difference the test prints wanted beside got.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COLLECTORS, collectedFromList, detectReboot, portStatsCollector, type PortRecord } from '../../agent/collectors/index.js';
import { decodeVarbind, jsonable, readGolden } from '../golden/golden.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

test('there is a golden file for every collector', () => {
  const covered = new Set(files.map((f) => readGolden(join(dir, f)).collector));
  for (const c of COLLECTORS) assert.ok(covered.has(c.name), `no golden file for ${c.name}`);
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
      if (wantLines[i] !== gotLines[i]) diff.push(`  line ${i + 1}: wanted ${wantLines[i] ?? '(nothing)'}  |  got ${gotLines[i] ?? '(nothing)'}`);
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

test('a poll\'s smaller ports walk reads the same status, speed and counters as discovery\'s full one', () => {
  for (const f of files) {
    const g = readGolden(join(dir, f));
    if (g.collector !== 'ports') continue;
    const full = g.expected as PortRecord[];
    const bits = full.some((p) => p.counterBits === 64) ? 64 : 32;
    const stats = portStatsCollector(bits);
    const got = jsonable(stats.process(collectedFromList(stats, g.varbinds.map(decodeVarbind)))) as PortRecord[];
    assert.equal(got.length, full.length, f);
    got.forEach((p, i) => {
      const want = full[i];
      if (want.counterBits !== bits) return; // a 32-bit port on a 64-bit device: polled as 64-bit
      const pick = (x: PortRecord) => ({ ifIndex: x.ifIndex, ifSpeed: x.ifSpeed, ifAdminStatus: x.ifAdminStatus, ifOperStatus: x.ifOperStatus, counters: x.counters });
      assert.deepEqual(pick(p), pick(want), `${f} ifIndex ${want.ifIndex}`);
      assert.equal(p.ifDescr, null); // not walked by a poll, so left alone in the database
    });
  }
});
