// `nms-agent run` with the real Poller wired in (no --dry-run), against the test snmpd and the
// snmpsim recording, a private rrdcached, MariaDB and memcached: devices are discovered, then
// polled every cycle into RRD files; a device that does not answer is marked down and retried
// after service_poller_down_retry; each run is recorded in memcached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RowDataPacket } from 'mysql2/promise';
import { onLogLine } from '../helpers/log-lines.js';
import { generateAppKey } from '../../lib/crypto.js';
import { addDevice, migrate, openDb } from '../../agent/db/index.js';
import { CoordKeys } from '../../agent/coord/keys.js';
import { Registry } from '../../agent/registry/registry.js';
import { SERVICES, agentEnv } from '../helpers/services.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const DB_NAME = `nms_coord_poller_${process.pid}`;
const PREFIX = `coordpoll${process.pid}`;
const APP_KEY = generateAppKey();
const FREQ = 10;
const { host: MC_HOST, port: MC_PORT } = SERVICES.memcached;
const { host: SNMPD_HOST, port: SNMPD_PORT } = SERVICES.snmpd;
const { host: SIM_HOST, port: SIM_PORT } = SERVICES.snmpsim;

test(
  'nms-agent run polls real SNMP agents into rrdcached, retries a dead one, records in memcached',
  { timeout: 150_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'nms-coord-poller-'));
    const rrdDir = join(dir, 'rrd');
    const rrdcached: ChildProcess = spawn(
      'rrdcached',
      ['-g', '-b', rrdDir, '-B', '-R', '-F', '-w', '3600', '-l', `unix:${dir}/rrd.sock`, '-p', `${dir}/rrd.pid`],
      { stdio: 'ignore' },
    );
    const db = await openDb(
      { host: '127.0.0.1', port: 13306, user: 'nmstest', password: 'nmstest', database: DB_NAME },
      { createDatabase: true },
    );
    const logs: Record<string, unknown>[] = [];
    const children: ChildProcess[] = [];
    t.after(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      rrdcached.kill('SIGTERM');
      await db.query(`DROP DATABASE IF EXISTS \`${DB_NAME}\``).catch(() => {});
      await db.end();
      rmSync(dir, { recursive: true, force: true });
    });
    await import('node:fs').then((fs) => fs.mkdirSync(rrdDir, { recursive: true }));
    await migrate(db, { appKey: APP_KEY });
    const snmpd = await addDevice(db, APP_KEY, {
      hostname: SNMPD_HOST,
      port: Number(SNMPD_PORT),
      poller_group: 0,
      snmp: { version: 'v2c', community: 'public' },
    });
    const sim = await addDevice(db, APP_KEY, {
      hostname: SIM_HOST,
      port: Number(SIM_PORT),
      poller_group: 0,
      snmp: { version: 'v2c', community: 'cisco_16_switch' },
    });
    const dead = await addDevice(db, APP_KEY, {
      hostname: '127.0.0.1',
      port: 9,
      poller_group: 0,
      timeout: 1,
      retries: 0,
      snmp: { version: 'v2c', community: 'public' },
    });
    writeFileSync(join(dir, '.env'), agentEnv({ database: DB_NAME, appKey: APP_KEY, nodeId: 'poll-node' }));
    writeFileSync(
      join(dir, 'config.yaml'),
      [
        'distributed_poller_name: realpoller',
        'distributed_poller_group: [0]',
        'cluster_address: 127.0.0.1',
        `distributed_poller_memcached_host: ${MC_HOST}`,
        `distributed_poller_memcached_port: ${MC_PORT}`,
        `rrdcached: unix:${dir}/rrd.sock`,
        `rrd_dir: ${rrdDir}`,
        `spool_dir: ${join(dir, 'spool')}`,
        `service_poller_frequency: ${FREQ}`,
        'service_poller_down_retry: 4',
        'service_master_timeout: 4',
        'service_poller_workers: 4',
        'snmp_timeout_ms: 1000',
        'snmp_retries: 0',
        'metrics_port: 0',
        '',
      ].join('\n'),
    );
    const agent: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', 'agent/main.ts', '--env', join(dir, '.env'), 'run', '--drain', '5'],
      {
        cwd: ROOT,
        env: { ...process.env, NMS_KEY_PREFIX: PREFIX },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    children.push(agent);
    onLogLine(agent.stderr!, (rec, line) => logs.push(rec ?? { event: 'raw', line }));

    // Track every change of last_polled / last_poll_attempted.
    const seen = new Map<number, Set<string>>();
    const attempts = new Map<number, Set<string>>();
    const end = Date.now() + 60_000;
    for (;;) {
      const [rows] = await db.query<RowDataPacket[]>(
        'SELECT device_id, status, UNIX_TIMESTAMP(last_polled) AS lp, UNIX_TIMESTAMP(last_poll_attempted) AS la ' +
          'FROM devices',
      );
      for (const r of rows) {
        const id = Number(r.device_id);
        if (r.lp !== null) seen.set(id, (seen.get(id) ?? new Set()).add(String(r.lp)));
        if (r.la !== null) attempts.set(id, (attempts.get(id) ?? new Set()).add(String(r.la)));
      }
      const done =
        (seen.get(snmpd)?.size ?? 0) >= 2 && (seen.get(sim)?.size ?? 0) >= 2 && (attempts.get(dead)?.size ?? 0) >= 3;
      if (done) break;
      assert.ok(
        Date.now() < end,
        `not polled in time: ${JSON.stringify([...seen].map(([k, v]) => [k, v.size]))} attempts ` +
          `${JSON.stringify([...attempts].map(([k, v]) => [k, v.size]))}; logs ${JSON.stringify(logs.slice(-5))}`,
      );
      await sleep(500);
    }
    const [rows] = await db.query<RowDataPacket[]>(
      'SELECT device_id, status, status_reason, sysName, last_discovered FROM devices ORDER BY device_id',
    );
    const byId = new Map(rows.map((r) => [Number(r.device_id), r]));
    assert.equal(byId.get(snmpd)!.status, 1);
    assert.equal(byId.get(snmpd)!.sysName, 'nms-test-snmpd');
    assert.ok(byId.get(snmpd)!.last_discovered, 'discovered before polling');
    assert.equal(byId.get(sim)!.status, 1);
    assert.equal(byId.get(dead)!.status, 0);
    assert.equal(byId.get(dead)!.status_reason, 'snmp');
    // The dead device is retried after down_retry (4 s), not every tick, not once per cycle.
    const la = [...attempts.get(dead)!].map(Number).sort((a, b) => a - b);
    for (let i = 1; i < la.length; i++) assert.ok(la[i] - la[i - 1] >= 3, `dead device attempts ${la.join(',')}`);

    // RRD files written through rrdcached for the simulated switch's ports.
    const simDir = readdirSync(rrdDir).find((d) => d.endsWith(`_${SIM_PORT}`));
    assert.ok(simDir, `rrd dirs: ${readdirSync(rrdDir).join(', ')}`);
    assert.ok(readdirSync(join(rrdDir, simDir!)).filter((f) => /^port-id\d+\.rrd$/.test(f)).length >= 10);
    assert.ok(existsSync(join(rrdDir, simDir!, 'poller-perf.rrd')));

    // memcached: who polled it.
    const registry = new Registry({ host: MC_HOST, port: Number(MC_PORT), keys: new CoordKeys(PREFIX) });
    try {
      const rec = await registry.device('poller', sim);
      assert.equal(rec?.node_id, 'poll-node');
      assert.equal(rec?.outcome, 'ok');
      assert.ok((rec?.duration_ms ?? -1) >= 0);
    } finally {
      registry.close();
    }
    const port = logs.find((l) => l.event === 'started')?.metrics_port;
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /nms_agent_jobs_total\{type="poller",group="0",outcome="ok"\} [1-9]/);
    assert.match(metrics, /nms_agent_spool_bytes 0/);

    agent.kill('SIGTERM');
    const [code] = await new Promise<[number | null]>((r) => agent.once('exit', (c) => r([c])));
    assert.equal(code, 0);
    assert.deepEqual(
      logs.filter((l) => l.event === 'raw' || l.event === 'unhandled_rejection'),
      [],
    );
  },
);
