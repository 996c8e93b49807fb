// `nms-agent probe` against a real device's recording (fs-switch_s3900, LibreNMS's test data,
// served by a private snmpsimd) and Debian's snmpd: what each module finds, in LibreNMS's
// tables, equals LibreNMS's rows; nothing is read from or written to a database (the --env
// given does not exist); flags that contradict each other are a one-line error with exit 2.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { expectedRows } from '../helpers/snmprec.js';
import { startRecordingSim, type RecordingSim } from '../helpers/snmpsim.js';
import { SERVICES } from '../helpers/services.js';

let sim: RecordingSim;
const snmpdHost = SERVICES.snmpd.host;
const snmpdPort = String(SERVICES.snmpd.port);

before(async () => {
  sim = await startRecordingSim('fs-switch_s3900');
});

after(() => sim?.stop());

function agent(...args: string[]): { code: number; out: string; err: string } {
  try {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'agent/main.ts', '--env', '/nonexistent/.env', 'probe', ...args],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return { code: 0, out, err: '' };
  } catch (e) {
    const x = e as { status: number; stdout: string; stderr: string };
    return { code: x.status, out: x.stdout, err: x.stderr };
  }
}

type Probe = {
  status: string;
  modules: { module: string; phase: string; status: string; tables?: Record<string, Record<string, unknown>[]> }[];
};
const table = (p: Probe, module: string, name: string, phase = 'discovery') =>
  p.modules.find((m) => m.module === module && m.phase === phase)?.tables?.[name];

test(
  "probe of a recorded FS switch: every module in LibreNMS's tables, equal to LibreNMS's rows",
  { timeout: 60_000 },
  async () => {
    const name = 'fs-switch_s3900';
    const r = agent(sim.hosts[0], '--port', String(sim.port), '--community', name, '--json');
    assert.equal(r.code, 0, r.err);
    const p = JSON.parse(r.out) as Probe;
    assert.equal(p.status, 'up');
    assert.equal(table(p, 'system', 'devices')?.[0].sysObjectID, expectedRows(name, 'os', 'devices')![0].sysObjectID);
    const ports = table(p, 'ports', 'ports')!;
    const want = expectedRows(name, 'ports', 'ports', 'poller')!;
    assert.equal(ports.length, want.length);
    const byIndex = new Map(ports.map((x) => [x.ifIndex, x]));
    for (const w of want) {
      for (const f of [
        'ifName',
        'ifDescr',
        'ifAlias',
        'ifType',
        'ifPhysAddress',
        'ifSpeed',
        'ifMtu',
        'ifInOctets',
        'ifOutBroadcastPkts',
      ]) {
        assert.equal(byIndex.get(w.ifIndex)?.[f], w[f], `ifIndex ${String(w.ifIndex)} ${f}`);
      }
    }
    assert.equal(
      table(p, 'entity-physical', 'entPhysical')?.length,
      expectedRows(name, 'entity-physical', 'entPhysical')!.length,
    );
    assert.deepEqual(
      table(p, 'ipv4-addresses', 'ipv4_addresses')
        ?.map((x) => x.ipv4_address)
        .sort(),
      expectedRows(name, 'ipv4-addresses', 'ipv4_addresses')!
        .map((x) => x.ipv4_address)
        .sort(),
    );
    assert.deepEqual(
      table(p, 'discovery-protocols', 'links')
        ?.map((x) => x.remote_port)
        .sort(),
      expectedRows(name, 'discovery-protocols', 'links')!
        .map((x) => x.remote_port)
        .sort(),
    );
    // the definition modules: the OS as LibreNMS detects it, and what processors, mempools and
    // sensors would store (as many rows as LibreNMS has, the same values; the recording has no mempools)
    assert.equal(table(p, 'os', 'devices')?.[0].os, expectedRows(name, 'os', 'devices')![0].os);
    for (const [module, tableName, value] of [
      ['processors', 'processors', 'processor_usage'],
      ['sensors', 'sensors', 'sensor_current'],
    ] as const) {
      const want = expectedRows(name, module, tableName, 'poller')!;
      const got = table(p, module, tableName) ?? [];
      assert.deepEqual(got.map((x) => Number(x[value])).sort(), want.map((x) => Number(x[value])).sort(), module);
    }
    // the poll: the same ports, counters with LibreNMS's _prev/_delta (a recording does not move: 0)
    const polled = table(p, 'ports', 'ports', 'poll')!;
    assert.equal(polled.length, want.length);
    assert.equal(polled.find((x) => x.ifIndex === 1)?.ifInOctets_delta, 0);
    // human output: one line per module
    const human = agent(sim.hosts[0], '--port', String(sim.port), '--community', name);
    assert.equal(human.code, 0, human.err);
    assert.match(human.out, /^probe of 127\.0\.0\.1:\d+ \(v2c\): up in [\d.]+ s, \d+ SNMP requests\n/);
    assert.match(human.out, /\n {2}discovery entity-physical +ok +entPhysical: 31 rows\n/);
    assert.match(human.out, /\n {2}discovery sensors +ok +sensors: 2 rows\n/);
    assert.match(human.out, /\n {2}os fs-switch, hardware /);
  },
);

test("probe over v3 (Debian's snmpd) and its errors", { timeout: 60_000 }, async () => {
  const v3 = agent(
    snmpdHost,
    '--port',
    snmpdPort,
    '--v3',
    '--authname',
    'nmsv3',
    '--authpass',
    'nmsv3authpass',
    '--cryptopass',
    'nmsv3privpass',
    '--json',
  );
  assert.equal(v3.code, 0, v3.err);
  const p = JSON.parse(v3.out) as Probe;
  assert.equal(p.status, 'up');
  assert.ok((table(p, 'ports', 'ports')?.length ?? 0) > 0);
  const wrong = agent(snmpdHost, '--port', snmpdPort, '--community', 'not-the-community', '--timeout', '0.3');
  assert.equal(wrong.code, 1);
  assert.match(wrong.out, /: down in /);
  for (const [args, message] of [
    [['--v3', '--community', 'x'], /^error: --community is for v1\/v2c/],
    [['--authname', 'u'], /^error: --authname needs --v3$/],
    [['--port', '70000'], /^error: --port must be a UDP port number/],
    [['--v3'], /^error: --v3 needs --authname/],
  ] as const) {
    const r = agent('127.0.0.1', ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err.trim(), message);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  }
});
