// Hostile strings in every string field of an inventory, one at a time (issue 16.4): each is
// refused by the loader (`nms inventory check` runs the same code) with a problem located at
// that field, or it renders into files whose own validators accept it (nginx -t, nft -c,
// mariadbd, sh -n, our parsers for redis, memcached and rrdcached, the agent's .env and
// config.yaml readers) with the value as one token, and into SQL as one string literal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, parseDocument } from 'yaml';
import { loadInventory } from '../../cli/inventory/load.js';
import { formatPath, type FieldPath } from '../../cli/inventory/source.js';
import { InventoryError } from '../../lib/errors.js';
import { buildPlan, type HostPlan } from '../../cli/deploy/plan.js';
import { DEBIAN } from '../../cli/deploy/profile.js';
import { TemplateRenderer } from '../../cli/deploy/render.js';
import { deviceChanges } from '../../cli/deploy/database.js';
import { parseDotenv } from '../../lib/node-config.js';
import type { Inventory } from '../../cli/inventory/types.js';

const ROOT = resolve(import.meta.dirname, '../..');
const renderer = new TemplateRenderer(join(ROOT, 'templates'));
const FILES = ['hosts.yaml', 'devices.yaml', 'secrets.yaml'] as const;

const HOSTILE = [
  'nms.lab; } server { listen 8081; root /; #',
  'two\nlines',
  'x"; y',
  "x' y",
  '$(touch /tmp/nms-pwned)',
  '`id`',
  '../../../etc/passwd',
  '-oProxyCommand=sh',
  '#',
  '{{cluster.name}}',
  'back\\slash',
  'rtl\u202egnp.exe',
  'x'.repeat(300),
  'tab\there',
  'semi;colon',
  '%s%n%x',
  'nul\u0000byte',
  ' leading-space',
  'ünïcödé',
  '*',
];

let work: string;
let base: string;
let originals: Record<string, string>;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'nms-hostile-'));
  base = join(work, 'base');
  cpSync(join(ROOT, 'test/fixtures/inventories/base'), base, { recursive: true });
  // Every optional string field set, so each can be tried.
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(base, 'id_ed25519')]);
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
      join(base, 'tls.key'),
      '-out',
      join(base, 'tls.crt'),
    ],
    { stdio: 'ignore' },
  );
  const hosts = parseDocument(readFileSync(join(base, 'hosts.yaml'), 'utf8'));
  hosts.setIn(['cluster', 'mariadb'], { port: 3306, database: 'nms' });
  hosts.setIn(['cluster', 'rrdcached'], { base_dir: '/var/lib/nms/rrd' });
  hosts.setIn(['cluster', 'web', 'server_name'], 'nms.example.net');
  hosts.setIn(['cluster', 'tls'], { cert: 'tls.crt', key: 'tls.key' });
  hosts.setIn(['defaults', 'os'], 'debian');
  hosts.setIn(['defaults', 'agent', 'service_loglevel'], 'INFO');
  writeFileSync(join(base, 'hosts.yaml'), String(hosts));
  const secrets = parseDocument(readFileSync(join(base, 'secrets.yaml'), 'utf8'));
  secrets.set('db_admin_password', 'fixture-admin-password');
  writeFileSync(join(base, 'secrets.yaml'), String(secrets));
  chmodSync(join(base, 'secrets.yaml'), 0o600);
  if (existsSync(join(base, 'devices.yaml'))) chmodSync(join(base, 'devices.yaml'), 0o600); // it holds communities
  originals = Object.fromEntries(FILES.map((f) => [f, readFileSync(join(base, f), 'utf8')]));
  cpSync(base, join(work, 'case'), { recursive: true });
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Paths of every string value in a YAML text. */
function stringFields(text: string): FieldPath[] {
  const out: FieldPath[] = [];
  const walk = (v: unknown, at: FieldPath): void => {
    if (typeof v === 'string') out.push(at);
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
  };
  walk(parse(text), []);
  return out;
}

function plans(inv: Inventory): HostPlan[] {
  return inv.hosts.map((host) =>
    buildPlan({
      inventory: inv,
      host,
      profile: DEBIAN,
      renderer,
      systemd: false,
      existingNodeId: `node-${host.name}`,
      hostNode: '/usr/bin/node',
      agentBundle: Buffer.from('// bundle'),
      localNodePath: process.execPath,
    }),
  );
}

/** The string literals of SQL text (MariaDB: '' and backslash escapes) and what is outside them. */
function sqlLiterals(sql: string): { literals: string[]; outside: string } {
  const literals: string[] = [];
  let outside = '';
  for (let i = 0; i < sql.length; i++) {
    if (sql[i] !== "'") {
      outside += sql[i];
      continue;
    }
    let lit = '';
    for (i++; i < sql.length; i++) {
      if (sql[i] === '\\') lit += { '0': '\0', n: '\n', t: '\t' }[sql[++i]] ?? sql[i];
      else if (sql[i] === "'" && sql[i + 1] === "'") lit += sql[i++];
      else if (sql[i] === "'") break;
      else lit += sql[i];
    }
    literals.push(lit);
    outside += '?';
  }
  return { literals, outside };
}

/** Runs a plan file's remote check (a validator command with {} for the file) when its tool is here. */
function remoteCheck(check: string, content: string): string | undefined {
  const tool = check.split(' ')[0];
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return undefined;
  const dir = mkdtempSync(join(work, 'check-'));
  try {
    let text = content;
    if (tool === 'nginx') {
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
        { stdio: 'ignore' },
      );
      text = text.replace('/etc/nms/tls/nms.crt', join(dir, 'c')).replace('/etc/nms/tls/nms.key', join(dir, 'k'));
    }
    writeFileSync(join(dir, 'f'), text);
    const r = spawnSync('sh', ['-c', check.replace(/\{\}/g, join(dir, 'f'))], { encoding: 'utf8', timeout: 20_000 });
    return r.status === 0 ? undefined : `${check}: ${r.stdout}${r.stderr}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const count = (s: string, v: string): number => s.split(v).length - 1;

/**
 * Where `value` landed in a rendered file (more occurrences than in the base inventory's), it
 * is one whole token there, or one value as the agent parses .env and config.yaml.
 */
function oneToken(path: string, content: string, before: string, value: string): boolean {
  if (path.endsWith('.env')) return Object.values(parseDotenv(content)).includes(value);
  if (path.endsWith('.yaml')) return JSON.stringify(parse(content)).includes(JSON.stringify(value));
  const esc = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const whole = new RegExp(`(^|[\\s=])${esc}(?=$|[\\s;])`, 'gm');
  const tokens = (s: string): number => s.match(whole)?.length ?? 0;
  return tokens(content) - tokens(before) === count(content, value) - count(before, value);
}

let baseFiles: Map<string, string>;

/** Every file of every host is accepted by its validators and carries the value as one token. */
function checkRendered(inv: Inventory, value: string, where: string): void {
  for (const p of plans(inv))
    for (const f of p.files) {
      const content = f.content.toString('utf8');
      const before = baseFiles.get(`${p.host.name}:${f.path}`) ?? '';
      if (count(content, value) <= count(before, value)) continue;
      assert.equal(f.localCheck?.(content), undefined, `${where}: ${f.path} fails its check`);
      if (f.remoteCheck) assert.equal(remoteCheck(f.remoteCheck, content), undefined, `${where}: ${f.path}`);
      assert.ok(
        oneToken(f.path, content, before, value),
        `${where}: ${JSON.stringify(value)} is not one token in ${p.host.name}:${f.path}`,
      );
    }
  const sql = sqlLiterals(deviceChanges(inv, [], false).sql).outside;
  assert.ok(!(sql.includes(value) && value.length > 2), `${where}: value outside a SQL literal`);
  assert.equal(sql.split(';').length, inv.devices.length + 1, `${where}: one statement per device`);
}

/** Writes one file of the inventory in `dir` (a copy of the base) with one value changed. */
function withValue(file: string, path: FieldPath, value: string, dir = join(work, 'case')): string {
  for (const f of FILES) writeFileSync(join(dir, f), originals[f]);
  const doc = parseDocument(originals[file]);
  doc.setIn(path, value);
  writeFileSync(join(dir, file), String(doc));
  return dir;
}

test('the full base inventory is valid and its rendered files pass their validators', async () => {
  const inv = await loadInventory(base);
  baseFiles = new Map(
    plans(inv).flatMap((p) => p.files.map((f) => [`${p.host.name}:${f.path}`, f.content.toString('utf8')] as const)),
  );
  for (const p of plans(inv))
    for (const f of p.files)
      if (f.remoteCheck) assert.equal(remoteCheck(f.remoteCheck, f.content.toString('utf8')), undefined, f.path);
  const nginx = plans(inv)
    .flatMap((p) => p.files)
    .find((f) => f.path.endsWith('nginx.conf'));
  assert.ok(nginx && nginx.content.toString().includes('server_name nms.example.net;'));
});

test(
  'every hostile string in every string field: refused at that field, or one valid token',
  { timeout: 300_000 },
  async () => {
    let refused = 0;
    let accepted = 0;
    for (const file of FILES) {
      const fields = stringFields(originals[file]);
      assert.ok(fields.length >= (file === 'hosts.yaml' ? 15 : 3), `${file}: ${fields.length} string fields`);
      for (const path of fields)
        for (const value of HOSTILE) {
          const where = `${file} ${formatPath(path)} = ${JSON.stringify(value).slice(0, 50)}`;
          const dir = withValue(file, path, value);
          let inv: Inventory | undefined;
          try {
            inv = await loadInventory(dir);
          } catch (err) {
            assert.ok(err instanceof InventoryError, `${where}: ${String(err)}`);
            const at = err.problems.find(
              (p) => p.file === join(dir, file) && p.path === formatPath(path) && p.line !== undefined,
            );
            assert.ok(at, `${where}: no problem located at the field:\n${err.message}`);
            refused++;
            continue;
          }
          checkRendered(inv, value, where);
          accepted++;
        }
    }
    assert.ok(refused > 0 && refused + accepted > 300, `${refused} refused, ${accepted} accepted`);
  },
);

test("the issue's server_name is refused by `nms inventory check` with its place", async () => {
  const dir = withValue('hosts.yaml', ['cluster', 'web', 'server_name'], 'nms.lab; } server { listen 8081; root /; #');
  await assert.rejects(
    loadInventory(dir),
    (e: unknown) =>
      e instanceof InventoryError &&
      /hosts\.yaml:\d+:\d+ cluster\.web\.server_name: must be an IP address or DNS name/.test(e.message),
  );
});
