// Who may read the agents' /metrics: the agent's own check on real loopback sockets (127.0.0.1
// allowed, another loopback address refused until listed), the deploy's config.yaml and the
// nftables rule rendered from a copy of the seed example with `cluster.metrics_allow`, checked by
// nft itself where this machine has it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Metrics, MetricsServer } from '../../agent/daemon/metrics.js';
import { MetricsAccess } from '../../agent/daemon/metrics-access.js';
import { loadInventory } from '../../cli/inventory/load.js';
import { buildPlan } from '../../cli/deploy/plan.js';
import { DEBIAN } from '../../cli/deploy/profile.js';
import { TemplateRenderer } from '../../cli/deploy/render.js';
import { validateSettings } from '../../lib/node-config.js';

const ROOT = join(import.meta.dirname, '..', '..');
let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'nms-metrics-access-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

function get(port: number, localAddress: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', localAddress }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the agent serves loopback and listed peers, refuses others (real sockets)', async () => {
  const m = new Metrics();
  m.recordJob({ type: 'poller', group: 0, deviceId: 1, outcome: 'ok', startedAt: 0, durationMs: 5 });
  for (const [allow, from, want] of [
    [[], '127.0.0.1', 200],
    [[], '127.0.0.2', 403],
    [['127.0.0.2'], '127.0.0.2', 200],
    [['127.0.0.0/30'], '127.0.0.3', 200],
    [['127.0.0.0/31'], '127.0.0.3', 403],
  ] as const) {
    const server = new MetricsServer(m, '127.0.0.1', 0, new MetricsAccess(allow));
    const port = await server.start();
    try {
      const r = await get(port, from);
      assert.equal(r.status, want, `allow ${JSON.stringify(allow)} from ${from}`);
      if (want === 200) assert.match(r.body, /nms_agent_jobs_total/);
      else assert.doesNotMatch(r.body, /nms_agent/);
    } finally {
      await server.close();
    }
  }
  const a = new MetricsAccess(['2001:db8::/32', '192.0.2.7']);
  assert.equal(a.allows('::ffff:192.0.2.7'), true, 'IPv4-mapped form');
  assert.equal(a.allows('2001:db8::5'), true);
  assert.equal(a.allows('2001:db9::5'), false);
  assert.equal(a.allows(undefined), false);
});

test('deploy: config.yaml lists the nodes and metrics_allow; nft accepts the metrics rule', async () => {
  const inv = join(work, 'inv');
  cpSync(join(ROOT, 'inventories', 'seed-example'), inv, { recursive: true });
  const hosts = join(inv, 'hosts.yaml');
  writeFileSync(
    hosts,
    readFileSync(hosts, 'utf8').replace(
      '  firewall: true\n',
      '  firewall: true\n  metrics_allow: [203.0.113.9, 198.51.100.0/24, "2001:db8::/64"]\n',
    ),
  );
  const loaded = await loadInventory(inv, { checkFiles: false });
  const renderer = new TemplateRenderer(join(ROOT, 'templates'));
  const plans = loaded.hosts.map((host) =>
    buildPlan({
      inventory: loaded,
      host,
      profile: DEBIAN,
      renderer,
      systemd: false,
      existingNodeId: `n-${host.name}`,
      hostNode: '/usr/bin/node',
      agentBundle: Buffer.from('//'),
      localNodePath: process.execPath,
    }),
  );
  const file = (i: number, path: string) => plans[i].files.find((f) => f.path === path)!.content.toString('utf8');
  const settings = validateSettings(parseYaml(file(1, '/etc/nms/config.yaml')), 'config.yaml');
  assert.deepEqual(settings.metrics_allow, [
    ...loaded.hosts.map((h) => h.address),
    '203.0.113.9',
    '198.51.100.0/24',
    '2001:db8::/64',
  ]);
  const nft = file(0, '/etc/nftables.conf');
  assert.match(nft, /tcp dport 9273 ip saddr @metrics4 accept/);
  assert.match(nft, /elements = \{ 192\.0\.2\.82, .*203\.0\.113\.9, 198\.51\.100\.0\/24 \}/);
  assert.match(nft, /elements = \{ 2001:db8::\/64 \}/);
  assert.match(nft, /tcp dport 9273 drop/);
  if (process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v nft']).status === 0) {
    const p = join(work, 'nftables.conf');
    writeFileSync(p, nft);
    const r = spawnSync('nft', ['-c', '-f', p], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  // the inventory refuses what is not an address or network, with the field's path
  writeFileSync(hosts, readFileSync(hosts, 'utf8').replace('203.0.113.9', 'prometheus.example'));
  await assert.rejects(loadInventory(inv, { checkFiles: false }), /metrics_allow/);
});
