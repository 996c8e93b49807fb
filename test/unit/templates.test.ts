// Renders every template for every host of the seed example inventory and checks each file with
// the service's own checker where this machine has it (nginx -t, nft -c, mariadbd, sh -n) and
// with our parsers otherwise. Also: an invalid template is caught by nginx with its own message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadInventory } from '../../cli/inventory/load.js';
import type { Inventory } from '../../cli/inventory/types.js';
import { buildPlan, type HostPlan } from '../../cli/deploy/plan.js';
import { DEBIAN, EL } from '../../cli/deploy/profile.js';
import { TemplateRenderer } from '../../cli/deploy/render.js';
import { parseDotenv, validateEnv, validateSettings } from '../../lib/node-config.js';
import { checkMemcachedConf, checkRedisConf, checkRrdcachedDefaults } from '../../cli/deploy/checks.js';

const INV = join(import.meta.dirname, '..', '..', 'inventories', 'seed-example');
const TEMPLATES = join(import.meta.dirname, '..', '..', 'templates');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const isRoot = process.getuid?.() === 0;

async function plans(
  templatesDir = TEMPLATES,
  systemd = false,
  edit: (inv: Inventory) => void = () => {},
): Promise<HostPlan[]> {
  const inv = await loadInventory(INV, { checkFiles: false });
  edit(inv);
  const renderer = new TemplateRenderer(templatesDir);
  return inv.hosts.map((host) =>
    buildPlan({
      inventory: inv,
      host,
      profile: DEBIAN,
      renderer,
      systemd,
      existingNodeId: `node-${host.name}`,
      hostNode: '/usr/bin/node',
      agentBundle: Buffer.from('// bundle'),
      localNodePath: process.execPath,
    }),
  );
}

function fileOf(plan: HostPlan, path: string): string {
  const f = plan.files.find((x) => x.path === path);
  assert.ok(f, `${plan.host.name} has no ${path}`);
  return f.content.toString('utf8');
}

/** Runs a remoteCheck locally on a temp copy; returns [exit status, output]. */
function runCheck(check: string, content: string, name: string): [number, string] {
  const dir = mkdtempSync(join(tmpdir(), 'nms-tpl-'));
  try {
    const p = join(dir, name);
    writeFileSync(p, content);
    const r = spawnSync('sh', ['-c', check.replace(/\{\}/g, p)], { encoding: 'utf8', timeout: 20_000 });
    return [r.status ?? -1, (r.stdout ?? '') + (r.stderr ?? '')];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** nginx.conf with the certificate paths pointed at a throwaway self-signed pair. */
function withTempCert(conf: string, dir: string): string {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=t',
      '-keyout',
      join(dir, 'k'),
      '-out',
      join(dir, 'c'),
    ],
    { stdio: 'ignore', timeout: 20_000 },
  );
  return conf.replace('/etc/nms/tls/nms.crt', join(dir, 'c')).replace('/etc/nms/tls/nms.key', join(dir, 'k'));
}

test(
  'every host gets .env and config.yaml that the agent accepts; APP_KEY identical, NODE_ID kept',
  { timeout: 20_000 },
  async () => {
    const ps = await plans();
    const keys = new Set<string>();
    for (const p of ps) {
      const env = validateEnv(parseDotenv(fileOf(p, '/etc/nms/.env')), '.env');
      keys.add(env.APP_KEY);
      assert.equal(env.NODE_ID, `node-${p.host.name}`);
      assert.equal(env.DB_USERNAME, `nms_${p.host.name}`);
      const s = validateSettings(parseYaml(fileOf(p, '/etc/nms/config.yaml')), 'config.yaml');
      assert.equal(s.distributed_poller_name, p.host.name);
      assert.deepEqual(s.distributed_poller_group, p.host.agent.distributed_poller_group);
      assert.equal(s.service_poller_workers, p.host.agent.service_poller_workers);
      for (const f of p.files)
        assert.equal(f.localCheck?.(f.content.toString()), undefined, `${f.path} fails its local check`);
    }
    assert.equal(keys.size, 1);
    const master = ps[0];
    assert.ok(validateSettings(parseYaml(fileOf(master, '/etc/nms/config.yaml')), 'c').roles.includes('api'));
    assert.match(fileOf(master, '/etc/nms/config.yaml'), /rrdcached: "unix:\/var\/run\/rrdcached.sock"/);
    assert.match(fileOf(ps[1], '/etc/nms/config.yaml'), /rrdcached: "192\.0\.2\.82:42217"/);
  },
);

test('master files exist only on the master; pollers need no packages', { timeout: 20_000 }, async () => {
  const [master, ...pollers] = await plans();
  assert.deepEqual(
    master.services.map((s) => s.key),
    ['firewall', 'mariadb', 'redis', 'memcached', 'rrdcached', 'nginx'],
  );
  assert.ok(master.packages.includes('mariadb-server') && master.packages.includes('nftables'));
  for (const p of pollers) {
    assert.deepEqual(p.packages, []);
    assert.deepEqual(p.services, []);
    assert.ok(!p.files.some((f) => f.path.startsWith('/etc/nginx') || f.path.startsWith('/etc/redis')));
  }
});

test(
  'nginx.conf passes nginx -t and carries the TLS settings',
  { skip: !has('nginx') || !isRoot, timeout: 30_000 },
  async () => {
    const [master] = await plans();
    const conf = fileOf(master, '/etc/nginx/nginx.conf');
    assert.match(conf, /ssl_protocols TLSv1\.2 TLSv1\.3;/);
    assert.match(conf, /return 301 https:\/\/\$host\$request_uri;/);
    assert.match(conf, /Strict-Transport-Security/);
    assert.match(conf, /X-Content-Type-Options/);
    assert.match(conf, /gzip on;/);
    assert.match(conf, /location \/api\/v0 \{\s+proxy_pass http:\/\/127\.0\.0\.1:8070;/);
    const dir = mkdtempSync(join(tmpdir(), 'nms-cert-'));
    try {
      const [code, out] = runCheck('nginx -q -t -c {}', withTempCert(conf, dir), 'nginx.conf');
      assert.equal(code, 0, out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'an nginx syntax error is caught by nginx itself, with its message',
  { skip: !has('nginx') || !isRoot, timeout: 30_000 },
  async () => {
    const copy = mkdtempSync(join(tmpdir(), 'nms-badtpl-'));
    try {
      cpSync(TEMPLATES, copy, { recursive: true });
      const f = join(copy, 'nginx', 'nginx.conf.hbs');
      writeFileSync(f, readFileSync(f, 'utf8').replace('gzip on;', 'gzip on'));
      const [master] = await plans(copy);
      const [code, out] = runCheck(
        'nginx -q -t -c {}',
        withTempCert(fileOf(master, '/etc/nginx/nginx.conf'), copy),
        'nginx.conf',
      );
      assert.notEqual(code, 0);
      assert.match(out, /\[emerg\].*"gzip" directive/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  },
);

test(
  'nftables ruleset passes nft -c and limits the service ports to members',
  { skip: !has('nft') || !isRoot, timeout: 30_000 },
  async () => {
    const [master] = await plans();
    const text = fileOf(master, '/etc/nftables.conf');
    assert.match(text, /elements = \{ 192\.0\.2\.82, 192\.0\.2\.83, 192\.0\.2\.84 \}/);
    assert.match(text, /tcp dport \{ 3306, 6379, 11211, 42217 \} ip saddr @members accept/);
    assert.match(text, /tcp dport \{ 80, 443 \} accept/, 'the web UI is open to its users');
    assert.match(text, /tcp dport 22 accept/);
    const [code, out] = runCheck('nft -c -f {}', text, 'nftables.conf');
    assert.equal(code, 0, out);
    const [bad] = runCheck('nft -c -f {}', text.replace('ip saddr', 'ip saddrr'), 'nftables.conf');
    assert.notEqual(bad, 0);
  },
);

test(
  'MariaDB snippet passes mariadbd option parsing; a bad option does not',
  { skip: !has('mariadbd'), timeout: 60_000 },
  async () => {
    const [master] = await plans();
    const text = fileOf(master, '/etc/mysql/mariadb.conf.d/90-nms.cnf');
    assert.match(text, /bind-address = 192\.0\.2\.82/);
    const check = master.files.find((f) => f.path.endsWith('90-nms.cnf'))!.remoteCheck!;
    assert.equal(runCheck(check, text, 'my.cnf')[0], 0);
    assert.notEqual(runCheck(check, text + 'no-such-option = 1\n', 'my.cnf')[0], 0);
  },
);

test('MariaDB buffer pool: 1024 MiB unless the inventory sets cluster.mariadb.buffer_pool_mb', async () => {
  const path = '/etc/mysql/mariadb.conf.d/90-nms.cnf';
  const [master] = await plans();
  assert.match(fileOf(master, path), /^innodb_buffer_pool_size = 1024M$/m);
  const [sized] = await plans(TEMPLATES, false, (inv) => {
    inv.cluster.mariadb.bufferPoolMb = 3072;
  });
  assert.match(fileOf(sized, path), /^innodb_buffer_pool_size = 3072M$/m);
});

test(
  'redis, memcached and rrdcached files pass our parsers, which reject broken ones',
  { timeout: 20_000 },
  async () => {
    const [master] = await plans();
    const redis = fileOf(master, '/etc/redis/redis.conf');
    assert.match(redis, /^requirepass \S{8,}$/m);
    assert.match(redis, /^maxmemory-policy noeviction$/m);
    assert.match(redis, /^protected-mode yes$/m);
    assert.equal(checkRedisConf(redis), undefined);
    assert.match(checkRedisConf(redis.replace(/^requirepass .*$/m, '')) ?? '', /requirepass/);
    assert.match(checkRedisConf(redis + 'bindd 1.2.3.4\n') ?? '', /unknown directive "bindd"/);
    const mc = fileOf(master, '/etc/memcached.conf');
    assert.equal(checkMemcachedConf(mc), undefined);
    assert.match(checkMemcachedConf(mc.replace('-m 64', '-m lots')) ?? '', /-m/);
    const rrd = fileOf(master, '/etc/default/rrdcached');
    assert.equal(checkRrdcachedDefaults(rrd), undefined);
    assert.match(rrd, /BASE_OPTIONS="-B -F -R"/);
    assert.match(rrd, /JOURNAL_PATH=/);
    // with the journal, write-back every 30 to 60 min (LibreNMS's advice); without it, 5 to 6 min
    assert.match(rrd, /^WRITE_TIMEOUT=1800\nWRITE_JITTER=1800$/m);
    const [bare] = await plans(TEMPLATES, false, (inv) => {
      inv.cluster.rrdcached.journal = false;
    });
    const rrdBare = fileOf(bare, '/etc/default/rrdcached');
    assert.doesNotMatch(rrdBare, /JOURNAL_PATH=/);
    assert.match(rrdBare, /^WRITE_TIMEOUT=300\nWRITE_JITTER=60$/m);
    assert.equal(checkRrdcachedDefaults(rrdBare), undefined);
    assert.match(checkRrdcachedDefaults(rrd.replace('-B -F -R', '-B -F')) ?? '', /-R/);
    assert.match(checkRrdcachedDefaults(rrd + 'X=$(reboot)\n') ?? '', /plain assignment/);
    assert.equal(spawnSync('sh', ['-n'], { input: rrd }).status, 0);
  },
);

test('init script and wrapper are valid sh; the systemd unit is hardened', { timeout: 20_000 }, async () => {
  const [poller] = (await plans()).slice(1);
  for (const path of ['/etc/init.d/nms-agent', '/usr/local/bin/nms-agent'])
    assert.equal(spawnSync('sh', ['-n'], { input: fileOf(poller, path) }).status, 0, path);
  assert.match(fileOf(poller, '/etc/init.d/nms-agent'), /--chuid nms:nms/);
  const [, sd] = (await plans(TEMPLATES, true)).slice(0, 2);
  const unit = fileOf(sd, '/etc/systemd/system/nms-agent.service');
  for (const k of ['User=nms', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'PrivateTmp=yes'])
    assert.ok(unit.includes(k), k);
  for (const k of [
    'Type=notify',
    'NotifyAccess=all',
    'WatchdogSec=30',
    'Restart=always',
    'RestartSec=1',
    'StartLimitIntervalSec=0',
  ])
    assert.match(unit, new RegExp(`^${k}$`, 'm'), k);
  assert.ok(!sd.files.some((f) => f.path === '/etc/init.d/nms-agent'));
  if (existsSync('/usr/bin/systemd-analyze')) assert.ok(unit.includes('[Install]'));
});

test('a host without Node ≥ 20 gets ours at /opt/nms/node; EL hosts get EL paths', { timeout: 20_000 }, async () => {
  const inv = await loadInventory(INV, { checkFiles: false });
  const renderer = new TemplateRenderer(TEMPLATES);
  const poller = inv.hosts[1];
  const p = buildPlan({
    inventory: inv,
    host: poller,
    profile: DEBIAN,
    renderer,
    systemd: false,
    agentBundle: Buffer.from('b'),
    localNodePath: process.execPath,
  });
  const node = p.files.find((f) => f.path === '/opt/nms/node');
  assert.ok(node && node.mode === 0o755 && node.binary && node.notify?.includes('agent'));
  assert.equal(node.content.length, readFileSync(process.execPath).length);
  assert.match(fileOf(p, '/usr/local/bin/nms-agent'), /^exec \/opt\/nms\/node \/opt\/nms\/nms-agent\.mjs "\$@"$/m);
  const el = buildPlan({
    inventory: inv,
    host: poller,
    profile: EL,
    renderer,
    systemd: true,
    hostNode: '/usr/bin/node',
    agentBundle: Buffer.from('b'),
    localNodePath: process.execPath,
  });
  assert.ok(el.files.some((f) => f.path === '/etc/systemd/system/nms-agent.service'));
  // the master on EL: its rrdcached is refused with a clear message, the rest has EL paths
  assert.throws(
    () =>
      buildPlan({
        inventory: inv,
        host: inv.hosts[0],
        profile: EL,
        renderer,
        systemd: true,
        hostNode: '/usr/bin/node',
        agentBundle: Buffer.from('b'),
        localNodePath: process.execPath,
      }),
    /rrdcached on an EL host is not supported yet/,
  );
  const noRrd = { ...inv, services: { ...inv.services, rrdcached: inv.hosts[1] } };
  const m = buildPlan({
    inventory: noRrd,
    host: inv.hosts[0],
    profile: EL,
    renderer,
    systemd: true,
    hostNode: '/usr/bin/node',
    agentBundle: Buffer.from('b'),
    localNodePath: process.execPath,
  });
  assert.ok(m.files.some((f) => f.path === '/etc/my.cnf.d/90-nms.cnf'));
  assert.match(fileOf(m, '/etc/sysconfig/memcached'), /^CACHESIZE="64"$/m);
  assert.equal(spawnSync('sh', ['-n'], { input: fileOf(m, '/etc/sysconfig/memcached') }).status, 0);
  assert.deepEqual(
    m.packages.sort(),
    [
      'curl',
      'mariadb',
      'mariadb-server',
      'memcached',
      'nftables',
      'nginx',
      'openssl',
      'redis',
      ...EL.packages.availability,
    ].sort(),
  );
  assert.match(fileOf(m, '/etc/nginx/nginx.conf'), /^user nginx;$/m);
});

test(
  'a certificate given in the inventory is pushed (key 0600, secret in --diff); no self-signed one',
  { timeout: 20_000 },
  async () => {
    const inv = await loadInventory(INV, { checkFiles: false });
    const dir = mkdtempSync(join(tmpdir(), 'nms-tls-'));
    try {
      writeFileSync(join(dir, 'c.pem'), 'CERT\n');
      writeFileSync(join(dir, 'k.pem'), 'KEY\n');
      const withTls = {
        ...inv,
        cluster: { ...inv.cluster, tls: { certPath: join(dir, 'c.pem'), keyPath: join(dir, 'k.pem') } },
      };
      const p = buildPlan({
        inventory: withTls,
        host: inv.hosts[0],
        profile: DEBIAN,
        renderer: new TemplateRenderer(TEMPLATES),
        systemd: false,
        hostNode: '/usr/bin/node',
        agentBundle: Buffer.from('b'),
        localNodePath: process.execPath,
      });
      assert.equal(p.selfSignedCert, undefined);
      const key = p.files.find((f) => f.path === '/etc/nms/tls/nms.key')!;
      assert.ok(key.secret && key.mode === 0o600 && key.notify?.includes('nginx'));
      assert.equal(p.files.find((f) => f.path === '/etc/nms/tls/nms.crt')!.content.toString(), 'CERT\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
