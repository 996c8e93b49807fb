// Every malformed inventory under test/fixtures/inventories/ run through the real CLI
// (`node bin/nms.js inventory check`, after `node scripts/build.mjs`): the expected message with
// file:line:column and field path, exit code 2, no stack trace, and no secret value in the output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { writeTestKey } from '../helpers/ssh-key.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/inventories');
/** The real CLI; NMS_TEST_BIN may name another build of it. */
const NMS = process.env.NMS_TEST_BIN ?? join(ROOT, 'bin/nms.js');
let work: string;

before(() => {
  assert.ok(existsSync(join(ROOT, 'dist/nms.mjs')), 'run `node scripts/build.mjs` first');
  work = mkdtempSync(join(tmpdir(), 'nms-inv-cli-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Copies base + the case's files into work/<name>, with a key file and secrets mode 0600. */
function prepare(name: string, setup?: (dir: string) => void): string {
  const dir = join(work, name);
  cpSync(join(FIXTURES, 'base'), dir, { recursive: true });
  if (name !== 'base') cpSync(join(FIXTURES, name), dir, { recursive: true });
  rmSync(join(dir, 'README'), { force: true });
  writeTestKey(join(dir, 'id_ed25519'));
  chmodSync(join(dir, 'secrets.yaml'), 0o600);
  if (existsSync(join(dir, 'devices.yaml'))) chmodSync(join(dir, 'devices.yaml'), 0o600); // it holds communities
  setup?.(dir);
  return dir;
}

/** Every secret string of the copied inventory: secrets.yaml values and device credentials. */
function secretValues(dir: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown, secret: boolean): void => {
    if (typeof v === 'string' && secret && v.length >= 6) out.push(v);
    else if (Array.isArray(v)) v.forEach((x) => walk(x, secret));
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) walk(x, secret || ['community', 'authpass', 'cryptopass'].includes(k));
  };
  for (const [file, secret] of [
    ['secrets.yaml', true],
    ['devices.yaml', false],
  ] as const) {
    try {
      walk(parse(readFileSync(join(dir, file), 'utf8')), secret);
    } catch {
      /* missing or broken on purpose */
    }
  }
  return out;
}

function check(name: string, ...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [NMS, 'inventory', 'check', '-i', name, ...args], {
    cwd: work,
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

const CASES: { name: string; expect: string[]; setup?: (dir: string) => void }[] = [
  {
    name: 'bad-yaml',
    expect: [
      'bad-yaml/hosts.yaml:18:5 hosts.nms83.roles[0]: YAML syntax: Flow sequence in block collection must be ' +
        'sufficiently indented and end with a ]',
    ],
  },
  {
    name: 'wrong-type',
    expect: ['wrong-type/hosts.yaml:17:18 hosts.nms83.ssh.port: must be a whole number (got "twenty-two")'],
  },
  {
    name: 'duplicate-host',
    expect: ['duplicate-host/hosts.yaml:24:3 hosts.nms83: duplicate key "nms83": each name may appear once'],
  },
  {
    name: 'duplicate-address',
    expect: ["duplicate-address/hosts.yaml:20:14 hosts.nms84.address: address 192.0.2.83 is also host nms83's"],
  },
  {
    name: 'no-master',
    expect: ['web', 'mariadb', 'rrdcached', 'redis', 'memcached'].map(
      (s) => `no-master/hosts.yaml:10:1 hosts: no host has role ${s}: exactly one host must run it`,
    ),
  },
  {
    name: 'two-redis',
    expect: [
      'two-redis/hosts.yaml:22:32 hosts.nms84.roles[2]: role redis is already on host nms82: exactly one host ' +
        'may run it',
    ],
  },
  {
    name: 'unknown-role',
    expect: [
      'unknown-role/hosts.yaml:17:21 hosts.nms83.roles[1]: must be one of web, mariadb, rrdcached, redis, ' +
        'memcached, poller, discovery, ping, syslog, config-backup (got "oxidized")',
    ],
  },
  {
    name: 'group-without-discovery',
    expect: [
      'group-without-discovery/devices.yaml:2:44 devices[0].poller_group: poller group 0 has devices but no ' +
        'host with role discovery serves it: a device is discovered before its first poll',
      'group-without-discovery/devices.yaml:3:64 devices[1].poller_group: poller group 1 has devices but no ' +
        'host with role discovery serves it',
    ],
  },
  {
    name: 'group-without-poller',
    expect: [
      'group-without-poller/devices.yaml:7:44 devices[3].poller_group: poller group 7 has devices but no host ' +
        'with role poller serves it',
    ],
  },
  {
    name: 'missing-key-file',
    expect: [
      'missing-key-file/hosts.yaml:8:37 defaults.ssh.key: SSH private key: ',
      'keys/missing_ed25519 does not exist',
    ],
  },
  {
    name: 'key-is-directory',
    expect: ['key-is-directory/hosts.yaml:8:37 defaults.ssh.key: SSH private key: ', 'keydir is not a regular file'],
  },
  {
    name: 'world-readable-secrets',
    setup: (dir) => chmodSync(join(dir, 'secrets.yaml'), 0o644),
    expect: [
      'world-readable-secrets/secrets.yaml: secrets file is readable or writable by group or others (mode ' +
        '0644): run `chmod 600 world-readable-secrets/secrets.yaml`',
    ],
  },
  {
    name: 'app-key-short',
    expect: ['app-key-short/secrets.yaml:5:10 app_key: must be "base64:" followed by 32 random bytes'],
  },
  { name: 'bad-port', expect: ['bad-port/hosts.yaml:8:28 defaults.ssh.port: must be from 1 to 65535 (got 70000)'] },
  {
    name: 'unknown-key',
    expect: [
      'unknown-key/hosts.yaml:20:5 hosts.nms84.adress: unknown field: did you mean "address"?',
      'unknown-key/hosts.yaml:20:5 hosts.nms84.address: is required but missing',
    ],
  },
  {
    name: 'missing-db-password',
    expect: ['missing-db-password/secrets.yaml:8:1 db_passwords: no MariaDB password for host nms84'],
  },
  {
    name: 'centos7',
    expect: [
      'centos7/hosts.yaml:26:9 hosts.bsd-007-c7.os: host bsd-007-c7: CentOS 7 is not supported: it reached end of life',
      'glibc 2.17 cannot run Node.js 20',
    ],
  },
  {
    name: 'bad-address',
    expect: ['bad-address/hosts.yaml:20:14 hosts.nms84.address: is not a valid IPv4 address (got "192.0.2.300")'],
  },
  {
    name: 'missing-secrets',
    setup: (dir) => unlinkSync(join(dir, 'secrets.yaml')),
    expect: ['missing-secrets/secrets.yaml: secrets file is missing'],
  },
  { name: 'missing-roles', expect: ['missing-roles/hosts.yaml:16:5 hosts.nms83.roles: is required but missing'] },
  {
    name: 'snmp-v3-no-cryptopass',
    expect: ['snmp-v3-no-cryptopass/devices.yaml:6:11 devices[2].snmp.cryptopass: is required with authlevel authPriv'],
  },
  {
    name: 'bad-loglevel',
    expect: [
      'bad-loglevel/hosts.yaml:9:58 defaults.agent.service_loglevel: must be one of DEBUG, INFO, WARNING, ERROR ' +
        '(got "LOUD")',
    ],
  },
  { name: 'tls-cert-only', expect: ['tls-cert-only/hosts.yaml:7:8 cluster.tls: give both cert and key, or neither'] },
  {
    name: 'bad-host-name',
    expect: ['bad-host-name/hosts.yaml:19:3 hosts.NMS_84: host name must be lower-case letters, digits and "-"'],
  },
  { name: 'secret-wrong-type', expect: ['secret-wrong-type/secrets.yaml:6:17 redis_password: must be a string'] },
  {
    name: 'stale-db-password',
    expect: ['stale-db-password/secrets.yaml:12:3 db_passwords.nms99: password for nms99, which is not a host'],
  },
  {
    name: 'duplicate-device',
    expect: ['duplicate-device/devices.yaml:7:5 devices[3]: device 192.0.2.101 port 161 is already devices[0]'],
  },
  {
    name: 'bad-cluster-name',
    expect: ['bad-cluster-name/hosts.yaml:3:9 cluster.name: must be lower-case letters, digits and "-"'],
  },
  {
    name: 'misplaced-keys',
    expect: [
      'misplaced-keys/hosts.yaml:4:3 cluster.server_name: unknown field: "server_name" belongs under cluster.web;',
      'misplaced-keys/hosts.yaml:13:14 hosts.nms82.agent.distributed-poller-group: unknown field: did you mean ' +
        '"distributed_poller_group"?',
      'misplaced-keys/hosts.yaml:16:5 hosts.nms83.Roles: unknown field: did you mean "roles"?',
    ],
  },
  {
    name: 'tls-system-files',
    expect: [
      'tls-system-files/hosts.yaml:6:16 cluster.tls.cert: TLS cert: /etc/passwd is not an X.509 certificate',
      'tls-system-files/hosts.yaml:6:34 cluster.tls.key: TLS key: /etc/hostname is not a private key',
    ],
  },
  {
    name: 'tls-key-mismatch',
    setup: (dir) => {
      for (const n of ['a', 'b'])
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
            `/CN=${n}.example.net`,
            '-keyout',
            join(dir, `${n}.key`),
            '-out',
            join(dir, `${n}.crt`),
          ],
          { stdio: 'ignore' },
        );
    },
    expect: [
      'tls-key-mismatch/hosts.yaml:6:28 cluster.tls.key: TLS key: ',
      'b.key is not the private key of the certificate ',
      'subject CN=a.example.net',
    ],
  },
  {
    name: 'ssh-key-public',
    setup: (dir) =>
      writeFileSync(join(dir, 'id_ed25519.pub'), execFileSync('ssh-keygen', ['-y', '-f', join(dir, 'id_ed25519')])),
    expect: [
      'ssh-key-public/hosts.yaml:8:37 defaults.ssh.key: SSH private key: ',
      'id_ed25519.pub is a public key: name the private key',
    ],
  },
  {
    name: 'ssh-key-not-a-key',
    expect: [
      'ssh-key-not-a-key/hosts.yaml:8:37 defaults.ssh.key: SSH private key: ',
      'notes.txt is not an SSH private key',
    ],
  },
  {
    name: 'world-readable-devices',
    setup: (dir) => chmodSync(join(dir, 'devices.yaml'), 0o644),
    expect: [
      'world-readable-devices/devices.yaml: devices file (it holds SNMP communities and passphrases) is ' +
        'readable or writable by group or others (mode 0644): run `chmod 600 world-readable-devices/devices.yaml`',
    ],
  },
  {
    name: 'alias-bomb',
    expect: ['alias-bomb/devices.yaml:3:8: YAML aliases expand too much (limit 100 copies per alias)'],
  },
  {
    name: 'secrets-bad-yaml',
    expect: ['secrets-bad-yaml/secrets.yaml:12:1 api_token: YAML syntax: Missing closing "quote'],
  },
  { name: 'empty-hosts', expect: ['empty-hosts/hosts.yaml:1:1: must be a mapping (got null)'] },
  {
    name: 'device-not-a-mapping',
    expect: [
      'device-not-a-mapping/devices.yaml:3:5 devices[1]: must be a mapping (got "192.0.2.102")',
      'device-not-a-mapping/devices.yaml:4:44 devices[2].poller_group: poller group 4 has devices',
    ],
  },
  {
    name: 'many-problems',
    expect: [
      'inventory has 4 problems',
      'many-problems/hosts.yaml:8:28 defaults.ssh.port: must be from 1 to 65535 (got 0)',
      'many-problems/hosts.yaml:21:9 hosts.nms84.os: host nms84: CentOS 7 is not supported',
      'many-problems/hosts.yaml:22:5 hosts.nms84.sudo: unknown field',
      'many-problems/hosts.yaml:24:32 hosts.nms84.roles[2]: role redis is already on host nms82',
    ],
  },
];

test('the base fixture is valid: exit 0, a summary, no secret', () => {
  const dir = prepare('base');
  const r = check('base');
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /inventory base \(cluster fixture\) is valid/);
  assert.match(r.out, /devices: 3/);
  for (const s of secretValues(dir)) assert.ok(!r.out.includes(s), 'a secret value was printed');
  const j = check('base', '--json');
  assert.equal(j.code, 0, j.out);
  const summary = JSON.parse(j.out);
  assert.deepEqual(summary.services, {
    web: 'nms82',
    mariadb: 'nms82',
    rrdcached: 'nms82',
    redis: 'nms82',
    memcached: 'nms82',
  });
  assert.deepEqual(summary.poller_groups, [
    { group: 0, pollers: ['nms82', 'nms83', 'nms84'], devices: 1 },
    { group: 1, pollers: ['nms83', 'nms84'], devices: 2 },
  ]);
  for (const s of secretValues(dir)) assert.ok(!j.out.includes(s), 'a secret value was printed in --json');
});

test('-i naming a file of the inventory checks its directory; another file is refused in one line', () => {
  prepare('base');
  const r = check('base/hosts.yaml');
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /inventory base \(cluster fixture\) is valid/);
  writeFileSync(join(work, 'notes.txt'), 'x');
  const bad = check('notes.txt');
  assert.equal(bad.code, 2, bad.out);
  assert.ok(
    bad.out.includes('notes.txt: is a file, not an inventory directory: pass the directory that holds hosts.yaml'),
    bad.out,
  );
});

test('the seed example as git checks it out: one hint line with the one command that makes it valid', () => {
  const dir = join(work, 'seed-clone');
  cpSync(join(ROOT, 'inventories/seed-example'), dir, { recursive: true });
  for (const f of ['id_ed25519', 'id_ed25519.pub']) rmSync(join(dir, f), { force: true });
  chmodSync(join(dir, 'secrets.yaml'), 0o644);
  const r = check('seed-clone');
  assert.equal(r.code, 2, r.out);
  const hint = r.out.split('\n').find((l) => l.startsWith('hint: make it valid with: '));
  assert.ok(hint, r.out);
  assert.match(hint, /ssh-keygen -t ed25519 -N '' -f seed-clone\/id_ed25519/);
  assert.match(hint, /chmod 600 seed-clone\/secrets\.yaml/);
  const fix = spawnSync('bash', ['-c', hint.slice('hint: make it valid with: '.length)], {
    cwd: work,
    encoding: 'utf8',
  });
  assert.equal(fix.status, 0, fix.stderr);
  const again = check('seed-clone');
  assert.equal(again.code, 0, again.out);
});

test('nms device add writes devices.yaml 0600, and makes an older 0644 one private', () => {
  const dir = prepare('base');
  rmSync(join(dir, 'devices.yaml'));
  const env = { ...process.env, NO_COLOR: '1', NMS_SNMP_COMMUNITY: 'fixture-community' };
  const add = (host: string) =>
    spawnSync(process.execPath, [NMS, 'device', 'add', host, '-i', 'base'], {
      cwd: work,
      encoding: 'utf8',
      timeout: 20_000,
      env,
    });
  let r = add('192.0.2.120');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(statSync(join(dir, 'devices.yaml')).mode & 0o777, 0o600);
  chmodSync(join(dir, 'devices.yaml'), 0o644);
  assert.equal(check('base').code, 2, 'a readable devices.yaml with a community is refused');
  r = add('192.0.2.121');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(statSync(join(dir, 'devices.yaml')).mode & 0o777, 0o600);
  assert.equal(check('base').code, 0);
});

test('every fixture folder has a case here', () => {
  const folders = readdirSync(FIXTURES)
    .filter((n) => n !== 'base')
    .sort();
  assert.deepEqual(folders, CASES.map((c) => c.name).sort());
  assert.ok(CASES.length >= 20);
});

for (const c of CASES) {
  test(`malformed inventory: ${c.name}`, () => {
    const dir = prepare(c.name, c.setup);
    const r = check(c.name);
    assert.equal(r.code, 2, r.out);
    for (const e of c.expect) assert.ok(r.out.includes(e), `expected\n  ${e}\nin\n${r.out}`);
    assert.doesNotMatch(r.out, /\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace');
    assert.doesNotMatch(r.out, /internal error/);
    for (const s of secretValues(dir)) assert.ok(!r.out.includes(s), `secret value printed in ${c.name}`);
  });
}
