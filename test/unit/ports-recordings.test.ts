// The ports collector on LibreNMS's recordings of real devices (../shared/librenms-testdata),
// field by field against the rows LibreNMS stores after polling the same devices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { portsCollector, systemCollector } from '../../agent/collectors/index.js';
import type { PortRecord } from '../../agent/collectors/types.js';
import { collectFromRecording, expectedRows, recordingNames } from '../helpers/snmprec.js';

const NAMES = [
  'ifName',
  'ifDescr',
  'ifAlias',
  'ifType',
  'ifSpeed',
  'ifOperStatus',
  'ifAdminStatus',
  'ifMtu',
  'ifPhysAddress',
] as const;
const COUNTERS = [
  'ifInOctets',
  'ifOutOctets',
  'ifInUcastPkts',
  'ifOutUcastPkts',
  'ifInBroadcastPkts',
  'ifOutBroadcastPkts',
  'ifInMulticastPkts',
  'ifOutMulticastPkts',
  'ifInNUcastPkts',
  'ifOutNUcastPkts',
  'ifInErrors',
  'ifOutErrors',
  'ifInDiscards',
  'ifOutDiscards',
  'ifInUnknownProtos',
] as const;
/**
 * Floors per field over all compared ports. ifName and ifAlias miss on two devices whose names
 * LibreNMS takes from vendor MIBs (zynos_ges1316's ZYXEL port names, moxa's port names).
 */
const FLOOR: Record<string, number> = { ifName: 0.97, ifAlias: 0.99 };

function compare(): { rate: Map<string, [number, number]>; misses: string[] } {
  const rate = new Map<string, [number, number]>();
  const misses: string[] = [];
  for (const name of recordingNames()) {
    const want = expectedRows(name, 'ports', 'ports', 'poller');
    if (!want) continue;
    const got = new Map(portsCollector.process(collectFromRecording(name, portsCollector)).map((p) => [p.ifIndex, p]));
    for (const w of want) {
      const g = got.get(Number(w.ifIndex));
      for (const f of [...NAMES, ...COUNTERS]) {
        const r = rate.get(f) ?? [0, 0];
        rate.set(f, r);
        r[1]++;
        const counter = f as keyof PortRecord['counters'];
        const v = g === undefined ? 'no such port' : f in g ? g[f as keyof PortRecord] : g.counters[counter];
        if ((typeof v === 'bigint' ? Number(v) : v) === w[f]) r[0]++;
        else misses.push(`${name} ifIndex ${w.ifIndex} ${f}: LibreNMS ${JSON.stringify(w[f])}, ours ${String(v)}`);
      }
    }
  }
  return { rate, misses };
}

test("ports of 29 recorded devices: every compared field equals LibreNMS's on ≥ 99 % of ports", () => {
  const { rate, misses } = compare();
  assert.ok((rate.get('ifDescr')?.[1] ?? 0) > 700, 'the recordings hold more than 700 ports to compare');
  for (const [f, [ok, all]] of rate) {
    assert.ok(
      ok / all >= (FLOOR[f] ?? 0.99),
      `${f}: ${ok}/${all} equal\n${misses
        .filter((m) => m.includes(` ${f}:`))
        .slice(0, 10)
        .join('\n')}`,
    );
  }
});

test('ifType names, MAC addresses, speeds and names as LibreNMS stores them', () => {
  const ports = (n: string) =>
    new Map(portsCollector.process(collectFromRecording(n, portsCollector)).map((p) => [p.ifIndex, p]));
  // IANAifType-MIB names beyond the common few
  assert.equal(ports('dlink_dgs-3120-24tc').get(1)?.ifType, 'gigabitEthernet');
  assert.equal(ports('ciscosb_c1200').get(8000)?.ifType, 'propPointToPointSerial');
  const fs = ports('fs-switch_s3900');
  assert.equal(fs.get(1)?.ifPhysAddress, '649d99119229');
  // an empty ifAlias is ifDescr
  assert.equal(fs.get(2)?.ifAlias, 'Ethernet Port on unit 1, port 2');
  // without ifXTable ifName is ifDescr (APC's card)
  assert.equal(ports('apc_ap8959eu3').get(1)?.ifName, 'LOOPBACK');
  // ifHighSpeed of 4294901759 is no speed (FortiGate); an ifSpeed of 0 stays 0 (JetStream)
  assert.equal(ports('fortigate').get(3)?.ifSpeed, null);
  assert.equal(ports('fortigate').get(3)?.ifHighSpeed, null); // would not fit the INT column
  assert.equal(ports('fortigate').get(19)?.ifSpeed, 10_000_000_000);
  assert.equal(ports('jetstream').get(49154)?.ifSpeed, 0);
});

test("sysDescr equals LibreNMS's on all 55 recordings (no surrounding double quotes)", () => {
  let compared = 0;
  for (const name of recordingNames()) {
    const want = expectedRows(name, 'os', 'devices')?.[0]?.sysDescr;
    const got = systemCollector.process(collectFromRecording(name, systemCollector)).sysDescr;
    assert.equal(got, want, name);
    compared++;
  }
  assert.equal(compared, 55);
});
