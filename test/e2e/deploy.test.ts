// `nms deploy` in the lab: real sshd, real services, checked with each service's own client
// from inside the lab hosts. Runs on a copy of inventories/lab so settings can be changed
// without touching the lab's own files. Steps run in order and share the lab.
import { test, before } from 'node:test';
import { existsSync as labInvExists } from 'node:fs';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO, NMS, inHost, labStatus, nms, ensureLab, type Ran } from './helpers/lab.js';

const MASTER = '198.18.0.10';
const LAB_INV = join(REPO, 'inventories', 'lab');
const work = mkdtempSync(join(tmpdir(), 'nms-deploy-e2e-'));
const INV = join(work, 'inv');
let secrets: string[] = [];
let pw: { redis: string; db: Record<string, string> };
const allOutput: string[] = [];

interface HostJson {
  host: string;
  status: string;
  ok: number;
  changed: number;
  changes: string[];
  diffs: string[];
  error?: string;
}
interface ResultJson {
  hosts: HostJson[];
  exit_code: number;
  duration_ms: number;
}

// The bundle is copied once: others rebuilding dist/ during the run must not look like a change.
// NMS_E2E_AGENT_BUNDLE deploys another one (to test the engine while the agent is broken).
const BUNDLE = join(work, 'nms-agent.mjs');
cpSync(process.env.NMS_E2E_AGENT_BUNDLE ?? join(REPO, 'dist', 'nms-agent.mjs'), BUNDLE);
const BUNDLE_ARGS = ['--agent-bundle', BUNDLE];

async function deploy(...args: string[]): Promise<Ran & { json?: ResultJson }> {
  const r = await nms(['deploy', '-i', INV, ...BUNDLE_ARGS, ...args], 600_000);
  allOutput.push(r.stdout, r.stderr);
  let json: ResultJson | undefined;
  if (args.includes('--json')) json = JSON.parse(r.stdout) as ResultJson;
  return { ...r, json };
}

function setSetting(from: RegExp, to: string): void {
  const f = join(INV, 'hosts.yaml');
  const text = readFileSync(f, 'utf8');
  assert.match(text, from, 'hosts.yaml does not have the expected setting');
  writeFileSync(f, text.replace(from, to));
}

async function stamps(host: string, paths: string[]): Promise<string> {
  return (await inHost(host, `stat -c '%n %Y %s' ${paths.join(' ')} 2>&1`)).stdout;
}

// Two devices of our own (an address nothing answers on) after the lab's: the lab's database is
// shared with other tests, so --prune must not remove the devices the lab's inventory has.
const OWN =
  '  - { hostname: 198.18.0.201, port: 16100, poller_group: 0, snmp: { version: v2c, community: public } }\n' +
  '  - { hostname: 198.18.0.201, port: 16109, poller_group: 1, snmp: { version: v3, authlevel: authPriv, ' +
  'authname: nmsv3, authpass: nmsv3authpass, authalgo: SHA, cryptopass: nmsv3privpass, cryptoalgo: AES } }\n';
let DEVICES = '';

/** Device changes of the master (other engineers' tests may stop services in the shared lab meanwhile). */
function deviceChangesOf(r: { json?: ResultJson }): string[] {
  return r.json!.hosts.find((h) => h.host === 'master')!.changes.filter((c) => c.startsWith('devices:'));
}

async function deviceRows(): Promise<string[]> {
  const r = await inHost(
    'master',
    "mysql -N -B -e \"SELECT CONCAT_WS(' ', hostname, port, snmpver, poller_group, LEFT(IFNULL(community, '-'), " +
      "3), LEFT(IFNULL(authpass, '-'), 3)) FROM nms.devices WHERE hostname = '198.18.0.201' ORDER BY port\"",
  );
  return r.stdout.split('\n').filter(Boolean);
}

const MASTER_FILES = [
  '/etc/nginx/nginx.conf',
  '/etc/redis/redis.conf',
  '/etc/memcached.conf',
  '/etc/default/rrdcached',
  '/etc/mysql/mariadb.conf.d/90-nms.cnf',
  '/etc/nftables.conf',
  '/etc/nms/.env',
  '/etc/nms/config.yaml',
  '/opt/nms/nms-agent.mjs',
  '/etc/init.d/nms-agent',
  '/etc/nms/tls/nms.crt',
];
const NODE_FILES = [
  '/etc/nms/.env',
  '/etc/nms/config.yaml',
  '/opt/nms/nms-agent.mjs',
  '/etc/init.d/nms-agent',
  '/usr/local/bin/nms-agent',
];

before(async () => {
  const st = await labStatus().catch(() => undefined);
  if (
    !st?.up ||
    st.hosts.filter((h) => h.name.startsWith('poller')).length < 2 ||
    !labInvExists(join(LAB_INV, 'hosts.yaml'))
  )
    await ensureLab(2, 10);
  cpSync(LAB_INV, INV, { recursive: true });
  chmodSync(join(INV, 'secrets.yaml'), 0o600);
  chmodSync(join(INV, 'devices.yaml'), 0o600); // it holds communities
  const labDevices =
    (parseYaml(readFileSync(join(LAB_INV, 'devices.yaml'), 'utf8')) as { devices?: unknown[] } | null)?.devices ?? [];
  DEVICES = 'devices:\n' + labDevices.map((d) => `  - ${JSON.stringify(d)}\n`).join('') + OWN;
  writeFileSync(join(INV, 'devices.yaml'), DEVICES);
  const s = parseYaml(readFileSync(join(INV, 'secrets.yaml'), 'utf8')) as {
    app_key: string;
    redis_password: string;
    api_token: string;
    db_passwords: Record<string, string>;
  };
  pw = { redis: s.redis_password, db: s.db_passwords };
  secrets = [s.app_key.replace(/^base64:/, ''), s.redis_password, s.api_token, ...Object.values(s.db_passwords)];
});

test(
  'first deploy brings every service up; no secret in any process command line meanwhile',
  { timeout: 900_000 },
  async () => {
    // drift that makes this run send secrets: a wrong password in .env and redis.conf, a missing account
    await inHost(
      'poller1',
      "[ -f /etc/nms/.env ] && sed -i 's/^REDIS_PASSWORD=.*/REDIS_PASSWORD=wrongwrong/' /etc/nms/.env; true",
    );
    await inHost(
      'master',
      "[ -f /etc/redis/redis.conf ] && sed -i 's/^requirepass .*/requirepass wrongwrong/' " +
        "/etc/redis/redis.conf; mysql -e \"DROP USER IF EXISTS 'nms_poller2'@'198.18.0.12'\" 2>/dev/null; true",
    );
    // sample /proc/*/cmdline on every host while the deploy runs
    const sampler =
      "end=$(($(date +%s)+40)); while [ $(date +%s) -lt $end ]; do for f in /proc/[0-9]*/cmdline; do tr '\\0' ' " +
      ("' < $f 2>/dev/null; echo; done >> /tmp/nms-cmdlines; [ -f /tmp/nms-sampler-stop ] && break; sleep 0.05; " +
        'done; ' +
        'sort -u /tmp/nms-cmdlines; rm -f /tmp/nms-cmdlines /tmp/nms-sampler-stop');
    const samples = ['master', 'poller1', 'poller2'].map((h) => inHost(h, sampler, 120_000));
    const r = await deploy();
    await Promise.all(['master', 'poller1', 'poller2'].map((h) => inHost(h, 'touch /tmp/nms-sampler-stop')));
    const seen = (await Promise.all(samples)).map((s) => s.stdout).join('\n');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(seen.split('\n').length > 20, 'the sampler saw no processes');
    for (const s of secrets) assert.ok(!seen.includes(s), 'a secret appeared in a process command line');

    const p1 = await inHost(
      'poller1',
      [
        `REDISCLI_AUTH=${pw.redis} redis-cli -h ${MASTER} ping`,
        `MYSQL_PWD=${pw.db.poller1} mysql -h ${MASTER} -u nms_poller1 -N -e 'SELECT CURRENT_USER()' nms`,
        `printf 'stats\\r\\nquit\\r\\n' | timeout 5 bash -c 'exec 3<>/dev/tcp/${MASTER}/11211; cat >&3; cat ` +
          `<&3' | grep -c '^STAT '`,
        `rrdtool create --daemon ${MASTER}:42217 e2e-deploy.rrd --step 300 DS:x:GAUGE:600:U:U ` +
          (`RRA:AVERAGE:0.5:1:10 && rrdtool update --daemon ${MASTER}:42217 e2e-deploy.rrd $(date +%s):5 && ` +
            `rrdtool fetch ` +
            `--daemon ${MASTER}:42217 e2e-deploy.rrd AVERAGE -s -600 >/dev/null && echo rrd-ok`),
        `curl -sk -o /dev/null -D - https://${MASTER}/ | tr -d '\\r' | grep -i '^strict-transport-security'`,
        `curl -s -o /dev/null -w '%{http_code}\\n' http://${MASTER}/`,
        `curl -sk --tlsv1.3 -o /dev/null -w '%{ssl_verify_result} tls13\\n' https://${MASTER}/ || echo tls13-refused`,
        `curl -sk --tlsv1.0 --tls-max 1.1 -o /dev/null https://${MASTER}/ && echo tls11-accepted || echo tls11-refused`,
      ].join('; '),
    );
    const lines = p1.stdout.split('\n');
    assert.equal(lines[0], 'PONG', p1.stdout + p1.stderr);
    assert.equal(lines[1], `nms_poller1@198.18.0.11`);
    assert.ok(Number(lines[2]) > 10, 'memcached stats');
    assert.equal(lines[3], 'rrd-ok', p1.stderr);
    assert.match(lines[4], /max-age=/);
    assert.equal(lines[5], '301');
    assert.match(lines[6], /tls13$/);
    assert.equal(lines[7], 'tls11-refused');
    // Redis refuses without the password; MariaDB refuses poller1's account from poller2
    assert.match((await inHost('poller1', `redis-cli -h ${MASTER} get x`)).stdout, /NOAUTH/);
    const cross = await inHost(
      'poller2',
      `MYSQL_PWD=${pw.db.poller1} mysql -h ${MASTER} -u nms_poller1 -N -e 'SELECT 1' nms`,
    );
    assert.notEqual(cross.code, 0);
    assert.match(cross.stdout + cross.stderr, /Access denied/);
    const p2 = await inHost(
      'poller2',
      `MYSQL_PWD=${pw.db.poller2} mysql -h ${MASTER} -u nms_poller2 -N -e 'SELECT CURRENT_USER()' nms`,
    );
    assert.equal(p2.stdout.trim(), 'nms_poller2@198.18.0.12', p2.stderr);
  },
);

const nodeIds: Record<string, string> = {};

test(
  'second run: 0 changed everywhere, no mtime changes; APP_KEY same on every node',
  { timeout: 300_000 },
  async (t) => {
    const before = { master: await stamps('master', MASTER_FILES), poller1: await stamps('poller1', NODE_FILES) };
    const t0 = Date.now();
    const r = await deploy('--json');
    const wall = Date.now() - t0;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const h of r.json!.hosts) assert.equal(h.changed, 0, `${h.host} changed: ${h.changes.join('; ')}`);
    assert.equal(await stamps('master', MASTER_FILES), before.master);
    assert.equal(await stamps('poller1', NODE_FILES), before.poller1);
    const one = await deploy('--limit', 'poller1', '--json');
    assert.deepEqual(
      one.json!.hosts.map((h) => [h.host, h.changed]),
      [['poller1', 0]],
    );
    t.diagnostic(`no-change deploy: ${r.json!.duration_ms} ms inside nms, ${wall} ms wall (budget 1500)`);
    const keys = new Set<string>();
    for (const h of ['master', 'poller1', 'poller2']) {
      const env = (await inHost(h, 'cat /etc/nms/.env')).stdout;
      keys.add(/^APP_KEY=(.*)$/m.exec(env)?.[1] ?? '');
      nodeIds[h] = /^NODE_ID=(.*)$/m.exec(env)?.[1] ?? '';
      assert.ok(nodeIds[h].length > 8, `${h} has a NODE_ID`);
    }
    assert.equal(keys.size, 1);
  },
);

test(
  'devices: written with encrypted credentials, updated, kept when removed, deleted with --prune',
  { timeout: 300_000 },
  async () => {
    assert.deepEqual(await deviceRows(), ['198.18.0.201 16100 v2c 0 v1: -', '198.18.0.201 16109 v3 1 - v1:']);
    const devFile = join(INV, 'devices.yaml');
    writeFileSync(devFile, DEVICES.replace(OWN, OWN.replace('poller_group: 1,', 'poller_group: 0,')));
    const upd = await deploy('--json');
    assert.deepEqual(deviceChangesOf(upd), ['devices: update 1']);
    assert.deepEqual(await deviceRows(), ['198.18.0.201 16100 v2c 0 v1: -', '198.18.0.201 16109 v3 0 - v1:']);
    writeFileSync(devFile, DEVICES.replace(OWN, OWN.split('\n')[0] + '\n'));
    const kept = await deploy('--json');
    assert.deepEqual(deviceChangesOf(kept), []);
    assert.match(JSON.stringify(kept.json), /not in the inventory/);
    assert.equal((await deviceRows()).length, 2);
    const pruned = await deploy('--prune', '--json');
    // at least ours; more when other tests left devices the lab's inventory does not have
    assert.match(deviceChangesOf(pruned).join(), /^devices: remove \d+$/);
    assert.deepEqual(await deviceRows(), ['198.18.0.201 16100 v2c 0 v1: -']);
    writeFileSync(devFile, DEVICES);
    const back = await deploy('--json');
    assert.deepEqual(deviceChangesOf(back), ['devices: add 1']);
  },
);

test('a non-root SSH user deploys through sudo', { timeout: 300_000 }, async () => {
  const setup = await inHost(
    'poller2',
    [
      'id deployer >/dev/null 2>&1 || useradd -m -s /bin/sh deployer',
      // '!' (locked) would make sshd refuse even a key when it runs without PAM
      "usermod -p '*' deployer",
      'mkdir -p ~deployer/.ssh && cp /root/.ssh/authorized_keys ~deployer/.ssh/ && chown -R deployer ~deployer/.ssh',
      "echo 'deployer ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/deployer && chmod 440 /etc/sudoers.d/deployer",
      // a drift only root can repair
      "sed -i 's/^service_poller_workers: .*/service_poller_workers: 1/' /etc/nms/config.yaml",
    ].join(' && '),
  );
  assert.equal(setup.code, 0, setup.stderr);
  const hostsFile = join(INV, 'hosts.yaml');
  const h = readFileSync(hostsFile, 'utf8');
  try {
    const withUser = h.replace(/^(\s+poller2: \{ address: 198\.18\.0\.12,)/m, '$1 ssh: { user: deployer },');
    assert.notEqual(withUser, h, 'hosts.yaml has the poller2 line');
    writeFileSync(hostsFile, withUser);
    const r = await deploy('--limit', 'poller2', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.json!.hosts[0].changes, ['update /etc/nms/config.yaml (notifies agent)', 'restart nms-agent']);
    const again = await deploy('--limit', 'poller2', '--json');
    assert.equal(again.json!.hosts[0].changed, 0);
  } finally {
    writeFileSync(hostsFile, h);
  }
});

test(
  'a host without Node >= 20 gets ours in /opt/nms/node and the agent runs on it',
  { timeout: 300_000 },
  async () => {
    // hide poller2's node (its own overlay) for the length of two deploys
    const hide = await inHost(
      'poller2',
      'rm -f /opt/nms/node && mv /usr/bin/node /usr/bin/node.nms-hidden && ! command -v node',
    );
    assert.equal(hide.code, 0, hide.stderr);
    let back: Awaited<ReturnType<typeof deploy>>;
    try {
      const r = await deploy('--limit', 'poller2', '--json');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const changes = r.json!.hosts[0].changes;
      for (const c of [
        'create /opt/nms/node (notifies agent)',
        'update /usr/local/bin/nms-agent',
        'update /etc/init.d/nms-agent (notifies agent)',
        'restart nms-agent',
      ])
        assert.ok(changes.includes(c), `${c} in ${changes.join('; ')}`);
      const v = await inHost('poller2', '/opt/nms/node -v; /etc/init.d/nms-agent status >/dev/null && echo running');
      assert.equal(v.stdout, `${process.version}\nrunning\n`);
    } finally {
      await inHost('poller2', 'mv /usr/bin/node.nms-hidden /usr/bin/node');
      // back to the host's own node, even when an assertion above failed
      back = await deploy('--limit', 'poller2', '--json');
    }
    assert.ok(
      back.json!.hosts[0].changes.includes('update /usr/local/bin/nms-agent'),
      "the wrapper uses the host's node again",
    );
  },
);

test(
  'one setting: --check --diff shows exactly it and changes nothing; the deploy changes that file and service only',
  { timeout: 300_000 },
  async () => {
    setSetting(/memory_mb: 64/, 'memory_mb: 96');
    const PIDS = 'pgrep -o -x memcached; pgrep -o -x redis-server; pgrep -o -x nginx';
    const pidBefore = (await inHost('master', PIDS)).stdout;
    assert.equal(pidBefore.trim().split('\n').length, 3, `memcached, redis and nginx run: ${pidBefore}`);
    const stampsBefore = await stamps('master', MASTER_FILES);
    const check = await deploy('--check', '--diff');
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /^--m 64$/m);
    assert.match(check.stdout, /^\+-m 96$/m);
    assert.equal((check.stdout.match(/^\+\+\+ /gm) ?? []).length, 1, check.stdout);
    assert.equal(await stamps('master', MASTER_FILES), stampsBefore);
    const r = await deploy('--json');
    assert.equal(r.code, 0, r.stdout);
    const m = r.json!.hosts.find((h) => h.host === 'master')!;
    assert.deepEqual(m.changes, ['update /etc/memcached.conf (notifies memcached)', 'restart memcached']);
    for (const h of r.json!.hosts.filter((x) => x.host !== 'master')) assert.equal(h.changed, 0);
    const pidAfter = (await inHost('master', PIDS)).stdout.split('\n');
    const pb = pidBefore.split('\n');
    assert.notEqual(pidAfter[0], pb[0], 'memcached was restarted');
    assert.deepEqual(pidAfter.slice(1), pb.slice(1), 'redis and nginx were not');
  },
);

test('--diff of a file holding secrets shows the change with every secret masked', { timeout: 300_000 }, async () => {
  setSetting(/redis: \{ port: 6379, db: 0 \}/, 'redis: { port: 6379, db: 3 }');
  const r = await deploy('--check', '--diff');
  setSetting(/redis: \{ port: 6379, db: 3 \}/, 'redis: { port: 6379, db: 0 }');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^-REDIS_DB=0$/m);
  assert.match(r.stdout, /^\+REDIS_DB=3$/m);
  assert.match(r.stdout, /^ REDIS_PASSWORD=\*{8}$/m);
  assert.match(r.stdout, /^ APP_KEY=\*{8}$/m);
  for (const s of secrets) assert.ok(!r.stdout.includes(s), 'a secret in --diff');
});

test(
  'host keys: a changed key fails that host; --strict-host-keys refuses an unknown one; others still run',
  { timeout: 300_000 },
  async () => {
    const kh = join(INV, 'known_hosts');
    const good = readFileSync(kh, 'utf8');
    try {
      const forged = good.replace(
        /^(198\.18\.0\.11 ssh-ed25519 )\S+$/m,
        '$1AAAAC3NzaC1lZDI1NTE5AAAAIBmT1YZkq0Cw0yWQ3bVqfCq0x8E6Zb2Yk1cC1mXbC3Qx',
      );
      assert.notEqual(forged, good, 'known_hosts has an ed25519 line for poller1');
      writeFileSync(kh, forged);
      const r = await deploy('--limit', 'poller1,poller2', '--json');
      assert.equal(r.code, 3);
      const p1 = r.json!.hosts.find((h) => h.host === 'poller1')!;
      assert.equal(p1.status, 'failed');
      assert.match(p1.error ?? '', /HOST KEY CHANGED/);
      assert.ok(
        ['ok', 'changed'].includes(r.json!.hosts.find((h) => h.host === 'poller2')!.status),
        'poller2 ran despite poller1',
      );
      writeFileSync(
        kh,
        good
          .split('\n')
          .filter((l) => !l.startsWith('198.18.0.12 '))
          .join('\n'),
      );
      const strict = await deploy('--limit', 'poller2', '--strict-host-keys', '--json');
      assert.equal(strict.code, 3);
      assert.match(strict.json!.hosts[0].error ?? '', /not in .*known_hosts/);
      const accept = await deploy('--limit', 'poller2', '--json');
      assert.equal(accept.code, 0);
      assert.match(readFileSync(kh, 'utf8'), /^198\.18\.0\.12 /m);
    } finally {
      writeFileSync(kh, good);
    }
  },
);

test('an unreachable host gives exit code 4', { timeout: 300_000 }, async () => {
  const hostsFile = join(INV, 'hosts.yaml');
  const secretsFile = join(INV, 'secrets.yaml');
  const [h, s] = [readFileSync(hostsFile, 'utf8'), readFileSync(secretsFile, 'utf8')];
  try {
    writeFileSync(
      hostsFile,
      h.replace(
        /^hosts:\n/m,
        'hosts:\n  ghost: { address: 198.18.0.99, roles: [ poller ], agent: { distributed_poller_group: [ 0 ] } }\n',
      ),
    );
    writeFileSync(
      secretsFile,
      s
        .replace(/^db_passwords:\s*\n/m, (m) => `${m}  ghost: ghostpassword0123456789\n`)
        .replace(/^db_passwords: \{/m, 'db_passwords: { ghost: ghostpassword0123456789,'),
      { mode: 0o600 },
    );
    const r = await deploy('--limit', 'ghost', '--json');
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.equal(r.json!.hosts[0].status, 'unreachable');
  } finally {
    writeFileSync(hostsFile, h);
    writeFileSync(secretsFile, s, { mode: 0o600 });
  }
});

test(
  "an invalid nginx template leaves the old file and the running nginx; the host fails with nginx's message",
  { timeout: 300_000 },
  async () => {
    const tpl = join(work, 'templates');
    cpSync(join(REPO, 'templates'), tpl, { recursive: true });
    const f = join(tpl, 'nginx', 'nginx.conf.hbs');
    writeFileSync(f, readFileSync(f, 'utf8').replace('gzip on;', 'gzip on'));
    const before = (await inHost('master', 'sha256sum /etc/nginx/nginx.conf; cat /run/nginx.pid')).stdout;
    const r = await deploy('--templates', tpl);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /FAILED master: .*nginx\.conf.*rejected/);
    assert.match(r.stdout, /\[emerg\].*"gzip" directive/);
    assert.equal((await inHost('master', 'sha256sum /etc/nginx/nginx.conf; cat /run/nginx.pid')).stdout, before);
    assert.equal((await inHost('master', '/etc/init.d/nginx status >/dev/null && echo up')).stdout.trim(), 'up');
  },
);

test('killed at random points, the deploy converges on the next run', { timeout: 900_000 }, async () => {
  for (let i = 0; i < 3; i++) {
    setSetting(/memory_mb: \d+/, `memory_mb: ${i % 2 ? 96 : 80}`);
    setSetting(/service_poller_workers: \d+/, `service_poller_workers: ${20 + i}`);
    const child = spawn(process.execPath, [NMS, 'deploy', '-i', INV, ...BUNDLE_ARGS], { stdio: 'ignore' });
    // listened for from the start: a run that ends before the kill (a quick converged deploy)
    // has emitted 'exit' already, and a listener added after it would wait for ever
    const exited = new Promise((r) => child.once('exit', r));
    const delay = 200 + Math.floor(Math.random() * 2500);
    await new Promise((r) => setTimeout(r, delay));
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited.catch(() => {});
  }
  const r = await deploy('--json');
  assert.equal(r.code, 0, r.stdout);
  const again = await deploy('--json');
  for (const h of again.json!.hosts) assert.equal(h.changed, 0, `${h.host} changed: ${h.changes.join('; ')}`);
  // the last interrupted run asked for 80 MB (asked a few times: the lab is shared)
  assert.match((await inHost('master', 'grep "^-m" /etc/memcached.conf')).stdout, /^-m 80$/m);
  let mc = '';
  for (let i = 0; i < 10 && !/limit_maxbytes/.test(mc); i++) {
    if (i) await new Promise((r) => setTimeout(r, 500));
    mc = (
      await inHost(
        'master',
        `printf 'stats\\r\\nquit\\r\\n' | timeout 5 bash -c 'exec 3<>/dev/tcp/${MASTER}/11211; cat >&3; cat ` +
          `<&3' | grep limit_maxbytes`,
      )
    ).stdout;
  }
  assert.match(mc, /limit_maxbytes 83886080/);
  const pend = await inHost('master', 'cat /var/lib/nms/pending-restarts 2>/dev/null; true');
  assert.equal(pend.stdout.trim(), '', 'no restarts left pending');
  for (const h of ['master', 'poller1', 'poller2']) {
    const env = (await inHost(h, 'cat /etc/nms/.env')).stdout;
    assert.equal(/^NODE_ID=(.*)$/m.exec(env)?.[1], nodeIds[h], `${h} kept its NODE_ID`);
  }
});

test(
  "a lab host outside the inventory cannot reach the master's service ports; a member can",
  { timeout: 300_000 },
  async () => {
    const add = await nms(['lab', 'add-host', 'intruder']);
    assert.ok(add.code === 0 || /exists|already/.test(add.stderr), add.stderr);
    const probe = (port: number) =>
      `timeout 3 bash -c '</dev/tcp/${MASTER}/${port}' 2>/dev/null && echo ${port}:open || echo ${port}:closed`;
    const ports = [3306, 6379, 11211, 42217];
    const intruder = (await inHost('intruder', ports.map(probe).join('; ') + '; ' + probe(22), 120_000)).stdout;
    for (const p of ports) assert.match(intruder, new RegExp(`${p}:closed`));
    assert.match(intruder, /22:open/);
    const member = (await inHost('poller1', ports.map(probe).join('; '))).stdout;
    for (const p of ports) assert.match(member, new RegExp(`${p}:open`));
  },
);

test('no secret in any deploy output', () => {
  const all = allOutput.join('\n');
  assert.ok(all.length > 100);
  for (const s of secrets) assert.ok(!all.includes(s), 'a secret appeared in deploy output');
  rmSync(work, { recursive: true, force: true });
});
