// `nms init inventory` end to end: the real CLI in a pseudo-terminal (python3's pty module),
// answering inquirer's prompts with keystrokes, including wrong answers that are asked again;
// then the non-interactive paths (--answers, flags) and the refusal to overwrite.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { writeTestKey } from '../helpers/ssh-key.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** The real CLI; NMS_TEST_BIN may name another build of it. */
const NMS = process.env.NMS_TEST_BIN ?? join(ROOT, 'bin/nms.js');
let work: string;
let key: string;

// Runs argv in a pty; for each step waits for `expect` (regex, ANSI stripped) then types `send`.
const DRIVER = String.raw`
import os, pty, sys, json, re, select, time
spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.chdir(spec['cwd'])
    env = dict(os.environ); env.update(spec['env'])
    os.execvpe(spec['argv'][0], spec['argv'], env)
buf = b''
def clean(b):
    return re.sub(r'\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r', '', b.decode('utf8', 'replace'))
def read_some(t):
    global buf
    r, _, _ = select.select([fd], [], [], t)
    if not r: return True
    try: d = os.read(fd, 65536)
    except OSError: return False
    if not d: return False
    buf += d
    return True
pos = 0
for step in spec['steps']:
    pat = re.compile(step['expect']); deadline = time.time() + 20
    while True:
        m = pat.search(clean(buf), pos)
        if m: pos = m.end(); break
        if time.time() > deadline or not read_some(0.2):
            try: os.kill(pid, 9)
            except OSError: pass
            print(json.dumps({'error': 'no ' + step['expect'], 'transcript': clean(buf)})); sys.exit(0)
    time.sleep(0.15)
    for chunk in step.get('send', []):
        os.write(fd, chunk.encode()); time.sleep(0.08)
deadline = time.time() + 20
while time.time() < deadline and read_some(0.5): pass
_, status = os.waitpid(pid, 0)
print(json.dumps({'code': os.waitstatus_to_exitcode(status), 'transcript': clean(buf)}))
`;

interface Step {
  expect: string;
  send?: string[];
}

function inPty(args: string[], steps: Step[]): { code?: number; error?: string; transcript: string } {
  const spec = { cwd: work, argv: [process.execPath, NMS, ...args], steps, env: { NO_COLOR: '1', TERM: 'xterm' } };
  const r = spawnSync('python3', ['-c', DRIVER, JSON.stringify(spec)], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function nms(...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [NMS, ...args], {
    cwd: work,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

function secretValues(dir: string): string[] {
  const s = parse(readFileSync(join(dir, 'secrets.yaml'), 'utf8'));
  return [
    s.app_key,
    s.app_key.slice('base64:'.length),
    s.redis_password,
    s.api_token,
    ...Object.values(s.db_passwords as Record<string, string>),
  ];
}

before(() => {
  assert.ok(existsSync(NMS.endsWith('.js') ? join(ROOT, 'dist/nms.mjs') : NMS), 'run `node scripts/build.mjs` first');
  work = mkdtempSync(join(tmpdir(), 'nms-wizard-'));
  key = join(work, 'id_ed25519');
  writeTestKey(key);
});
after(() => rmSync(work, { recursive: true, force: true }));

test('the wizard in a terminal: defaults, wrong answers asked again, a valid inventory with 0600 secrets', () => {
  const r = inPty(
    ['init', 'inventory', 'prod'],
    [
      { expect: 'Cluster name', send: ['\r'] },
      { expect: 'Name of the master', send: ['nms82\r'] },
      { expect: 'Address of nms82', send: ['192.0.2.300\r'] },
      { expect: 'is not a valid IPv4 address', send: ['\x7f'.repeat(11), '192.0.2.82\r'] },
      { expect: 'What runs on nms82', send: ['\r'] },
      { expect: 'Poller groups nms82 polls', send: ['\r'] },
      { expect: 'SSH user', send: ['\r'] },
      { expect: 'SSH port', send: ['70000\r'] },
      { expect: 'a port is a whole number from 1 to 65535', send: ['\x7f'.repeat(5), '2222\r'] },
      { expect: 'SSH private key', send: [`${key}\r`] },
      { expect: 'Add a poller host', send: ['y', '\r'] },
      { expect: 'Poller name', send: ['nms83\r'] },
      { expect: 'Address of nms83', send: ['192.0.2.82\r'] },
      { expect: "192.0.2.82 is already another host's address", send: ['\x7f'.repeat(10), '192.0.2.83\r'] },
      { expect: 'What runs on nms83', send: ['\x1b[B', ' ', '\r'] }, // down to discovery, tick it
      { expect: 'Poller groups nms83 polls', send: ['0,1\r'] },
      { expect: 'Add another poller host', send: ['\r'] },
      { expect: 'Keep LibreNMS', send: ['n', '\r'] },
      { expect: 'Poller workers per host', send: ['\r'] },
      { expect: 'Seconds between polls of a device', send: ['5\r'] },
      { expect: 'enter a whole number from 10 to 86400', send: ['\x7f', '60\r'] },
      { expect: 'Discovery workers', send: ['\r'] },
      { expect: 'Seconds between discoveries', send: ['\r'] },
      { expect: 'Ping workers', send: ['\r'] },
      { expect: 'Seconds between pings', send: ['\r'] },
      { expect: 'TLS certificate', send: ['\r'] },
      { expect: 'Server name', send: ['nms.example.net\r'] },
      { expect: 'Open the master ports', send: ['\r'] },
      { expect: 'is valid' },
    ],
  );
  assert.equal(r.error, undefined, r.transcript);
  assert.equal(r.code, 0, r.transcript);
  const dir = join(work, 'inventories/prod');
  const hosts = parse(readFileSync(join(dir, 'hosts.yaml'), 'utf8'));
  assert.equal(hosts.cluster.name, 'prod');
  assert.equal(hosts.cluster.web.server_name, 'nms.example.net');
  assert.deepEqual(hosts.defaults.ssh, { user: 'root', port: 2222, key });
  assert.equal(hosts.defaults.agent.service_poller_frequency, 60);
  assert.deepEqual(hosts.hosts.nms82.roles, [
    'web',
    'mariadb',
    'rrdcached',
    'redis',
    'memcached',
    'poller',
    'discovery',
  ]);
  assert.deepEqual(hosts.hosts.nms83, {
    address: '192.0.2.83',
    roles: ['poller', 'discovery'],
    agent: { distributed_poller_group: [0, 1] },
  });
  assert.equal(statSync(join(dir, 'secrets.yaml')).mode & 0o777, 0o600);
  for (const s of secretValues(dir)) assert.ok(!r.transcript.includes(s), 'a secret value was shown');
  const check = nms('inventory', 'check', '-i', 'inventories/prod');
  assert.equal(check.code, 0, check.out);
});

test('Ctrl+C in the wizard ends it cleanly (exit 130, no stack trace) and writes nothing', () => {
  const r = inPty(
    ['init', 'inventory'],
    [
      { expect: 'Inventory name', send: ['prod\r'] },
      { expect: 'inventories/prod already holds an inventory', send: ['\x7f'.repeat(4), 'cancelled\r'] },
      { expect: 'Cluster name', send: ['\r'] },
      { expect: 'Name of the master', send: ['\x03'] },
      { expect: 'cancelled: nothing was written' },
    ],
  );
  assert.equal(r.error, undefined, r.transcript);
  assert.equal(r.code, 130, r.transcript);
  assert.doesNotMatch(r.transcript, /internal error|\n\s+at /);
  assert.ok(!existsSync(join(work, 'inventories/cancelled')));
});

test('an existing inventory is not overwritten without --force; with it, hosts change and secrets stay', () => {
  const dir = join(work, 'inventories/prod');
  const before = readFileSync(join(dir, 'secrets.yaml'), 'utf8');
  const refused = nms('init', 'inventory', 'prod', '--yes', '--master-address', '192.0.2.82', '--ssh-key', key);
  assert.equal(refused.code, 2, refused.out);
  assert.match(refused.out, /inventories\/prod already holds an inventory/);
  assert.match(refused.out, /--force/);

  writeFileSync(
    join(work, 'answers.yaml'),
    `cluster: prod
master: { name: nms82, address: 192.0.2.82, groups: [0] }
ssh: { key: ${key} }
pollers:
  - { name: nms84, address: 192.0.2.84, roles: [poller, discovery], groups: [1] }
firewall: false
`,
  );
  const r = nms('init', 'inventory', 'prod', '--answers', 'answers.yaml', '--force');
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /existing secrets kept/);
  const after = parse(readFileSync(join(dir, 'secrets.yaml'), 'utf8'));
  const old = parse(before);
  assert.equal(after.app_key, old.app_key);
  assert.equal(after.db_passwords.nms82, old.db_passwords.nms82);
  assert.deepEqual(Object.keys(after.db_passwords).sort(), ['nms82', 'nms84']);
  assert.equal(statSync(join(dir, 'secrets.yaml')).mode & 0o777, 0o600);
  const hosts = parse(readFileSync(join(dir, 'hosts.yaml'), 'utf8'));
  assert.deepEqual(Object.keys(hosts.hosts), ['nms82', 'nms84']);
  assert.equal(hosts.cluster.firewall, false);
  for (const s of secretValues(dir)) assert.ok(!r.out.includes(s), 'a secret value was printed');
});

test('flags and --yes make an inventory without questions; bad answers are all reported, exit 2', () => {
  const ok = nms(
    'init',
    'inventory',
    'flags',
    '--yes',
    '--master-address',
    '192.0.2.10',
    '--ssh-key',
    key,
    '--poller',
    'p1=192.0.2.11:0,1:poller,discovery',
    '--json',
  );
  assert.equal(ok.code, 0, ok.out);
  const res = JSON.parse(ok.out);
  assert.deepEqual(
    res.summary.hosts.map((h: { name: string }) => h.name),
    ['master', 'p1'],
  );
  for (const s of secretValues(join(work, 'inventories/flags'))) assert.ok(!ok.out.includes(s));

  writeFileSync(
    join(work, 'bad.yaml'),
    'master: { address: 999.1.1.1 }\nssh: { port: 0, key: /nonexistent/key }\nfavourite_colour: blue\n',
  );
  const bad = nms('init', 'inventory', 'bad', '--answers', 'bad.yaml');
  assert.equal(bad.code, 2, bad.out);
  assert.match(bad.out, /master\.address: is not a valid IPv4 address/);
  assert.match(bad.out, /ssh\.port: a port is a whole number from 1 to 65535/);
  assert.match(bad.out, /ssh\.key: key file \/nonexistent\/key does not exist/);
  assert.match(bad.out, /favourite_colour: not a question of this wizard/);
  assert.ok(!existsSync(join(work, 'inventories/bad')), 'nothing written when answers are wrong');
});

test('a master service left off the master goes where the answers say; TLS files become absolute paths', () => {
  // a real pair: the loader parses the certificate and checks the key matches it
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
      '/CN=nms.example.net',
      '-keyout',
      join(work, 'cert.key'),
      '-out',
      join(work, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  writeFileSync(
    join(work, 'split.yaml'),
    `master: { name: m, address: 192.0.2.20, roles: [web, mariadb, rrdcached, memcached, poller] }
ssh: { user: deploy, port: 2200, key: id_ed25519 }
pollers:
  - { name: p1, address: 192.0.2.21, roles: [poller, ping], groups: [0, 2] }
services: { redis: p1 }
tls: { cert: cert.pem, key: cert.key }
`,
  );
  const r = nms('init', 'inventory', 'split', '--answers', 'split.yaml', '--json');
  assert.equal(r.code, 0, r.out);
  const res = JSON.parse(r.out);
  assert.equal(res.summary.services.redis, 'p1');
  assert.equal(res.summary.tls, 'files');
  assert.deepEqual(res.summary.hosts[1].ssh, { user: 'deploy', port: 2200, sudo: true });
  const hosts = parse(readFileSync(join(work, 'inventories/split/hosts.yaml'), 'utf8'));
  assert.deepEqual(hosts.hosts.p1.roles, ['poller', 'ping', 'redis']);
  assert.deepEqual(hosts.cluster.tls, { cert: join(work, 'cert.pem'), key: join(work, 'cert.key') });
  assert.equal(hosts.defaults.ssh.key, key);
});
