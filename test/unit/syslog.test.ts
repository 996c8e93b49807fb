// Syslog without services: the inventory accepts role `syslog` and cluster.syslog; the deploy
// plan gives that host rsyslog, its snippet (checked by rsyslogd -N1) and a firewall admitting
// 514 from the declared networks only (checked by nft -c); rsyslog's JSON lines become rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadInventory } from '../../cli/inventory/load.js';
import { buildPlan, type HostPlan } from '../../cli/deploy/plan.js';
import { DEBIAN } from '../../cli/deploy/profile.js';
import { TemplateRenderer } from '../../cli/deploy/render.js';
import { InventoryError } from '../../lib/errors.js';
import { parseSyslogLine } from '../../agent/syslog/record.js';

const ROOT = join(import.meta.dirname, '..', '..');
const isRoot = process.getuid?.() === 0;

/** A copy of the seed example whose master has role syslog; `edit` changes hosts.yaml's text. */
async function withSyslog(edit: (t: string) => string = (t) => t) {
  const dir = mkdtempSync(join(tmpdir(), 'nms-syslog-inv-'));
  cpSync(join(ROOT, 'inventories', 'seed-example'), dir, { recursive: true });
  const hosts = join(dir, 'hosts.yaml');
  const text = readFileSync(hosts, 'utf8')
    .replace(
      '  firewall: true\n',
      '  firewall: true\n  syslog: { networks: [198.51.100.0/24, 203.0.113.7], purge_days: 14 }\n',
    )
    .replace(
      'roles: [web, mariadb, rrdcached, redis, memcached, poller]',
      'roles: [web, mariadb, rrdcached, redis, memcached, poller, syslog]',
    );
  writeFileSync(hosts, edit(text));
  try {
    return await loadInventory(dir, { checkFiles: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function masterPlan(): Promise<HostPlan> {
  const inv = await withSyslog();
  return buildPlan({
    inventory: inv,
    host: inv.hosts[0],
    profile: DEBIAN,
    renderer: new TemplateRenderer(join(ROOT, 'templates')),
    systemd: false,
    existingNodeId: 'n',
    hostNode: '/usr/bin/node',
    agentBundle: Buffer.from('//'),
    localNodePath: process.execPath,
  });
}

const fileOf = (p: HostPlan, path: string) => p.files.find((f) => f.path === path)!.content.toString('utf8');

function check(cmd: string, args: string[], content: string): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nms-syslog-chk-'));
  try {
    writeFileSync(join(dir, 'f'), content);
    const r = spawnSync(
      cmd,
      args.map((a) => a.replace('{}', join(dir, 'f'))),
      { encoding: 'utf8', timeout: 20_000 },
    );
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test(
  'the inventory takes role syslog and its networks; a bad network is refused with its place',
  { timeout: 20_000 },
  async () => {
    const inv = await withSyslog();
    assert.ok(inv.hosts[0].roles.includes('syslog'));
    assert.deepEqual(inv.cluster.syslog, { networks: ['198.51.100.0/24', '203.0.113.7'], purgeDays: 14 });
    await assert.rejects(
      withSyslog((t) => t.replace('203.0.113.7', '203.0.113.300/33')),
      (err: unknown) => err instanceof InventoryError && /cluster\.syslog\.networks/.test(err.message),
    );
  },
);

test(
  'the syslog host gets rsyslog, a snippet rsyslogd accepts, and its agent the role',
  { timeout: 30_000 },
  async () => {
    const p = await masterPlan();
    assert.ok(p.packages.includes('rsyslog'));
    assert.ok(p.services.some((s) => s.key === 'rsyslog' && s.name === 'rsyslog'));
    const conf = fileOf(p, '/etc/rsyslog.d/60-nms.conf');
    assert.match(conf, /input\(type="imudp" port="514" ruleset="nms-devices"\)/);
    assert.match(conf, /target="127\.0\.0\.1" port="5514" protocol="tcp"/);
    const r = check('rsyslogd', ['-N1', '-f', '{}'], conf);
    assert.equal(r.status, 0, r.out);
    // Debian's rsyslog has no init script: hosts without systemd get ours
    const init = fileOf(p, '/etc/init.d/rsyslog');
    assert.equal(spawnSync('sh', ['-n'], { input: init }).status, 0);
    assert.match(init, /^# Provides: +rsyslog$/m);
    const settings = parseYaml(fileOf(p, '/etc/nms/config.yaml')) as Record<string, unknown>;
    assert.ok((settings.roles as string[]).includes('syslog'));
    assert.equal(settings.syslog_purge, 14);
  },
);

test(
  'the firewall admits 514/udp and 514/tcp from the declared networks only',
  { skip: !isRoot, timeout: 30_000 },
  async () => {
    const text = fileOf(await masterPlan(), '/etc/nftables.conf');
    assert.match(
      text,
      /meta l4proto \{ tcp, udp \} th dport 514 ip saddr \{ 198\.51\.100\.0\/24, 203\.0\.113\.7 \} accept\n\s+meta l4proto \{ tcp, udp \} th dport 514 drop/,
    );
    const r = check('nft', ['-c', '-f', '{}'], text);
    assert.equal(r.status, 0, r.out);
  },
);

test("rsyslog's JSON line becomes a syslog row: device by address, LibreNMS widths, local time", () => {
  const line = JSON.stringify({
    host: '198.51.100.9',
    facility: 'local7',
    priority: 'warning',
    level: '4',
    tag: 'LINKPROTO:',
    program: 'a-very-long-program-name-over-32-chars',
    timestamp: '2026-12-06T04:00:00+00:00',
    msg: ' link down',
  });
  const row = parseSyslogLine(line, (a) => (a === '198.51.100.9' ? 42 : null))!;
  const d = new Date('2026-12-06T04:00:00Z');
  const two = (n: number) => String(n).padStart(2, '0');
  const local = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:00:00`;
  assert.deepEqual(row, {
    device_id: 42,
    facility: 'local7',
    priority: 'warning',
    level: '4',
    tag: 'LINKPROTO',
    timestamp: local,
    program: 'a-very-long-program-name-over-32',
    msg: 'link down',
  });
  assert.equal(parseSyslogLine('{"host":"10.0.0.1","msg":"x"}', () => null)?.device_id, null);
  assert.equal(
    parseSyslogLine('not json', () => 1),
    null,
  );
  assert.equal(
    parseSyslogLine('{"msg":"no sender"}', () => 1),
    null,
  );
});
