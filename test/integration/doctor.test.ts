// `nms-agent doctor --json` and the daemon's lifecycle, as real child processes against the test
// services: unhealthy before the agent runs (with fixes), healthy while it runs, SIGHUP with a
// bad file keeps the old configuration, an agent with another APP_KEY refuses work and doctor
// says so, SIGTERM exits 0 and deregisters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer } from 'node:net';
import { onLogLine } from '../helpers/log-lines.js';
import { generateAppKey } from '../../lib/crypto.js';
import { migrate, openDb } from '../../agent/db/index.js';
import type { DoctorReport } from '../../lib/contracts/doctor.js';
import { SERVICES, agentEnv } from '../helpers/services.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const DB_NAME = `nms_doctor_${process.pid}`;
const PREFIX = `doctortest${process.pid}`;
const APP_KEY = generateAppKey();
const { host: MC_HOST, port: MC_PORT } = SERVICES.memcached;
const RRDCACHED = SERVICES.rrdcached;

const API_TOKEN = 'doctor-test-token-0123456789abcdef';

/** A port free right now (for the api role, which needs a fixed one). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

function nodeDir(nodeId: string, appKey: string, extra: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), `nms-doctor-${nodeId}-`));
  writeFileSync(join(dir, '.env'), agentEnv({ database: DB_NAME, appKey, nodeId, extra: [`API_TOKEN=${API_TOKEN}`] }));
  writeFileSync(join(dir, 'config.yaml'), settings(nodeId, extra));
  return dir;
}

function settings(name: string, extra: string[] = []): string {
  return [
    `distributed_poller_name: ${name}`,
    'distributed_poller_group: [0]',
    'cluster_address: 127.0.0.1',
    `distributed_poller_memcached_host: ${MC_HOST}`,
    `distributed_poller_memcached_port: ${MC_PORT}`,
    `rrdcached: ${RRDCACHED}`,
    'service_poller_frequency: 5',
    'service_master_timeout: 4',
    'metrics_port: 0',
    ...extra,
    '',
  ].join('\n');
}

function doctor(dir: string): { code: number | null; report: DoctorReport } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'agent/main.ts', '--env', join(dir, '.env'), 'doctor', '--json', '--timeout', '2000'],
    {
      cwd: ROOT,
      env: { ...process.env, NMS_KEY_PREFIX: PREFIX },
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  return { code: r.status, report: JSON.parse(r.stdout) as DoctorReport };
}

const check = (r: DoctorReport, name: string) => r.checks.find((c) => c.name === name)!;

interface Child {
  proc: ChildProcess;
  events: { event: string; [k: string]: unknown }[];
}

function startAgent(dir: string): Child {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'agent/main.ts', '--env', join(dir, '.env'), 'run', '--dry-run', '--drain', '3'],
    {
      cwd: ROOT,
      env: { ...process.env, NMS_KEY_PREFIX: PREFIX },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const child: Child = { proc, events: [] };
  onLogLine<Child['events'][number]>(proc.stderr!, (rec, line) => child.events.push(rec ?? { event: 'raw', line }));
  return child;
}

async function waitEvent(c: Child, event: string, timeoutMs = 30_000, after = 0): Promise<Record<string, unknown>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const e = c.events.slice(after).find((x) => x.event === event);
    if (e) return e;
    if (Date.now() > end)
      throw new Error(`no ${event} event within ${timeoutMs} ms; got ${c.events.map((x) => x.event).join(', ')}`);
    await sleep(100);
  }
}

test(
  'doctor and lifecycle: unhealthy until the agent runs, reload, APP_KEY mismatch, SIGTERM',
  { timeout: 150_000 },
  async (t) => {
    const db = await openDb(
      { host: '127.0.0.1', port: 13306, user: 'nmstest', password: 'nmstest', database: DB_NAME },
      { createDatabase: true },
    );
    await migrate(db, { appKey: APP_KEY });
    await db.query("INSERT INTO devices (hostname, poller_group) VALUES ('10.8.0.1', 0), ('10.8.0.2', 0)");
    const apiPort = await freePort();
    const good = nodeDir('doc-good', APP_KEY, ['roles: [poller, discovery, api]', `api_port: ${apiPort}`]);
    const bad = nodeDir('doc-badkey', generateAppKey());
    const children: Child[] = [];
    t.after(async () => {
      for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
      await db.query(`DROP DATABASE IF EXISTS \`${DB_NAME}\``).catch(() => {});
      await db.end();
      for (const d of [good, bad]) rmSync(d, { recursive: true, force: true });
    });

    // Before the agent runs: every service fine, the agent missing.
    let d = doctor(good);
    assert.equal(d.code, 1);
    assert.equal(d.report.schema, 'nms-agent-doctor/1');
    assert.equal(d.report.healthy, false);
    assert.deepEqual(
      d.report.checks.map((c) => c.name),
      [
        'config',
        'app_key',
        'mariadb',
        'redis',
        'memcached',
        'rrdcached',
        'clock',
        'supervisor',
        'registered',
        'working',
      ],
    );
    for (const name of ['config', 'app_key', 'mariadb', 'redis', 'memcached', 'rrdcached', 'clock'])
      assert.ok(check(d.report, name).ok, `${name}: ${check(d.report, name).detail}`);
    assert.equal(check(d.report, 'registered').ok, false);
    assert.match(check(d.report, 'registered').fix ?? '', /start the agent/);
    assert.match(d.report.app_key_fingerprint ?? '', /^[0-9a-f]{16}$/);
    assert.ok(Math.abs(d.report.clock_skew_ms ?? 1e9) < 2000);

    // The agent runs: healthy.
    const agent = startAgent(good);
    children.push(agent);
    await waitEvent(agent, 'started');
    d = doctor(good);
    assert.equal(d.code, 0, JSON.stringify(d.report.checks.filter((c) => !c.ok)));
    assert.equal(d.report.healthy, true);
    assert.equal(d.report.registry?.node_id, 'doc-good');
    assert.equal(d.report.registry?.state, 'working');
    // The api role: the web/API answers on 127.0.0.1:api_port, with the token only.
    const sys = await fetch(`http://127.0.0.1:${apiPort}/api/v0/system`, { headers: { 'X-Auth-Token': API_TOKEN } });
    assert.equal(sys.status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${apiPort}/api/v0/system`)).status, 401);

    // SIGHUP with a broken config.yaml: logged, old configuration kept, still healthy.
    const cfgPath = join(good, 'config.yaml');
    const original = readFileSync(cfgPath, 'utf8');
    writeFileSync(cfgPath, original.replace('service_poller_frequency: 5', 'service_poller_frequency: soon'));
    let mark = agent.events.length;
    agent.proc.kill('SIGHUP');
    const failed = await waitEvent(agent, 'reload_failed', 10_000, mark);
    assert.match(String(failed.err), /service_poller_frequency/);
    await sleep(1500);
    assert.equal(agent.proc.exitCode, null, 'still running');
    // doctor reads the same broken file and says so, while the agent works on.
    d = doctor(good);
    assert.equal(d.code, 1);
    assert.match(check(d.report, 'config').detail, /service_poller_frequency/);
    // A good change applies in place; a changed group list restarts the components in-process.
    writeFileSync(cfgPath, original.replace('metrics_port: 0', 'metrics_port: 0\nservice_poller_workers: 3'));
    mark = agent.events.length;
    agent.proc.kill('SIGHUP');
    assert.equal((await waitEvent(agent, 'reloaded', 10_000, mark)).restarted_components, false);
    writeFileSync(cfgPath, original.replace('distributed_poller_group: [0]', 'distributed_poller_group: [0, 1]'));
    mark = agent.events.length;
    agent.proc.kill('SIGHUP');
    assert.equal((await waitEvent(agent, 'reloaded', 20_000, mark)).restarted_components, true);
    await sleep(1500);
    d = doctor(good);
    assert.equal(d.code, 0, JSON.stringify(d.report.checks.filter((c) => !c.ok)));
    assert.deepEqual(d.report.registry?.groups, [0, 1]);
    assert.equal(
      (await fetch(`http://127.0.0.1:${apiPort}/api/v0/system`, { headers: { 'X-Auth-Token': API_TOKEN } })).status,
      200,
      'API back after the in-process restart',
    );

    // Another APP_KEY: the agent refuses work, doctor names both problems with fixes.
    const refusing = startAgent(bad);
    children.push(refusing);
    const refused = await waitEvent(refusing, 'refusing_work');
    assert.equal(refused.reason, 'app_key_mismatch');
    await sleep(1500);
    d = doctor(bad);
    assert.equal(d.code, 1);
    assert.equal(check(d.report, 'app_key').ok, false);
    assert.match(check(d.report, 'app_key').fix ?? '', /APP_KEY/);
    assert.equal(check(d.report, 'working').ok, false);
    assert.match(check(d.report, 'working').detail, /app_key_mismatch/);
    assert.equal(check(d.report, 'registered').ok, true);
    const [polls] = await db.query<import('mysql2/promise').RowDataPacket[]>(
      "SELECT COUNT(*) AS n FROM dry_run_polls WHERE node_id = 'doc-badkey'",
    );
    assert.equal(Number(polls[0].n), 0, 'the refusing agent polled nothing');

    // A wrong memcached port: that check fails and the ones behind it are not checked.
    writeFileSync(
      join(bad, 'config.yaml'),
      settings('doc-badkey').replace(
        `distributed_poller_memcached_port: ${MC_PORT}`,
        'distributed_poller_memcached_port: 1',
      ),
    );
    d = doctor(bad);
    assert.equal(check(d.report, 'memcached').ok, false);
    assert.match(check(d.report, 'registered').detail, /not checked/);

    // SIGTERM: exit 0 and deregistered.
    for (const c of [agent, refusing]) c.proc.kill('SIGTERM');
    for (const c of [agent, refusing]) {
      const [code] =
        c.proc.exitCode !== null
          ? [c.proc.exitCode]
          : await new Promise<[number | null]>((r) => c.proc.once('exit', (code) => r([code])));
      assert.equal(code, 0);
    }
    d = doctor(good);
    assert.equal(d.code, 1);
    assert.equal(check(d.report, 'registered').ok, false);
    const [pc] = await db.query<import('mysql2/promise').RowDataPacket[]>(
      "SELECT master FROM poller_cluster WHERE node_id = 'doc-good'",
    );
    assert.equal(Number(pc[0].master), 0);
    const raw = children.flatMap((c) => c.events.filter((e) => e.event === 'raw' || e.event === 'unhandled_rejection'));
    assert.deepEqual(raw, []);
  },
);
