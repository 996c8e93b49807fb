// Redis Sentinel in the deploy plan (cluster.redis.sentinel): the inventory rule, which host gets
// the replica and the sentinels, the files deploy owns versus those it only creates, the
// firewall and the agents' env. The runtime file's clean-up is run for real with sed on a file
// Redis 7 wrote with CONFIG REWRITE (the text below is what it wrote, see docs/deploy.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory } from '../../cli/inventory/load.js';
import { buildPlan, type HostPlan } from '../../cli/deploy/plan.js';
import { DEBIAN, EL, type OsProfile } from '../../cli/deploy/profile.js';
import { TemplateRenderer } from '../../cli/deploy/render.js';
import { checkRedisConf } from '../../cli/deploy/checks.js';
import { checkRuntimeConf, REDIS_RUNTIME_CONF, SENTINEL_CONF } from '../../cli/deploy/sentinel.js';
import { InventoryError } from '../../lib/errors.js';
import { parseDotenv } from '../../lib/node-config.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TEMPLATES = join(ROOT, 'templates');

/** A copy of the lab example inventory with `hosts.yaml` edited by `edit`. */
function inventoryDir(edit: (hosts: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'nms-sentinel-inv-'));
  cpSync(join(ROOT, 'inventories', 'lab-example'), dir, { recursive: true });
  const p = join(dir, 'hosts.yaml');
  writeFileSync(p, edit(readFileSync(p, 'utf8')));
  return dir;
}

const withSentinel = (h: string) =>
  h.replace('redis: { port: 6379, db: 0 }', 'redis: { port: 6379, db: 0, sentinel: true }');

async function plans(dir: string, systemd = false, profile: OsProfile = DEBIAN, only?: string) {
  const inv = await loadInventory(dir, { checkFiles: false });
  const renderer = new TemplateRenderer(TEMPLATES);
  const out = new Map<string, HostPlan>();
  for (const host of inv.hosts.filter((h) => !only || h.name === only))
    out.set(
      host.name,
      buildPlan({
        inventory: inv,
        host,
        profile,
        renderer,
        systemd,
        existingNodeId: `node-${host.name}`,
        hostNode: '/usr/bin/node',
        agentBundle: Buffer.from('// bundle'),
        localNodePath: process.execPath,
      }),
    );
  return out;
}

const text = (p: HostPlan, path: string) => {
  const f = p.files.find((x) => x.path === path);
  assert.ok(f, `${p.host.name} has no ${path}`);
  return f.content.toString('utf8');
};

test('sentinel with one poller besides the Redis host is refused at its place', async () => {
  const dir = inventoryDir((h) => withSentinel(h).replace(/ {2}poller2:[\s\S]*$/, ''));
  try {
    await assert.rejects(loadInventory(dir, { checkFiles: false }), (err: unknown) => {
      assert.ok(err instanceof InventoryError);
      const p = err.problems.find((x) => x.message.includes('Redis Sentinel'));
      assert.ok(p, JSON.stringify(err.problems));
      assert.match(p.message, /at least 2 hosts with role poller besides the Redis host \(only poller1\)/);
      assert.equal(p.line, 6, 'the redis line of hosts.yaml');
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sentinel: replica on poller1, sentinels on master, poller1, poller2; the agents point at them', async () => {
  const dir = inventoryDir(withSentinel);
  try {
    const p = await plans(dir);
    const [master, p1, p2] = ['master', 'poller1', 'poller2'].map((n) => p.get(n)!);
    assert.deepEqual(
      [master, p1, p2].map((x) => x.services.map((s) => s.name)),
      [
        ['nftables', 'mariadb', 'redis-server', 'redis-sentinel', 'memcached', 'rrdcached', 'nginx'],
        ['nftables', 'redis-server', 'redis-sentinel'],
        ['nftables', 'redis-sentinel'],
      ],
    );
    assert.ok(p1.packages.includes('redis-server') && p1.packages.includes('redis-sentinel'));
    assert.ok(!p2.packages.includes('redis-server') && p2.packages.includes('redis-sentinel'));
    // the replica: our redis.conf bound to its own address, a runtime file naming the master
    assert.match(text(p1, '/etc/redis/redis.conf'), /^bind 198\.18\.0\.11 127\.0\.0\.1 $/m);
    assert.match(text(p1, '/etc/redis/redis.conf'), /^masterauth \S{8,}$/m);
    assert.equal(checkRedisConf(text(p1, '/etc/redis/redis.conf')), undefined);
    assert.match(text(p1, REDIS_RUNTIME_CONF), /^include \/etc\/redis\/redis\.conf\nreplicaof 198\.18\.0\.10 6379\n$/m);
    assert.doesNotMatch(text(master, REDIS_RUNTIME_CONF), /^replicaof/m);
    assert.equal(checkRuntimeConf(text(master, REDIS_RUNTIME_CONF)), undefined);
    for (const x of [master, p1, p2]) {
      const s = text(x, SENTINEL_CONF);
      assert.match(s, /^sentinel monitor nms 198\.18\.0\.10 6379 2$/m);
      assert.match(s, new RegExp(`^bind ${x.host.address.replace(/\./g, '\\.')} 127\\.0\\.0\\.1 $`, 'm'));
      assert.match(text(x, '/etc/default/redis-sentinel'), /^DAEMON_ARGS=\/etc\/redis\/nms-sentinel\.conf$/m);
      // firewall: the sentinel's port and Redis's to members only
      const nft = text(x, '/etc/nftables.conf');
      assert.match(nft, /tcp dport \{ [^}]*\b6379, [^}]*26379 \} ip saddr @members accept/);
      assert.match(nft, /tcp dport \{ [^}]*26379 \} drop/);
      const env = parseDotenv(text(x, '/etc/nms/.env'));
      assert.equal(env.REDIS_SENTINEL, '198.18.0.10:26379,198.18.0.11:26379,198.18.0.12:26379');
      assert.equal(env.REDIS_SENTINEL_SERVICE, 'nms');
    }
    // created once (Redis and Sentinel rewrite them); the files deploy owns are not
    const once = (x: HostPlan) => x.files.filter((f) => f.createOnce).map((f) => f.path);
    assert.deepEqual(once(master), [REDIS_RUNTIME_CONF, SENTINEL_CONF]);
    assert.deepEqual(once(p1), [REDIS_RUNTIME_CONF, SENTINEL_CONF]);
    assert.deepEqual(once(p2), [SENTINEL_CONF]);
    const defaults = text(p1, '/etc/default/redis-server');
    assert.match(defaults, /^DAEMON_ARGS=\/etc\/redis\/nms-redis\.conf$/m);
    assert.equal(spawnSync('sh', ['-n'], { input: defaults }).status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sentinel off: no sentinel files, empty REDIS_SENTINEL, pollers without firewall', async () => {
  const p = await plans(join(ROOT, 'inventories', 'lab-example'));
  for (const x of p.values()) {
    assert.ok(!x.files.some((f) => f.path === SENTINEL_CONF || f.path === REDIS_RUNTIME_CONF));
    assert.equal(parseDotenv(text(x, '/etc/nms/.env')).REDIS_SENTINEL, '');
    assert.doesNotMatch(text(x, '/etc/nms/.env'), /26379/);
  }
  assert.equal(p.get('poller2')!.firewall, false);
  assert.doesNotMatch(text(p.get('master')!, '/etc/redis/redis.conf'), /masterauth/);
});

test('systemd hosts get drop-ins that start Redis and Sentinel with the files they rewrite', async () => {
  const dir = inventoryDir(withSentinel);
  try {
    const p1 = (await plans(dir, true)).get('poller1')!;
    const redis = text(p1, '/etc/systemd/system/redis-server.service.d/nms.conf');
    assert.match(redis, /^ExecStart=\/usr\/bin\/redis-server \/etc\/redis\/nms-redis\.conf /m);
    const sent = text(p1, '/etc/systemd/system/redis-sentinel.service.d/nms.conf');
    assert.match(sent, /^ExecStart=\/usr\/bin\/redis-sentinel \/etc\/redis\/nms-sentinel\.conf /m);
    assert.ok(!p1.files.some((f) => f.path.startsWith('/etc/default/redis')));
    // EL: its units are redis and redis-sentinel
    const el = (await plans(dir, true, EL, 'poller1')).get('poller1')!;
    assert.match(text(el, '/etc/systemd/system/redis.service.d/nms.conf'), /^ExecStart=\/usr\/bin\/redis-server /m);
    assert.ok(el.files.some((f) => f.path === '/etc/systemd/system/redis-sentinel.service.d/nms.conf'));
    assert.deepEqual(
      el.services.map((s) => s.name),
      ['nftables', 'redis', 'redis-sentinel'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("before a start, Redis's copied settings leave the runtime file; its replicaof stays", () => {
  // an old master that Sentinel turned into a replica: Redis 7.0 rewrote the runtime file so
  const rewritten = [
    '# Written once by nms deploy',
    'include /etc/redis/redis.conf',
    '',
    '# Generated by CONFIG REWRITE',
    'requirepass "old-password"',
    'masterauth "old-password"',
    'save 3600 1',
    'replicaof 198.18.0.11 6379',
    'user default on #7ed1d038eb2639c5e2e8db794b65b22ec256227aa140008189c76e3c39191720 ~* &* +@all',
    '',
  ].join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'nms-sentinel-rt-'));
  try {
    const conf = join(dir, 'nms-redis.conf');
    writeFileSync(conf, rewritten);
    // the defaults file as rendered, sourced as the init script does (with its arguments)
    const defaults = join(dir, 'defaults');
    const tpl = readFileSync(join(TEMPLATES, 'redis', 'redis-server.default.hbs'), 'utf8');
    writeFileSync(defaults, tpl.replace(/\{\{sentinel\.runtimeConf\}\}/g, conf).replace(/\{\{[^}]*\}\}/g, 'x'));
    const r = spawnSync('sh', ['-c', `set -- start; . '${defaults}'`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const left = readFileSync(conf, 'utf8');
    assert.equal(left, '# Written once by nms deploy\ninclude /etc/redis/redis.conf\n\nreplicaof 198.18.0.11 6379\n');
    assert.equal(checkRuntimeConf(left), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
