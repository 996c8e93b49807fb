// The deploy engine's pure parts: host-key decisions, facts script and parser (run against this
// machine's own shell, read-only), package commands for apt and dnf, database statements,
// device sync, diffs with secrets masked, the atomic file write and the exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHostKey, fingerprint, knownHostsName } from '../../cli/ssh/known-hosts.js';
import { SshHost, shq, sudoWrap } from '../../cli/ssh/connection.js';
import { factsScript, parseFacts } from '../../cli/deploy/facts.js';
import { DEBIAN, EL, profileFor } from '../../cli/deploy/profile.js';
import {
  accountChanges,
  deviceChanges,
  nativePasswordHash,
  privilegeString,
  wantedAccounts,
} from '../../cli/deploy/database.js';
import { SecretMasker, unifiedDiff, MASK } from '../../cli/deploy/diff.js';
import {
  BACKUP_DIR,
  CHECK_FAILED_EXIT,
  selfSignedCertCommand,
  selfSignedMarker,
  writeFileCommand,
  serviceCommand,
} from '../../cli/deploy/operations.js';
import { deploy, exitCodeFor, selectHosts, type HostResult } from '../../cli/deploy/runner.js';
import { formatRecap } from '../../cli/deploy/recap.js';
import { sha256, type FileSpec } from '../../cli/deploy/plan.js';
import { loadInventory } from '../../cli/inventory/load.js';
import { encrypt } from '../../lib/crypto.js';
import { UsageError } from '../../lib/errors.js';

const INV = join(import.meta.dirname, '..', '..', 'inventories', 'seed-example');
const sh = (script: string, input?: string) =>
  spawnSync('sh', ['-c', script], { input, encoding: 'utf8', timeout: 20_000 });

function keyBlob(type: string, body: string): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.from(body)]);
}

test('host keys: known accepted, new recorded, changed refused, strict refuses unknown', () => {
  const k1 = keyBlob('ssh-ed25519', 'one');
  const k2 = keyBlob('ssh-ed25519', 'two');
  const name = knownHostsName('198.18.0.10', 22);
  const file = `${name} ssh-ed25519 ${k1.toString('base64')}\n`;
  assert.deepEqual(checkHostKey(file, name, k1, false), { kind: 'known' });
  const changed = checkHostKey(file, name, k2, false);
  assert.equal(changed.kind, 'changed');
  const fresh = checkHostKey('', name, k1, false);
  assert.equal(fresh.kind, 'new');
  if (fresh.kind === 'new') {
    assert.equal(fresh.line, file);
    assert.equal(fresh.fingerprint, fingerprint(k1));
    assert.match(fresh.fingerprint, /^SHA256:[A-Za-z0-9+/]+$/);
  }
  assert.equal(checkHostKey('', name, k1, true).kind, 'unknown-strict');
  assert.equal(knownHostsName('10.0.0.1', 2222), '[10.0.0.1]:2222');
  // another type for a known host is a new key, not a changed one (as OpenSSH does)
  assert.equal(checkHostKey(file, name, keyBlob('ecdsa-sha2-nistp256', 'x'), false).kind, 'new');
});

test('shq quotes anything a shell would interpret', () => {
  assert.equal(shq('/etc/nginx/nginx.conf'), '/etc/nginx/nginx.conf');
  assert.equal(sh(`printf %s ${shq("it's $HOME; `x`")}`).stdout, "it's $HOME; `x`");
});

test('facts: the script runs read-only on this machine and parses into typed facts', { timeout: 20_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'nms-facts-'));
  try {
    const f = join(dir, 'a.conf');
    writeFileSync(f, 'hello\n');
    const env = join(dir, '.env');
    writeFileSync(env, 'APP_KEY=x\nNODE_ID=abc-123\n');
    const script = factsScript({
      packages: ['coreutils', 'no-such-package-nms'],
      users: ['root'],
      paths: [f, dir, join(dir, 'missing')],
      services: [{ name: 'no-such-service-nms' }, { name: 'sshd-nms-test', process: 'no-such-process' }],
      firewall: false,
      envPath: env,
      packageFactsCommand: (p) => DEBIAN.packageFactsCommand(p),
    });
    const r = sh('sh -s', script);
    assert.equal(r.status, 0, r.stderr);
    const facts = parseFacts(r.stdout);
    assert.equal(facts.files[f].sha256, sha256('hello\n'));
    assert.equal(facts.files[dir].sha256, undefined);
    assert.equal(facts.files[dir].mode, statSync(dir).mode & 0o7777);
    assert.equal(facts.files[join(dir, 'missing')], undefined);
    assert.equal(facts.nodeId, 'abc-123');
    assert.equal(facts.users.root?.group, 'root');
    assert.deepEqual(facts.services['no-such-service-nms'], { present: false, running: false, enabled: false });
    if (existsSync('/usr/bin/dpkg-query')) {
      assert.equal(facts.packages.coreutils, true);
      assert.ok(!facts.packages['no-such-package-nms']);
    }
    assert.ok(facts.node && facts.node.major >= 20);
    assert.ok(facts.os.id.length > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('facts parser reads database lines', () => {
  const f = parseFacts(
    [
      'db\tdbok',
      'db\tdbname\tnms',
      'db\tacct\tnms_a@1.2.3.4\t*ABC',
      'db\tpriv\tnms_a@1.2.3.4\tY,Y,N',
      'db\ttable\tdevices',
      'db\tdevice\th1\t161\tudp\tv2c\t0\tENC\t~null~\t~null~\t~null~\t~null~\t~null~\t~null~',
      'pending\tnginx',
      'pending\tnginx',
    ].join('\n'),
  );
  assert.deepEqual(f.db?.databases, ['nms']);
  assert.equal(f.db?.accounts['nms_a@1.2.3.4'], '*ABC');
  assert.equal(f.db?.devices[0].community, 'ENC');
  assert.equal(f.db?.devices[0].authname, null);
  assert.deepEqual(f.pendingRestarts, ['nginx']);
});

test('packages: apt and dnf commands and package facts', () => {
  assert.equal(profileFor('debian'), DEBIAN);
  assert.equal(profileFor('ubuntu', 'debian'), DEBIAN);
  assert.equal(profileFor('rocky', 'rhel centos fedora'), EL);
  assert.equal(profileFor('el9'), EL);
  assert.match(
    DEBIAN.installCommand(['nginx', 'redis-server']),
    /DEBIAN_FRONTEND=noninteractive; apt-get install -y -q --no-install-recommends nginx redis-server \|\| \{ apt-get update -q && apt-get install/,
  );
  assert.equal(EL.installCommand(['nginx', 'redis']), 'dnf install -y -q nginx redis');
  assert.equal(EL.packageFactsCommand(['nginx']), "rpm -q --qf 'pkg\\t%{NAME}\\t1\\n' nginx 2>/dev/null | grep '^pkg'");
  assert.deepEqual(EL.packages.redis, ['redis']);
  assert.equal(EL.serviceNames.redis, 'redis');
  assert.equal(EL.paths.mariadbConf, '/etc/my.cnf.d/90-nms.cnf');
  // the EL fact line parses like the Debian one
  assert.equal(parseFacts('pkg\tnginx\t1\n').packages.nginx, true);
});

test('database: mysql_native_password hash and least-privilege accounts', async () => {
  // the value MariaDB's PASSWORD('password') returns
  assert.equal(nativePasswordHash('password'), '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19');
  const inv = await loadInventory(INV, { checkFiles: false });
  const accts = wantedAccounts(inv);
  assert.deepEqual(
    accts.map((a) => `${a.user}@${a.host}`),
    ['nms_nms82@192.0.2.82', 'nms_nms83@192.0.2.83', 'nms_nms84@192.0.2.84'],
  );
  assert.ok(accts[0].privileges.includes('CREATE'));
  assert.deepEqual(accts[1].privileges, ['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
  // fresh server: database and every account
  const fresh = accountChanges(inv, undefined, false);
  assert.equal(fresh.length, 4);
  const all = fresh.map((c) => c.sql).join('\n');
  assert.match(all, /GRANT SELECT, INSERT, UPDATE, DELETE ON `nms`\.\* TO 'nms_nms83'@'192\.0\.2\.83';/);
  assert.ok(!/GRANT ALL/.test(all));
  // in the wanted state: nothing to do
  const db = {
    reachable: true,
    databases: ['nms'],
    accounts: {} as Record<string, string>,
    privileges: {} as Record<string, string>,
    tables: [],
    devices: [],
  };
  for (const a of accts) {
    db.accounts[`${a.user}@${a.host}`] = nativePasswordHash(a.password);
    db.privileges[`${a.user}@${a.host}`] = privilegeString(a.privileges);
  }
  assert.deepEqual(accountChanges(inv, db, false), []);
  // a changed password, a stale address of our host, a foreign account kept unless --prune
  db.accounts['nms_nms83@192.0.2.83'] = nativePasswordHash('old');
  db.accounts['nms_nms84@192.0.2.99'] = '*X';
  db.accounts['nms_gone@192.0.2.50'] = '*Y';
  const ch = accountChanges(inv, db, false).map((c) => c.what);
  assert.deepEqual(ch, ['account nms_nms83@192.0.2.83 (password)', 'drop account nms_nms84@192.0.2.99']);
  assert.ok(accountChanges(inv, db, true).some((c) => c.what === 'drop account nms_gone@192.0.2.50'));
});

test('devices: added, unchanged when the decrypted values match, updated, pruned only on request', async () => {
  const inv = await loadInventory(INV, { checkFiles: false });
  assert.ok(inv.devices.length >= 2);
  const first = deviceChanges(inv, [], false);
  assert.equal(first.added.length, inv.devices.length);
  for (const d of inv.devices)
    if (d.snmp.version !== 'v3') assert.ok(!first.sql.includes(`'${d.snmp.community}'`), 'community in plain text');
  // rows as the database would hold them after that insert
  const rows = inv.devices.map((d) => {
    const s = d.snmp;
    const enc = (v?: string) => (v ? encrypt(inv.secrets.app_key, v) : null);
    return s.version === 'v3'
      ? {
          hostname: d.hostname,
          port: String(d.port),
          transport: d.transport,
          snmpver: 'v3',
          poller_group: String(d.poller_group),
          community: null,
          authlevel: s.authlevel,
          authname: s.authname,
          authpass: enc(s.authpass),
          authalgo: s.authalgo ?? null,
          cryptopass: enc(s.cryptopass),
          cryptoalgo: s.cryptoalgo ?? null,
        }
      : {
          hostname: d.hostname,
          port: String(d.port),
          transport: d.transport,
          snmpver: s.version,
          poller_group: String(d.poller_group),
          community: enc(s.community),
          authlevel: null,
          authname: null,
          authpass: null,
          authalgo: null,
          cryptopass: null,
          cryptoalgo: null,
        };
  });
  const same = deviceChanges(inv, rows, false);
  assert.equal(same.sql, '');
  rows[0].poller_group = '7';
  rows.push({ ...rows[1], hostname: 'old.example', port: '161' });
  const upd = deviceChanges(inv, rows, false);
  assert.deepEqual(upd.updated, [`${rows[0].hostname}:${rows[0].port}`]);
  assert.deepEqual(upd.extra, ['old.example:161']);
  assert.ok(!/DELETE/.test(upd.sql));
  const pruned = deviceChanges(inv, rows, true);
  assert.deepEqual(pruned.removed, ['old.example:161']);
  assert.match(pruned.sql, /DELETE FROM devices WHERE hostname = 'old\.example' AND port = 161;/);
});

test('diff: unified hunks, secrets masked before comparing', () => {
  const m = new SecretMasker(['s3cretpassword', 'ab']);
  const old = 'a\nb\nrequirepass s3cretpassword\nport 6379\nc\n';
  const neu = 'a\nb\nrequirepass s3cretpassword\nport 6380\nc\n';
  const d = unifiedDiff(m.mask(old), m.mask(neu), '/etc/redis/redis.conf');
  assert.match(d, /^-port 6379\n\+port 6380$/m);
  assert.match(d, /^\+port 6380$/m);
  assert.match(d, /^ requirepass \*{8}$/m);
  assert.ok(!d.includes('s3cret'));
  assert.equal(unifiedDiff('x', 'x', 'p'), '');
  // hunks: line numbers as diff -u gives them
  const long = Array.from({ length: 20 }, (_, i) => `l${i}`);
  const changed = long.map((l, i) => (i === 2 || i === 17 ? `${l}!` : l));
  const two = unifiedDiff(long.join('\n'), changed.join('\n'), 'f');
  assert.deepEqual(
    two.split('\n').filter((l) => l.startsWith('@@')),
    ['@@ -1,6 +1,6 @@', '@@ -15,6 +15,6 @@'],
  );
  // too-short values are not masked (they would blank unrelated text)
  assert.equal(m.mask('ab'), 'ab');
  assert.equal(MASK, '********');
});

test(
  'atomic write: a rejected candidate leaves the old file; an accepted one is backed up and moved',
  { timeout: 20_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'nms-write-'));
    try {
      const path = join(dir, 'app.conf');
      writeFileSync(path, 'old\n');
      const me = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
      const grp = spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim();
      const spec = (check?: string): FileSpec => ({
        path,
        source: 't',
        content: Buffer.from('new\n'),
        sha256: '',
        mode: 0o640,
        owner: me,
        group: grp,
        remoteCheck: check,
      });
      const bad = sh(
        writeFileCommand(spec('grep -q never {} || { echo "checker: no never in {}"; exit 1; }'), []),
        'new\n',
      );
      assert.equal(bad.status, CHECK_FAILED_EXIT);
      assert.match(bad.stderr, /checker: no never in/);
      assert.equal(readFileSync(path, 'utf8'), 'old\n');
      assert.ok(!existsSync(path + '.nms-new'));
      // BACKUP_DIR is below /var/lib/nms; point it at the temp dir for this run
      const good = sh(writeFileCommand(spec('grep -q new {}'), []).split(BACKUP_DIR).join(join(dir, 'bak')), 'new\n');
      assert.equal(good.status, 0, good.stderr);
      assert.equal(readFileSync(path, 'utf8'), 'new\n');
      assert.equal(readFileSync(join(dir, 'bak') + path, 'utf8'), 'old\n');
      assert.ok(!existsSync(path + '.nms-bak'));
      assert.equal(statSync(path).mode & 0o777, 0o640);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('service commands: init scripts without systemd, systemctl with it, nft for the firewall', () => {
  assert.match(
    serviceCommand('redis-server', 'restart', false),
    /^\(\/etc\/init\.d\/redis-server restart <\/dev\/null/,
  );
  // the command is followed by `&& <clear pending>`: that part must run after a success
  assert.equal(
    sh(`${serviceCommand('true', 'restart', false).replace('/etc/init.d/true restart', 'true')} && echo after`).stdout,
    'after\n',
  );
  assert.equal(serviceCommand('redis', 'enable', true), 'systemctl enable -q redis');
  assert.equal(serviceCommand('nftables', 'restart', false, '/etc/nftables.conf'), 'nft -f /etc/nftables.conf');
});

test('exit codes: failed 3 beats unreachable 4; --limit rejects unknown hosts', async () => {
  const r = (status: HostResult['status']): HostResult => ({
    host: 'h',
    status,
    ok: 0,
    changed: 0,
    changes: [],
    diffs: [],
    warnings: [],
    durationMs: 0,
    timings: { connectMs: 0, factsMs: 0 },
  });
  assert.equal(exitCodeFor([r('ok'), r('changed')]), 0);
  assert.equal(exitCodeFor([r('ok'), r('unreachable')]), 4);
  assert.equal(exitCodeFor([r('failed'), r('unreachable')]), 3);
  const inv = await loadInventory(INV, { checkFiles: false });
  assert.deepEqual(
    selectHosts(inv, ['nms83']).map((h) => h.name),
    ['nms83'],
  );
  assert.throws(() => selectHosts(inv, ['nope']), UsageError);
});

test('sudo: the command survives quoting and runs as given', () => {
  const cmd = `printf '%s|' "a b" 'c'"'"'d' && echo $((1+1))`;
  const wrapped = sudoWrap(cmd);
  assert.match(wrapped, /^sudo -n sh -c '/);
  // what sudo would exec: sh -c <the original command>
  assert.equal(sh(wrapped.replace(/^sudo -n /, '')).stdout, sh(cmd).stdout);
  assert.equal(new SshHost({ address: 'x', user: 'deployer', keyPath: '/k', knownHostsPath: '/kh' }).opts.sudo, true);
  assert.equal(new SshHost({ address: 'x', keyPath: '/k', knownHostsPath: '/kh' }).opts.sudo, false);
  assert.throws(
    () => new SshHost({ address: 'x', keyPath: '/k', knownHostsPath: '/kh', maxChannels: 11 }),
    /maxChannels must be 1-10/,
  );
});

test('bad input stops before any connection: unknown --limit host, missing templates or bundle', async () => {
  const inv = await loadInventory(INV, { checkFiles: false });
  await assert.rejects(deploy({ inventory: inv, limit: ['nope'] }), UsageError);
  await assert.rejects(
    deploy({ inventory: inv, templatesDir: '/nonexistent-nms-templates' }),
    /not a templates folder/,
  );
  await assert.rejects(
    deploy({ inventory: inv, agentBundlePath: '/nonexistent-nms-agent.mjs' }),
    /agent bundle .* is missing/,
  );
});

test('recap: one line per host with ok/changed/failed/unreachable, errors and check mode', () => {
  const h = (host: string, status: HostResult['status'], changed: number, error?: string): HostResult => ({
    host,
    status,
    ok: 5,
    changed,
    changes: changed ? ['update /etc/x'] : [],
    diffs: [],
    warnings: [],
    error,
    durationMs: 1234,
    timings: { connectMs: 1, factsMs: 2 },
  });
  const text = formatRecap({
    check: true,
    exitCode: 4,
    durationMs: 2000,
    hosts: [h('master', 'changed', 1), h('poller1', 'unreachable', 0, 'cannot connect')],
  }).replace(/\x1b\[[0-9;]*m/g, '');
  assert.match(text, /^master: would change:\n {2}- update \/etc\/x$/m);
  assert.match(text, /^UNREACHABLE poller1: cannot connect$/m);
  assert.match(text, /^CHECK RECAP/m);
  assert.match(text, /^master\s+ok=5\s+changed=1\s+failed=0 unreachable=0\s+1\.23s$/m);
  assert.match(text, /^poller1\s+ok=5\s+changed=0\s+failed=0 unreachable=1/m);
  assert.match(text, /exit code 4$/m);
});

test(
  'self-signed certificate: made with openssl into place, marked complete last',
  { skip: spawnSync('sh', ['-c', 'command -v openssl']).status !== 0, timeout: 30_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'nms-cert-'));
    try {
      const cert = join(dir, 'tls', 'nms.crt');
      const key = join(dir, 'tls', 'nms.key');
      const r = sh(selfSignedCertCommand(cert, key, 'nms.example'));
      assert.equal(r.status, 0, r.stderr);
      assert.equal(statSync(key).mode & 0o777, 0o600);
      assert.ok(existsSync(selfSignedMarker(cert)));
      const subject = spawnSync('openssl', ['x509', '-noout', '-subject', '-in', cert], { encoding: 'utf8' }).stdout;
      assert.match(subject, /CN ?= ?nms\.example/);
      const text = selfSignedCertCommand(cert, key, 'x');
      assert.ok(text.lastIndexOf('touch') > text.lastIndexOf('mv -f'), 'the marker comes after both moves');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
