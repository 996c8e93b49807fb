// entity-physical, ipv4-addresses, discovery-protocols and ucd-diskio on LibreNMS's recordings of
// real devices, against the rows LibreNMS stores for them (expected/*.json) or, where LibreNMS
// has none, the recording's own values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  discoveryProtocolsCollector,
  entityPhysicalCollector,
  ipv4AddressesCollector,
  portsCollector,
  ucdDiskioCollector,
  type Collector,
} from '../../agent/collectors/index.js';
import { activeDisks } from '../../agent/collectors/ucd-diskio.js';
import { collectFromRecording, expectedRows, recordingNames } from '../helpers/snmprec.js';

type Row = Record<string, unknown>;

/** Our rows of `table` for every recording LibreNMS has that module for, beside LibreNMS's. */
function pairs(
  module: string,
  table: string,
  c: Collector<unknown>,
  onlyKnownPorts: boolean,
): { name: string; got: Row[]; want: Row[] }[] {
  const out = [];
  for (const name of recordingNames()) {
    const want = expectedRows(name, module, table);
    if (!want) continue;
    let got = c.tables!(c.process(collectFromRecording(name, c)))[table] as Row[];
    if (onlyKnownPorts) {
      const ports = new Set(portsCollector.process(collectFromRecording(name, portsCollector)).map((p) => p.ifIndex));
      got = got.filter((r) => ports.has(r.ifIndex as number));
    }
    out.push({ name, got, want });
  }
  return out;
}

/** Share of the fields LibreNMS has that are equal, over rows matched by `key`. */
function fieldRate(ps: ReturnType<typeof pairs>, key: string, fields: string[]): [number, string[]] {
  let ok = 0;
  let all = 0;
  const misses: string[] = [];
  for (const { name, got, want } of ps) {
    const byKey = new Map(got.map((r) => [r[key], r]));
    for (const w of want) {
      for (const f of fields) {
        all++;
        const g = byKey.get(w[key])?.[f];
        if (g === w[f]) ok++;
        else misses.push(`${name} ${String(w[key])} ${f}: LibreNMS ${JSON.stringify(w[f])}, ours ${JSON.stringify(g)}`);
      }
    }
  }
  return [ok / all, misses];
}

function countsEqual(ps: ReturnType<typeof pairs>): [number, string[]] {
  const off = ps
    .filter((p) => p.got.length !== p.want.length)
    .map((p) => `${p.name}: ${p.got.length} rows, LibreNMS ${p.want.length}`);
  return [(ps.length - off.length) / ps.length, off];
}

test("entity-physical: entPhysical row count equals LibreNMS's on ≥ 90 % of the 20 devices that have it", () => {
  const ps = pairs('entity-physical', 'entPhysical', entityPhysicalCollector, false);
  assert.equal(ps.length, 20);
  const [rate, off] = countsEqual(ps);
  // the two misses: Cisco's cellular modem and OcNOS's inventory come from vendor MIBs
  assert.ok(rate >= 0.9, off.join('\n'));
  const [fields, misses] = fieldRate(ps, 'entPhysicalIndex', [
    'entPhysicalClass',
    'entPhysicalModelName',
    'entPhysicalSerialNum',
    'entPhysicalContainedIn',
    'entPhysicalParentRelPos',
    'entPhysicalMfgName',
    'entPhysicalHardwareRev',
    'entPhysicalIsFRU',
  ]);
  assert.ok(fields >= 0.95, misses.slice(0, 10).join('\n'));
  const fs = ps.find((p) => p.name === 'fs-switch_s3900')!.got.find((r) => r.entPhysicalIndex === 1)!;
  assert.deepEqual(
    [fs.entPhysicalClass, fs.entPhysicalName, fs.entPhysicalVendorType, fs.entPhysicalIsFRU],
    ['stack', 'stack.1', 'enterprises.52642.2.1.45.101', 'true'],
  );
});

test("ipv4-addresses: rows equal LibreNMS's on all 20 devices that have them", () => {
  const ps = pairs('ipv4-addresses', 'ipv4_addresses', ipv4AddressesCollector, true);
  assert.equal(ps.length, 20);
  const [rate, off] = countsEqual(ps);
  assert.ok(rate >= 0.9, off.join('\n'));
  const [fields, misses] = fieldRate(ps, 'ipv4_address', ['ifIndex', 'ipv4_prefixlen', 'ipv4_network', 'context_name']);
  // LibreNMS shows no network for 127.0.0.1/32 on two devices
  assert.ok(fields >= 0.98, misses.join('\n'));
});

test("discovery-protocols: LLDP neighbours equal LibreNMS's links on both devices that have them", () => {
  const ps = pairs('discovery-protocols', 'links', discoveryProtocolsCollector, true);
  assert.equal(ps.length, 2);
  assert.deepEqual(countsEqual(ps)[1], []);
  const [fields, misses] = fieldRate(ps, 'remote_port', [
    'protocol',
    'remote_hostname',
    'remote_platform',
    'remote_version',
    'active',
  ]);
  assert.equal(fields, 1, misses.join('\n'));
  // the local port, by name, as LibreNMS's rows show it
  for (const { name, got, want } of ps) {
    const ports = new Map(
      portsCollector.process(collectFromRecording(name, portsCollector)).map((p) => [p.ifIndex, p.ifName]),
    );
    const local = (rows: Row[], f: (r: Row) => unknown) =>
      rows.map((r) => `${String(f(r))} ${String(r.remote_port)}`).sort();
    assert.deepEqual(
      local(got, (r) => ports.get(r.ifIndex as number)),
      local(want, (r) => r.ifName),
      name,
    );
  }
});

test("ucd-diskio: cumulus_mellanox's diskIOTable (values read from the recording's lines)", () => {
  // LibreNMS's expected files hold no ucd-diskio rows: the recording is the reference
  const got = ucdDiskioCollector.process(collectFromRecording('cumulus_mellanox', ucdDiskioCollector));
  assert.equal(got.length, 29); // ram0-15, sda, sda1-4, loop0-7
  const byName = new Map(got.map((d) => [d.diskio_descr, d]));
  // 64-bit byte counters win over the 32-bit ones (diskIONWrittenX 383283705856)
  assert.deepEqual(byName.get('sda'), {
    diskio_index: 17,
    diskio_descr: 'sda',
    read: 481912832n,
    written: 383283705856n,
    reads: 22241n,
    writes: 45970776n,
  });
  // discovery keeps the disks with traffic: sda, sda1 (reads only), sda4 ...
  const kept = activeDisks(got).map((d) => d.diskio_descr);
  assert.ok(kept.includes('sda') && kept.includes('sda1') && kept.includes('sda4'));
  assert.ok(!kept.includes('ram0') && !kept.includes('loop0'));
});
