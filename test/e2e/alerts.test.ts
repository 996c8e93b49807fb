// Issue 14's alert acceptance on the lab. Receivers listen on the lab bridge (198.18.0.1, the
// machine's side): a webhook and an SMTP sink for every rule, and a webhook that answers 500 to
// its first two requests for the service rule only (its one alert is refused twice and accepted
// on the second retry). `nms lab device down` on three devices (two of them in group 1, served by
// two pollers) and nginx stopped on the master (a service check of its HTTPS site) raise one
// alert each; the dispatcher's agent is then killed with kill -9 (the init script's supervisor
// restarts it, another node may take the dispatcher over); `up` and nginx started again give one
// recovery each, and nothing more arrives for a few intervals. Short frequencies (ping 10 s,
// poll 20 s, down retry 20 s, services 10 s, alert interval 5 s, dispatcher lock 5 s) keep the
// lab time short; how long each step took is printed, not asserted (timing belongs in
// benchmarks).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLab, inHost, nms } from './helpers/lab.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { parseSupervisorState, SUPERVISOR_STATE } from '../../lib/supervisor.js';
import type { StatusReport } from '../../cli/status/types.js';
import { copyLabInventory, deployOrFail, writeDevices } from './helpers/deploy.js';

const BRIDGE = '198.18.0.1';
const work = mkdtempSync(join(tmpdir(), 'nms-alerts-e2e-'));
const INV = join(work, 'inv');
const DEVICES = 6;
const DOWN = [1, 2, 3]; // groups 1, 0, 1: group 1 has two pollers (poller1, poller2), group 0 three
const INTERVAL = 5;
const addr = (i: number) => `198.19.0.${i + 1}`;
const measured: string[] = [];

const hook = new WebhookReceiver();
const flaky = new WebhookReceiver(2);
const sink = new SmtpSink();

type Note = Record<string, unknown>;

async function sql(query: string): Promise<string[][]> {
  const r = await inHost('master', `mysql -N -B nms -e ${JSON.stringify(query)}`);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim()
    ? r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t'))
    : [];
}

/** What went wrong, for a failure message: the outbox and the tail of the agents' logs. */
async function diagnosis(): Promise<string> {
  const out = await inHost(
    'master',
    'mysql -B nms -e "SELECT id, alert_id, transport, attempts, sent_at, failed_at, ' +
      'last_error FROM alert_notifications ORDER BY id; SELECT id, device_id, rule_id, entity, state FROM alerts"',
  );
  const logs: string[] = [];
  for (const h of ['master', 'poller1', 'poller2']) {
    const r = await inHost(h, "grep -E 'alert|dispatcher' /var/log/nms/agent.log | tail -n 8");
    logs.push(`${h}:\n${r.stdout}`);
  }
  return `${out.stdout}${out.stderr}\n${logs.join('\n')}`;
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const began = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) {
      measured.push(`${what}: ${((Date.now() - began) / 1000).toFixed(1)} s`);
      return v;
    }
    if (Date.now() - began > timeoutMs) {
      throw new Error(`${what}: not within ${timeoutMs / 1000} s\n${await diagnosis()}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function statuses(): Promise<Map<string, string>> {
  const rows = await sql('SELECT hostname, status FROM devices');
  return new Map(rows.map(([h, s]) => [h, s]));
}

/** `rule host state` of each notification, sorted: what a receiver got, comparable as a list. */
const keys = (notes: Note[]) => notes.map((n) => `${String(n.rule)} ${String(n.hostname)} ${String(n.state)}`).sort();

function expected(state: 'alert' | 'recovered'): string[] {
  return [...DOWN.map((i) => `device-down ${addr(i)} ${state}`), `service-critical ${addr(0)} ${state}`].sort();
}

const subjects = () => sink.messages.map((m) => /^Subject: (.*)$/m.exec(m.data)?.[1] ?? '?').sort();

async function deploy(): Promise<void> {
  copyLabInventory(INV);
  const hooks = [await hook.start(BRIDGE), await flaky.start(BRIDGE)];
  const smtp = await sink.start(BRIDGE);
  const hosts = join(INV, 'hosts.yaml');
  const agent =
    'agent: { service_poller_workers: 24, service_poller_frequency: 20, service_ping_frequency: 10, ' +
    'service_poller_down_retry: 20, service_services_frequency: 10, service_master_timeout: 5 }';
  const shipped = /agent: \{ service_poller_workers: \d+, service_poller_frequency: \d+ \}/;
  const text = readFileSync(hosts, 'utf8').replace(shipped, agent);
  assert.match(text, /service_master_timeout: 5/);
  writeFileSync(hosts, text);
  const devices = Array.from({ length: DEVICES }, (_, i) => {
    const args = "['-S', '-p', '443', '-e', 'HTTP/', '-t', '5']";
    const https = `{ type: http, name: master-https, ip: 198.18.0.10, args: ${args} }`;
    const svc = i === 0 ? `, services: [${https}]` : '';
    return `  - { hostname: ${addr(i)}, poller_group: ${i % 2}, snmp: { version: v2c, community: public }${svc} }`;
  });
  writeDevices(INV, devices);
  // only the rules this test drives: the recordings' ports, sensors and disks stay out of it
  writeFileSync(
    join(INV, 'alerts.yaml'),
    [
      `interval: ${INTERVAL}`,
      'rules:',
      '  - { name: port-down, disabled: true }',
      '  - { name: sensor, disabled: true }',
      '  - { name: storage-full, disabled: true }',
      '  - { name: device-down, transports: [hook, mail] }',
      '  - { name: service-critical, transports: [hook, flaky, mail] }',
      'transports:',
      '  - { name: hook, type: webhook, timeout: 5, retries: 3, backoff: 1 }',
      '  - { name: flaky, type: webhook, timeout: 5, retries: 5, backoff: 1 }',
      `  - { name: mail, type: email, host: ${BRIDGE}, port: ${smtp}, timeout: 5,`,
      '      from: nms@lab.test, to: [noc@lab.test] }',
      '',
    ].join('\n'),
  );
  appendFileSync(
    join(INV, 'secrets.yaml'),
    [
      '\nalert_transports:',
      `  hook: { url: "http://${BRIDGE}:${hooks[0]}/alerts" }`,
      `  flaky: { url: "http://${BRIDGE}:${hooks[1]}/alerts" }`,
      '',
    ].join('\n'),
  );
  const check = await nms(['inventory', 'check', '-i', INV]);
  assert.equal(check.code, 0, `inventory check: ${check.stdout}${check.stderr}`);
  await deployOrFail(INV);
  // with the cluster's firewall in place, every host reaches the receivers on the bridge
  await reachable([...hooks, smtp]);
}

/**
 * Every cluster host (each may become the dispatcher) opens a TCP connection to each receiver on
 * the bridge: no firewall between them. A bare connection is no request: the receivers record
 * nothing.
 */
async function reachable(ports: number[]): Promise<void> {
  const js =
    `const net=require('node:net');let n=0;for(const p of ${JSON.stringify(ports)}){` +
    `const s=net.connect(p,'${BRIDGE}',()=>{s.destroy();if(++n===${ports.length})process.exit(0)});` +
    `s.on('error',(e)=>{console.error(p+': '+e.message);process.exit(1)})}setTimeout(()=>process.exit(3),5000)`;
  for (const h of ['master', 'poller1', 'poller2']) {
    const r = await inHost(h, `node -e "${js}"`);
    assert.equal(r.code, 0, `${h} cannot reach the receivers on ${BRIDGE}: ${r.stderr}${r.stdout}`);
  }
}

/** The node holding the dispatcher lock, as `nms status` shows it. */
async function dispatcher(): Promise<string | undefined> {
  const r = await nms(['status', '-i', INV, '--json'], 120_000);
  try {
    return (JSON.parse(r.stdout) as StatusReport).nodes.find((n) => n.dispatcher)?.name;
  } catch {
    return undefined;
  }
}

describe('alerts on the lab', { timeout: 900_000 }, () => {
  before(async () => {
    assert.equal(process.getuid?.(), 0, 'the lab needs root');
    await ensureLab(2, DEVICES);
    await deploy();
    await until(
      'every device up after deploy',
      async () => {
        const s = await statuses();
        return s.size === DEVICES && [...s.values()].every((v) => v === '1') ? true : undefined;
      },
      180_000,
    );
    await until(
      'service check OK',
      async () => {
        const r = await sql("SELECT service_status FROM services WHERE service_name = 'master-https'");
        return r[0]?.[0] === '0' ? true : undefined;
      },
      60_000,
    );
  });

  after(async () => {
    await nms(['lab', 'device', 'up', ...DOWN.map(String)]);
    await inHost('master', '/etc/init.d/nginx start >/dev/null 2>&1 || true');
    await Promise.all([hook.close(), flaky.close(), sink.close()]);
    rmSync(work, { recursive: true, force: true });
    process.stderr.write(`alerts timings: ${measured.join('; ')}\n`);
    await nms(['lab', 'down']); // one lab per machine: none is left up
  });

  it('one alert and one recovery per device and service, across a kill -9 of the dispatcher', async () => {
    // nothing is wrong yet: nobody has been told anything
    assert.deepEqual(keys(hook.accepted), [], 'notifications before anything went down');
    assert.equal(sink.messages.length, 0);

    assert.equal((await nms(['lab', 'device', 'down', ...DOWN.map(String)])).code, 0);
    assert.equal((await inHost('master', '/etc/init.d/nginx stop')).code, 0);
    const alerts = expected('alert');
    await until('alerts at the webhook', () => (hook.accepted.length >= alerts.length ? true : undefined), 120_000);
    await until('the alert at the flaky webhook', () => (flaky.accepted.length >= 1 ? true : undefined), 60_000);
    await until('alert mails at the sink', () => (sink.messages.length >= alerts.length ? true : undefined), 60_000);
    assert.deepEqual(keys(hook.accepted), alerts);
    // the flaky receiver refused the service alert twice and accepted it on the second retry
    assert.deepEqual(keys(flaky.accepted), [`service-critical ${addr(0)} alert`]);
    assert.deepEqual(
      flaky.refused.map((r) => r.log_id),
      [flaky.accepted[0].log_id, flaky.accepted[0].log_id],
    );
    const outbox = await sql(
      'SELECT attempts, sent_at IS NOT NULL, failed_at IS NULL FROM alert_notifications ' +
        `WHERE transport = 'flaky' AND alert_log_id = ${Number(flaky.accepted[0].log_id)}`,
    );
    assert.deepEqual(outbox, [['3', '1', '1']], 'three attempts, sent, not failed');
    for (const n of hook.accepted.filter((x) => x.rule === 'device-down')) {
      assert.equal(n.severity, 'critical');
      assert.equal(n.message, `Device ${String(n.hostname)} is down (icmp)`);
    }
    const mails = subjects();
    assert.deepEqual(
      mails.filter((s) => s.startsWith('CRITICAL device-down')),
      DOWN.map((i) => `CRITICAL device-down: Device ${addr(i)} is down (icmp)`).sort(),
    );
    assert.equal(mails.filter((s) => s.startsWith('CRITICAL service-critical')).length, 1, mails.join(' | '));
    assert.deepEqual(sink.messages[0].to, ['noc@lab.test']);

    // kill -9 the dispatcher's agent in its lab host; its supervisor starts a new one
    const holder = await until('the dispatcher named by nms status', dispatcher, 60_000);
    const killed = parseSupervisorState((await inHost(holder, `cat ${SUPERVISOR_STATE}`)).stdout);
    assert.ok(killed.child, `${holder}: an agent runs`);
    assert.equal((await inHost(holder, `kill -9 ${killed.child}`)).code, 0);
    await until(
      `${holder}'s agent restarted`,
      async () => {
        const s = parseSupervisorState((await inHost(holder, `cat ${SUPERVISOR_STATE}`)).stdout);
        return s.child && s.child !== killed.child && s.state === 'running' ? true : undefined;
      },
      60_000,
    );

    assert.equal((await nms(['lab', 'device', 'up', ...DOWN.map(String)])).code, 0);
    assert.equal((await inHost('master', '/etc/init.d/nginx start')).code, 0);
    const all = [...alerts, ...expected('recovered')].sort();
    await until('recoveries at the webhook', () => (hook.accepted.length >= all.length ? true : undefined), 120_000);
    await until('the recovery at the flaky webhook', () => (flaky.accepted.length >= 2 ? true : undefined), 60_000);
    await until('recovery mails at the sink', () => (sink.messages.length >= all.length ? true : undefined), 60_000);
    const successor = await dispatcher();
    // a few intervals more: nothing else arrives (no second alert or recovery from any dispatcher)
    await new Promise((r) => setTimeout(r, INTERVAL * 3 * 1000));
    assert.deepEqual(keys(hook.accepted), all);
    const svc = `service-critical ${addr(0)}`;
    assert.deepEqual(keys(flaky.accepted), [`${svc} alert`, `${svc} recovered`]);
    assert.equal(flaky.refused.length, 2);
    assert.equal(sink.messages.length, all.length, subjects().join(' | '));
    const recovered = subjects().filter((s) => s.startsWith('RECOVERED'));
    assert.equal(recovered.length, expected('recovered').length, subjects().join(' | '));
    // each recovery came after its alert, on every webhook
    for (const got of [hook.accepted, flaky.accepted]) {
      for (const r of got.filter((n) => n.state === 'recovered')) {
        const a = got.findIndex((n) => n.state === 'alert' && n.alert_id === r.alert_id);
        assert.ok(a >= 0 && a < got.indexOf(r), `recovery of alert ${String(r.alert_id)} after its alert`);
      }
    }
    measured.push(`dispatcher ${holder} (agent ${killed.child} killed), then ${successor ?? '?'}`);
    measured.push(
      `webhook: ${hook.accepted.length} accepted; flaky: ${flaky.accepted.length} accepted, ` +
        `${flaky.refused.length} refused; mails: ${sink.messages.length}`,
    );
  });
});
