// The deploy's decision as golden files: {plan, facts} → the operations, for a clean host
// (nothing installed), a converged host (facts equal to the plan) and a drifted host (one
// changed file, one stopped service, one wrong mode). The expected lists in
// test/golden/deploy/*.txt are written from what a deploy of the seed example must do; each
// line is `<stage>: <title>` with the handlers it notifies or runs, or `ok <stage>: <check>`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory } from '../../cli/inventory/load.js';
import type { HostSpec, Inventory } from '../../cli/inventory/types.js';
import { nativePasswordHash, privilegeString, wantedAccounts } from '../../cli/deploy/database.js';
import { operations, type Decision, type DecideOptions } from '../../cli/deploy/decide.js';
import { emptyFacts, type Facts } from '../../cli/deploy/facts.js';
import { clearPendingCommand, writeFileCommand } from '../../cli/deploy/operations.js';
import { buildPlan, type HostPlan } from '../../cli/deploy/plan.js';
import { DEBIAN } from '../../cli/deploy/profile.js';
import { TemplateRenderer } from '../../cli/deploy/render.js';
import { servicesDigest } from '../../cli/deploy/services.js';
import { selfSignedMarker } from '../../cli/deploy/operations.js';
import { encrypt } from '../../lib/crypto.js';

const ROOT = join(import.meta.dirname, '..', '..');
const INV = join(ROOT, 'inventories', 'seed-example');
const GOLDEN = join(ROOT, 'test', 'golden', 'deploy');
const renderer = new TemplateRenderer(join(ROOT, 'templates'));

/** A host's plan as HostDeploy makes it after facts: no systemd, no Node ≥ 20 on the host. */
function planFor(inv: Inventory, host: HostSpec, nodeFile: string): HostPlan {
  return buildPlan({
    inventory: inv,
    host,
    profile: DEBIAN,
    renderer,
    systemd: false,
    existingNodeId: `node-${host.name}`,
    agentBundle: Buffer.from('// the agent bundle\n'),
    localNodePath: nodeFile,
  });
}

/** Facts of a host that is exactly what the plan says (built from the plan and the inventory). */
function convergedFacts(inv: Inventory, plan: HostPlan): Facts {
  const f = emptyFacts();
  f.os = { id: 'debian', version: '12', idLike: '' };
  f.nodeId = plan.nodeId;
  for (const p of plan.packages) f.packages[p] = true;
  f.users.nms = { group: 'nms' };
  f.groups.push('nms');
  for (const d of plan.dirs) f.files[d.path] = { mode: d.mode, owner: d.owner, group: d.group };
  for (const x of plan.files) f.files[x.path] = { sha256: x.sha256, mode: x.mode, owner: x.owner, group: x.group };
  const c = plan.selfSignedCert;
  if (c) for (const p of [c.cert, c.key, selfSignedMarker(c.cert)]) f.files[p] = { sha256: 'a'.repeat(64) };
  const names = [...plan.services.map((s) => (s.key === 'firewall' ? 'nftables' : s.name)), 'nms-agent'];
  for (const n of names) f.services[n] = { present: true, running: true, enabled: true };
  if (plan.database) f.db = dbFacts(inv);
  return f;
}

/** The MariaDB host's database as the inventory wants it: accounts, schema, devices, checks. */
function dbFacts(inv: Inventory): NonNullable<Facts['db']> {
  const accounts: Record<string, string> = {};
  const privileges: Record<string, string> = {};
  for (const a of wantedAccounts(inv)) {
    accounts[`${a.user}@${a.host}`] = nativePasswordHash(a.password);
    privileges[`${a.user}@${a.host}`] = privilegeString(a.privileges);
  }
  const enc = (v?: string) => (v ? encrypt(inv.secrets.app_key, v) : null);
  const devices = inv.devices.map((d) => {
    const s = d.snmp;
    const v3 = s.version === 'v3';
    return {
      hostname: d.hostname,
      port: String(d.port),
      transport: d.transport,
      snmpver: s.version,
      poller_group: String(d.poller_group),
      community: v3 ? null : enc(s.community),
      authlevel: v3 ? s.authlevel : null,
      authname: v3 ? s.authname : null,
      authpass: v3 ? enc(s.authpass) : null,
      authalgo: v3 ? (s.authalgo ?? null) : null,
      cryptopass: v3 ? enc(s.cryptopass) : null,
      cryptoalgo: v3 ? (s.cryptoalgo ?? null) : null,
    };
  });
  const serviceDigests: Record<string, string> = {};
  for (const d of inv.devices)
    if (d.services?.length) serviceDigests[`${d.hostname}:${d.port}`] = servicesDigest(d.services);
  return {
    reachable: true,
    databases: [inv.cluster.mariadb.database],
    accounts,
    privileges,
    tables: ['devices', 'config', 'migrations'],
    devices,
    serviceDigests,
  };
}

/** The decision as golden lines. */
function lines(d: Decision): string[] {
  const out = d.ops.map((o) => {
    const extra = [o.notifies && `[notifies ${o.notifies.join(', ')}]`, o.runs && `[runs ${o.runs}]`];
    return [`${o.stage}: ${o.title}`, ...extra.filter(Boolean)].join('  ');
  });
  return [...out, ...d.ok.map((c) => `ok ${c.stage}: ${c.name}`)];
}

function golden(name: string): string[] {
  return readFileSync(join(GOLDEN, `${name}.txt`), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
}

/** Wanted beside got, so a failure shows which line differs. */
function assertGolden(d: Decision, name: string): void {
  const got = lines(d);
  const want = golden(name);
  assert.deepEqual(got, want, `${name}: wanted beside got\n${side(want, got)}`);
}

function side(want: string[], got: string[]): string {
  const n = Math.max(want.length, got.length);
  const rows: string[] = [];
  for (let i = 0; i < n; i++) rows.push(`${want[i] === got[i] ? ' ' : '≠'} ${want[i] ?? '-'}\n    ${got[i] ?? '-'}`);
  return rows.join('\n');
}

async function setup(): Promise<{ inv: Inventory; master: HostPlan; poller: HostPlan; done: () => void }> {
  const inv = await loadInventory(INV, { checkFiles: false });
  const dir = mkdtempSync(join(tmpdir(), 'nms-ops-'));
  const nodeFile = join(dir, 'node');
  writeFileSync(nodeFile, '#!/bin/sh\n# a stand-in for the Node binary\n');
  const host = (n: string) => inv.hosts.find((h) => h.name === n)!;
  return {
    inv,
    master: planFor(inv, host('nms82'), nodeFile),
    poller: planFor(inv, host('nms83'), nodeFile),
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const run = (inv: Inventory): DecideOptions => ({ inventory: inv, prune: false, check: false, firstAdminSql: 'SQL' });
const check = (inv: Inventory): DecideOptions => ({ inventory: inv, prune: false, check: true });

test('clean host: everything is installed, written, started, enabled; the database made', async () => {
  const { inv, master, poller, done } = await setup();
  try {
    const clean = emptyFacts();
    const d = operations(master, clean, run(inv));
    assertGolden(d, 'master-clean');
    // the devices table is made by the migrations: its rows are compared after them
    assert.equal(d.devicesAfterSchema, true);
    assertGolden(operations(master, clean, check(inv)), 'master-clean-check');
    assertGolden(operations(poller, clean, run(inv)), 'poller-clean');

    // what the operations carry: each file's contents on stdin, written by the atomic write
    for (const op of d.ops.filter((o) => o.write)) {
      const f = op.write!.file;
      assert.equal(op.stdin, f.content, f.path);
      assert.equal(op.command, writeFileCommand(f, op.notifies ?? []), f.path);
      assert.equal(op.write!.exists, false);
    }
    // a restart clears its pending entry only after it succeeded
    const restart = d.ops.find((o) => o.title === 'restart redis-server')!;
    assert.ok(restart.command.endsWith(' && ' + clearPendingCommand('redis')));
    // SQL travels on stdin, never in the command
    const accounts = d.ops.find((o) => o.title.startsWith('database:'))!;
    assert.match(String(accounts.stdin), /CREATE USER IF NOT EXISTS 'nms_nms83'@'192\.0\.2\.83'/);
    assert.ok(!accounts.command.includes(inv.secrets.db_passwords.nms83));
  } finally {
    done();
  }
});

test('converged host: no operation, only the checks (the first administrator is always asked)', async () => {
  const { inv, master, poller, done } = await setup();
  try {
    const d = operations(master, convergedFacts(inv, master), check(inv));
    assertGolden(d, 'master-converged');
    assert.deepEqual(d.warnings, []);
    assert.equal(d.devicesAfterSchema, false);
    // outside --check the INSERT … WHERE NOT EXISTS runs; it counts as a change only when it inserted
    const live = operations(master, convergedFacts(inv, master), run(inv));
    assert.deepEqual(
      live.ops.map((o) => [o.title, o.changedWhenOutput]),
      [['web: administrator admin (password in secrets.yaml)', '1']],
    );
    assert.deepEqual(operations(poller, convergedFacts(inv, poller), run(inv)).ops, []);
  } finally {
    done();
  }
});

test('drifted host: exactly the ops that fix one changed file, one stopped service, one wrong mode', async () => {
  const { inv, master, done } = await setup();
  try {
    const facts = convergedFacts(inv, master);
    facts.files['/etc/redis/redis.conf'].sha256 = 'b'.repeat(64);
    facts.services.memcached.running = false;
    facts.files['/etc/nms/.env'].mode = 0o644;
    assertGolden(operations(master, facts, check(inv)), 'master-drifted');

    // a restart left over from a killed run is owed from the start; one for a service the host
    // no longer runs is forgotten at the end
    const left = convergedFacts(inv, master);
    left.pendingRestarts = ['nginx', 'rsyslog', 'not-a-handler'];
    assert.deepEqual(
      operations(master, left, check(inv)).ops.map((o) => o.title),
      ['restart nginx', 'forget pending rsyslog (not on this host any more)'],
    );

    // a file its service rewrites (createOnce) is written when missing, then left as it is
    const once = {
      ...master,
      files: master.files.map((f) => ({ ...f, createOnce: f.path === '/etc/redis/redis.conf' })),
    };
    assert.deepEqual(
      operations(once, facts, check(inv)).ops.map((o) => o.title),
      ['/etc/nms/.env: owner/mode root:nms 640', 'start memcached'],
    );
    const missing = convergedFacts(inv, once);
    delete missing.files['/etc/redis/redis.conf'];
    assert.deepEqual(
      operations(once, missing, check(inv)).ops.map((o) => o.title),
      ['create /etc/redis/redis.conf (notifies redis)', 'restart redis-server'],
    );
  } finally {
    done();
  }
});
