// Alerts with real agents (`nms-agent run --dry-run`), real MariaDB, Redis and memcached: two
// agents, three devices made down and up by writing the rows a poller writes. A webhook
// receiver gets exactly one alert per device going down and one recovery, although the
// dispatcher is killed (-9) between the two; a receiver that answers 500 twice gets every
// notification on a retry; an SMTP sink receives the mails; the transports' secrets never
// appear in the agents' logs; a notification left in the outbox (its receiver away) when the
// dispatcher dies is delivered by the next one, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RowDataPacket } from 'mysql2/promise';
import { Redis } from 'ioredis';
import { generateAppKey } from '../../lib/crypto.js';
import { migrate, openDb, type Db } from '../../agent/db/index.js';
import { CoordKeys } from '../../agent/coord/keys.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { waitFor } from '../helpers/wait.js';
import { SERVICES, agentEnv } from '../helpers/services.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const DB_NAME = `nms_alerts_cluster_${process.pid}`;
const PREFIX = `alerttest${process.pid}`;
const APP_KEY = generateAppKey();
const { host: REDIS_HOST, port: REDIS_PORT } = SERVICES.redis;
const { host: MC_HOST, port: MC_PORT } = SERVICES.memcached;
const DB = { host: '127.0.0.1', port: 13306, user: 'nmstest', password: 'nmstest', database: DB_NAME };
/** In the webhook path and the SMTP password: must never show in a log line. */
const SECRET = `s3cret${randomBytes(8).toString('hex')}`;

interface Agent {
  name: string;
  dir: string;
  proc?: ChildProcess;
  log: string[];
}

function writeConfig(a: Agent, alerts: unknown, secrets: unknown): void {
  const extra = [`ALERT_SECRETS=${JSON.stringify(secrets)}`];
  writeFileSync(join(a.dir, '.env'), agentEnv({ database: DB_NAME, appKey: APP_KEY, nodeId: `node-${a.name}`, extra }));
  const settings = [
    `distributed_poller_name: ${a.name}`,
    'distributed_poller_group: [0]',
    'cluster_address: 127.0.0.1',
    `distributed_poller_memcached_host: ${MC_HOST}`,
    `distributed_poller_memcached_port: ${MC_PORT}`,
    // devices are never due (polled "now" below): the test alone decides their state
    'service_poller_frequency: 3600',
    'service_discovery_frequency: 86400',
    'service_poller_down_retry: 3600',
    'service_master_timeout: 4',
    'service_poller_workers: 2',
    'metrics_port: 0',
    `alerts: ${JSON.stringify(alerts)}`,
    '',
  ];
  writeFileSync(join(a.dir, 'config.yaml'), settings.join('\n'));
}

function startAgent(a: Agent): void {
  const args = ['--import', 'tsx', 'agent/main.ts', '--env', join(a.dir, '.env'), 'run', '--dry-run', '--drain', '2'];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, NMS_KEY_PREFIX: PREFIX },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  a.proc = proc;
  for (const s of [proc.stdout!, proc.stderr!]) s.on('data', (c: Buffer) => a.log.push(c.toString('utf8')));
}

/** Runs a one-shot agent command with an agent's config; returns exit code and stdout. */
function agentCmd(a: Agent, args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'agent/main.ts', '--env', join(a.dir, '.env'), ...args], {
    cwd: ROOT,
    env: { ...process.env, NMS_KEY_PREFIX: PREFIX },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const byDevice = (list: Record<string, unknown>[], rule = 'device-down') =>
  list
    .filter((p) => p.rule === rule)
    .map((p) => `${p.device_id} ${p.state}`)
    .sort();

/** The receivers: a webhook, one that answers 500 twice, a Slack-style one, an SMTP sink. */
interface Receivers {
  hook: WebhookReceiver;
  flaky: WebhookReceiver;
  chat: WebhookReceiver;
  sink: SmtpSink;
  /** Away (503) until the dispatcher has been killed: its alerts wait in the outbox. */
  gate: WebhookReceiver;
}

/** config.yaml's `alerts` and ALERT_SECRETS for the receivers (the URLs carry the secret). */
async function alertConfig(r: Receivers): Promise<{ alerts: unknown; secrets: unknown }> {
  const hookPort = await r.hook.start();
  const flakyPort = await r.flaky.start();
  const chatPort = await r.chat.start();
  const smtpPort = await r.sink.start();
  const gatePort = await r.gate.start();
  const mail = { host: '127.0.0.1', port: smtpPort, user: 'nms', from: 'nms@lab.invalid', to: ['noc@lab.invalid'] };
  const alerts = {
    interval: 1,
    transports: [
      { name: 'hook', type: 'webhook', headers: { 'x-team': 'net' } },
      { name: 'flaky', type: 'webhook', backoff: 1, retries: 3, timeout: 5 },
      { name: 'chat', type: 'slack', channel: '#noc' },
      { name: 'mail', type: 'email', ...mail },
      { name: 'gate', type: 'webhook', backoff: 1, retries: 30, timeout: 2 },
    ],
  };
  const url = (port: number, path: string) => `http://127.0.0.1:${port}/${path}/${SECRET}`;
  const secrets = {
    hook: { url: url(hookPort, 'hook'), headers: { authorization: `Bearer ${SECRET}` } },
    flaky: { url: url(flakyPort, 'flaky') },
    chat: { url: url(chatPort, 'services') },
    mail: { password: SECRET },
    gate: { url: url(gatePort, 'gate') },
  };
  return { alerts, secrets };
}

/** Each transport got one alert per device; the flaky one after two refusals. */
async function checkAlerts(db: Db, { hook, flaky, chat, sink }: Receivers): Promise<void> {
  assert.deepEqual(byDevice(hook.accepted), ['1 alert', '2 alert', '3 alert']);
  assert.equal(hook.headers[0].authorization, `Bearer ${SECRET}`, 'secret header from ALERT_SECRETS');
  assert.equal(hook.headers[0]['x-team'], 'net');
  assert.equal(flaky.refused.length, 2, 'the flaky receiver refused twice');
  assert.deepEqual(byDevice(flaky.accepted), ['1 alert', '2 alert', '3 alert'], 'and got each alert on a retry');
  // the receiver answers before the sender records the attempt: wait for the rows, then check
  const sql = "SELECT SUM(attempts) AS a FROM alert_notifications WHERE transport = 'flaky'";
  const attempts = async () => Number((await db.query<RowDataPacket[]>(sql))[0][0].a);
  await waitFor('the flaky transport records its attempts', async () => (await attempts()) >= 5, 10_000).catch(
    () => undefined,
  );
  assert.equal(await attempts(), 5, 'five attempts: three deliveries and two refusals');
  assert.match(String(chat.accepted[0].text), /CRITICAL device-down: Device sw\d is down \(icmp\)/);
  assert.equal(chat.accepted[0].channel, '#noc');
  assert.deepEqual(sink.messages[0].to, ['noc@lab.invalid']);
  assert.match(sink.messages[0].data, /Subject: CRITICAL device-down: Device sw\d is down \(icmp\)/);
}

/** `nms-agent alert list` and cluster-status show the three; one is acknowledged (twice: exit 2). */
function listAndAck(agents: Agent[]): void {
  const listed = agentCmd(agents[0], ['alert', 'list', '--json']);
  assert.equal(listed.code, 0, listed.err);
  const active = JSON.parse(listed.out) as { count: number; alerts: { id: number; hostname: string; state: string }[] };
  assert.deepEqual(active.alerts.map((x) => x.hostname).sort(), ['sw1', 'sw2', 'sw3']);
  const view = JSON.parse(agentCmd(agents[0], ['cluster-status', '--json']).out) as { alerts?: { id: number }[] };
  assert.deepEqual(view.alerts?.map((x) => x.id).sort(), active.alerts.map((x) => x.id).sort());
  const id = String(active.alerts[0].id);
  const acked = agentCmd(agents[1], ['alert', 'ack', id, '--note', 'on it', '--json']);
  assert.equal(acked.code, 0, acked.err);
  assert.equal((JSON.parse(acked.out) as { alert: { state_name: string; note: string } }).alert.note, 'on it');
  const again = agentCmd(agents[1], ['alert', 'ack', id]);
  assert.equal(again.code, 2, 'acknowledging twice is a user mistake');
  assert.match(again.err, /is acknowledged: only an alerting alert can be acknowledged/);
}

const TITLE = 'two agents: one alert and one recovery per device across a dispatcher kill; retries; mail';

test(TITLE, { timeout: 180_000 }, async (t) => {
  const admin = await openDb(DB, { createDatabase: true });
  const rx: Receivers = {
    hook: new WebhookReceiver(),
    flaky: new WebhookReceiver(2),
    chat: new WebhookReceiver(),
    sink: new SmtpSink(),
    gate: new WebhookReceiver(),
  };
  rx.gate.down = true;
  const redis = new Redis({
    host: REDIS_HOST,
    port: Number(REDIS_PORT),
    maxRetriesPerRequest: null,
    retryStrategy: () => 200,
  });
  redis.on('error', () => {});
  const agent = (name: string): Agent => ({ name, dir: mkdtempSync(join(tmpdir(), `nms-${name}-`)), log: [] });
  const agents = [agent('alertA'), agent('alertB')];
  t.after(async () => {
    for (const a of agents) if (a.proc?.exitCode === null && a.proc.signalCode === null) a.proc.kill('SIGKILL');
    redis.disconnect();
    await Promise.all([rx.hook.close(), rx.flaky.close(), rx.chat.close(), rx.sink.close(), rx.gate.close()]);
    await admin.query(`DROP DATABASE IF EXISTS \`${DB_NAME}\``).catch(() => {});
    await admin.end();
    for (const a of agents) rmSync(a.dir, { recursive: true, force: true });
  });
  await migrate(admin, { appKey: APP_KEY });
  const now = "1, '', NOW(), NOW(), NOW()";
  await admin.query(`INSERT INTO devices (hostname, status, status_reason, last_polled, last_poll_attempted,
      last_discovered)
    VALUES ('sw1', ${now}), ('sw2', ${now}), ('sw3', ${now})`);
  const { alerts, secrets } = await alertConfig(rx);
  for (const a of agents) {
    writeConfig(a, alerts, secrets);
    startAgent(a);
  }
  const lockKey = new CoordKeys(PREFIX).dispatcherLock;
  await waitFor('a dispatcher', async () => (await redis.get(lockKey)) !== null, 60_000);
  const { hook, flaky, chat, sink, gate } = rx;
  const everywhere = (n: number) => () =>
    byDevice(hook.accepted).length >= n &&
    byDevice(flaky.accepted).length >= n &&
    sink.messages.length >= n &&
    chat.accepted.length >= n;

  // ---- three devices go down (as a poller writes it) ----
  await admin.query("UPDATE devices SET status = 0, status_reason = 'icmp' WHERE hostname IN ('sw1', 'sw2', 'sw3')");
  await waitFor('3 alerts at every receiver', everywhere(3), 30_000);
  await checkAlerts(admin, rx);
  listAndAck(agents);
  await waitFor('the gate refused each alert once at least', () => gate.refused.length >= 3, 30_000);
  assert.equal(gate.accepted.length, 0);

  // ---- kill -9 the dispatcher between down and recovery ----
  const holder = String(await redis.get(lockKey));
  const dispatcher = agents.find((a) => holder.startsWith(`${a.name}-`))!;
  const other = agents.find((a) => a !== dispatcher)!;
  const gone = new Promise((res) => dispatcher.proc!.once('exit', res));
  dispatcher.proc!.kill('SIGKILL');
  await gone;
  // a request the dead dispatcher wrote just before dying is still refused: that is the one
  // window (send accepted, never marked sent) where a notification could come twice
  await sleep(1000);
  gate.down = false;
  await admin.query("UPDATE devices SET status = 1, status_reason = '' WHERE hostname IN ('sw1', 'sw2', 'sw3')");
  const takenOver = async () => String(await redis.get(lockKey)).startsWith(`${other.name}-`);
  await waitFor('the other agent takes over', takenOver, 30_000);
  await waitFor('3 recoveries at every receiver', everywhere(6), 30_000);
  await waitFor('the waiting alerts and the recoveries at the gate', () => gate.accepted.length >= 6, 60_000);
  // a few more evaluation rounds: nothing more may arrive
  await sleep(4000);
  const each = ['1 alert', '1 recovered', '2 alert', '2 recovered', '3 alert', '3 recovered'];
  assert.deepEqual(byDevice(hook.accepted), each);
  assert.deepEqual(byDevice(flaky.accepted), each);
  assert.deepEqual(byDevice(gate.accepted), each, 'the outbox resumed by the new dispatcher: each once, in order');
  const totals = [hook.accepted.length, sink.messages.length, chat.accepted.length];
  assert.deepEqual(totals, [6, 6, 6], 'nothing else was sent');
  const perState = 'SELECT state, COUNT(*) AS n FROM alert_log GROUP BY state ORDER BY state';
  const [logRows] = await admin.query<RowDataPacket[]>(perState);
  const counts = logRows.map((r) => [Number(r.state), Number(r.n)]);
  assert.deepEqual(
    counts,
    [
      [0, 3],
      [1, 3],
      [2, 1],
    ],
    'alert_log: 3 recovered, 3 raised, 1 acknowledged',
  );
  for (const a of agents) {
    const text = a.log.join('');
    assert.ok(!text.includes(SECRET), `${a.name}'s log holds no transport secret`);
    assert.match(text, /"event":"alert_notified"/);
  }
  assert.match(other.log.join(''), /"state":"recovered"/, 'the new dispatcher sent the recoveries');
});
