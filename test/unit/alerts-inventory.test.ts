// alerts.yaml in an inventory: a good one normalises (built-in rules replaced by name, secrets
// from secrets.yaml kept apart); a bad one gives every problem with file, line and field; deploy
// renders the rules into config.yaml and the secrets into .env only, and --diff masks them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadInventory } from '../../cli/inventory/load.js';
import { buildPlan } from '../../cli/deploy/plan.js';
import { DEBIAN } from '../../cli/deploy/profile.js';
import { TemplateRenderer } from '../../cli/deploy/render.js';
import { SecretMasker } from '../../cli/deploy/diff.js';
import { InventoryError } from '../../lib/errors.js';
import { parseDotenv, validateEnv, validateSettings } from '../../lib/node-config.js';
import { alertsFromSettings } from '../../lib/alerts.js';

const ROOT = resolve(import.meta.dirname, '../..');
const HOOK_URL = 'https://hooks.example.invalid/services/T000/B000/verysecretpath';
let work: string;
before(() => (work = mkdtempSync(join(tmpdir(), 'nms-alerts-inv-'))));
after(() => rmSync(work, { recursive: true, force: true }));

function inventory(name: string, alertsYaml: string, secretsExtra = ''): string {
  const dir = join(work, name);
  cpSync(join(ROOT, 'inventories/seed-example'), dir, { recursive: true });
  writeFileSync(join(dir, 'alerts.yaml'), alertsYaml);
  if (secretsExtra) appendFileSync(join(dir, 'secrets.yaml'), secretsExtra);
  chmodSync(join(dir, 'secrets.yaml'), 0o600);
  return dir;
}

const GOOD = `interval: 30
rules:
  - name: device-down
    delay: 120
    transports: [noc]
  - name: disk-critical
    kind: storage
    threshold: 97
    severity: critical
transports:
  - { name: noc, type: slack, channel: "#noc" }
  - name: mail
    type: email
    host: smtp.example.invalid
    user: nms
    from: nms@example.invalid
    to: [noc@example.invalid]
`;
const GOOD_SECRETS = `alert_transports:
  noc: { url: "${HOOK_URL}" }
  mail: { password: smtp-password-123 }
`;

test('a good alerts.yaml: built-in rules replaced by name, secrets kept apart', async () => {
  const inv = await loadInventory(inventory('good', GOOD, GOOD_SECRETS), { checkFiles: false });
  const a = inv.alerts!;
  assert.equal(a.settings.interval, 30);
  const base = { severity: 'critical', disabled: false };
  const first = { ...base, name: 'device-down', kind: 'device_down', delay: 120, transports: ['noc'] };
  assert.deepEqual(a.settings.rules[0], first);
  assert.deepEqual(a.settings.rules[1], { ...base, name: 'disk-critical', kind: 'storage', delay: 0, threshold: 97 });
  assert.ok(!JSON.stringify(a.settings).includes('verysecretpath'));
  assert.deepEqual(a.secrets, { noc: { url: HOOK_URL }, mail: { password: 'smtp-password-123' } });
});

test('every problem of a bad alerts.yaml with its line and field', async () => {
  const bad = `rules:
  - name: my-rule
  - name: disk
    kind: storage
    cycles: 3
    transports: [nowhere]
  - { name: x, kind: port_down, severity: urgent }
transports:
  - { name: hook, type: webhook }
  - { name: mail, type: email, host: smtp.invalid }
  - { name: t, type: pager, url: "ftp://x" }
`;
  const ghost = 'alert_transports:\n  ghost: { url: "https://x.invalid/" }\n';
  await assert.rejects(loadInventory(inventory('bad', bad, ghost), { checkFiles: false }), (err: unknown) => {
    assert.ok(err instanceof InventoryError);
    const got = err.problems
      .filter((p) => p.file.endsWith('alerts.yaml') || p.path?.startsWith('alert_transports'))
      .map((p) => `${p.line} ${p.path}: ${p.message}`);
    assert.equal(got.length, 10, got.join('\n'));
    const text = got.join('\n');
    assert.match(text, /^2 rules\[0\]: rule my-rule needs a kind/m);
    assert.match(text, /^5 rules\[1\]\.cycles: cycles applies to kind poller_down only/m);
    assert.match(text, /^6 rules\[1\]\.transports\[0\]: no transport named nowhere/m);
    assert.match(text, /^7 rules\[2\]\.severity: must be one of ok, warning, critical \(got "urgent"\)/m);
    assert.match(text, /^9 transports\[0\]: transport hook needs a url/m);
    assert.match(text, /^10 transports\[1\]: email transport mail needs from/m);
    assert.match(text, /^11 transports\[2\]\.type: must be one of webhook, slack, email/m);
    assert.match(text, /^11 transports\[2\]\.url: must be an http:\/\/ or https:\/\/ URL/m);
    assert.match(text, /alert_transports\.ghost: no transport named ghost in alerts\.yaml/);
    return true;
  });
});

test('syslog rules: the fields kept; a missing or bad match, a wrong level and misplaced fields refused', async () => {
  const good = `rules:
  - { name: bgp-down, kind: syslog, match: "BGP_.*(Idle|Down)", program: rpd, level: err, within: 600 }
  - { name: any-panic, kind: syslog, match: panic }
`;
  const inv = await loadInventory(inventory('syslog-good', good), { checkFiles: false });
  const base = { severity: 'critical', delay: 0, disabled: false };
  const bgp = {
    name: 'bgp-down',
    kind: 'syslog',
    match: 'BGP_.*(Idle|Down)',
    program: 'rpd',
    level: 'err',
    within: 600,
  };
  assert.deepEqual(inv.alerts!.settings.rules, [
    { ...base, ...bgp },
    { ...base, name: 'any-panic', kind: 'syslog', match: 'panic' },
  ]);
  const bad = `rules:
  - { name: no-match, kind: syslog, program: sshd }
  - name: bad-pattern
    kind: syslog
    match: "link (down"
  - { name: empty, kind: syslog, match: "" }
  - { name: loud, kind: syslog, match: x, level: error, within: 0 }
  - { name: disk, kind: storage, match: x, within: 60 }
`;
  await assert.rejects(loadInventory(inventory('syslog-bad', bad), { checkFiles: false }), (err: unknown) => {
    assert.ok(err instanceof InventoryError);
    const got = err.problems
      .filter((p) => p.file.endsWith('alerts.yaml'))
      .map((p) => `${p.line} ${p.path}: ${p.message}`);
    const text = got.join('\n');
    assert.equal(got.length, 7, text);
    assert.match(text, /^2 rules\[0\]\.match: rule no-match of kind syslog needs match \(a regular expression\)/m);
    assert.match(
      text,
      /^5 rules\[1\]\.match: rule bad-pattern of kind syslog match is not a valid regular expression/m,
    );
    assert.match(text, /^6 rules\[2\]\.match: must not be empty/m);
    assert.match(
      text,
      /^7 rules\[3\]\.level: must be one of emerg, alert, crit, err, warning, notice, info, debug, 0/m,
    );
    assert.match(text, /^7 rules\[3\]\.within: must be from 1 to 86400/m);
    assert.match(text, /^8 rules\[4\]\.match: match applies to kind syslog only/m);
    assert.match(text, /^8 rules\[4\]\.within: within applies to kind syslog only/m);
    return true;
  });
});

test('deploy: rules in config.yaml, secrets only in .env, both accepted by the agent; --diff masks them', async () => {
  const inv = await loadInventory(inventory('deploy', GOOD, GOOD_SECRETS), { checkFiles: false });
  const host = inv.hosts[1];
  const plan = buildPlan({
    inventory: inv,
    host,
    profile: DEBIAN,
    renderer: new TemplateRenderer(join(ROOT, 'templates')),
    systemd: false,
    existingNodeId: 'n1',
    hostNode: '/usr/bin/node',
    agentBundle: Buffer.from('b'),
    localNodePath: process.execPath,
  });
  const file = (p: string) => plan.files.find((f) => f.path === p)!.content.toString('utf8');
  const settings = validateSettings(parseYaml(file('/etc/nms/config.yaml')), 'config.yaml');
  const env = validateEnv(parseDotenv(file('/etc/nms/.env')), '.env');
  assert.ok(!file('/etc/nms/config.yaml').includes('verysecretpath'), 'no secret in config.yaml');
  const { config, problems } = alertsFromSettings(settings.alerts, env.ALERT_SECRETS);
  assert.deepEqual(problems, []);
  assert.equal(config.rules.length, 7, 'six built-in (one replaced) and one own');
  assert.equal(config.transports.find((t) => t.name === 'noc')?.url, HOOK_URL);
  assert.equal(config.transports.find((t) => t.name === 'mail')?.password, 'smtp-password-123');
  const masked = SecretMasker.forInventory(inv).mask(file('/etc/nms/.env'));
  assert.ok(!masked.includes('verysecretpath') && !masked.includes('smtp-password-123'));
});

test('without alerts.yaml the agent gets the built-in rules and no transports', async () => {
  const dir = join(work, 'none');
  cpSync(join(ROOT, 'inventories/seed-example'), dir, { recursive: true });
  const inv = await loadInventory(dir, { checkFiles: false });
  assert.equal(inv.alerts, undefined);
  const { config } = alertsFromSettings(undefined, '');
  assert.equal(config.rules.length, 6);
  assert.deepEqual(config.transports, []);
});
