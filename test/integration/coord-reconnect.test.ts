// Reconnection without a restart, by real means: MariaDB drops every connection of the agent
// (KILL), and memcached is stopped and started again (scripts/test-services.sh). Polling goes on
// within a cycle, the registry entry comes back, and the agent never exits; it still stops
// cleanly on SIGTERM while Redis is down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { generateAppKey } from '../../lib/crypto.js';
import { migrate, openDb } from '../../agent/db/index.js';
import { CoordKeys } from '../../agent/coord/keys.js';
import { Registry } from '../../agent/registry/registry.js';
import { waitFor } from '../helpers/wait.js';
import { SERVICES, agentEnv } from '../helpers/services.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const DB_NAME = `nms_coord_reconnect_${process.pid}`;
const PREFIX = `coordrec${process.pid}`;
const APP_KEY = generateAppKey();
const FREQ = 4;
const DEVICES = 20;
const { host: MC_HOST, port: MC_PORT } = SERVICES.memcached;

test(
  'the agent rides out MariaDB dropping its connections and a memcached restart',
  { timeout: 120_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'nms-coord-rec-'));
    const db = await openDb(
      { host: '127.0.0.1', port: 13306, user: 'nmstest', password: 'nmstest', database: DB_NAME },
      { createDatabase: true },
    );
    const killer = await mysql.createConnection({
      host: '127.0.0.1',
      port: 13306,
      user: 'nmstest',
      password: 'nmstest',
    });
    const registry = new Registry({ host: MC_HOST, port: Number(MC_PORT), keys: new CoordKeys(PREFIX) });
    const children: ReturnType<typeof spawn>[] = [];
    t.after(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      execFileSync('bash', ['scripts/test-services.sh', 'start-one', 'memcached'], { cwd: ROOT, stdio: 'ignore' });
      registry.close();
      await killer.end();
      await db.query(`DROP DATABASE IF EXISTS \`${DB_NAME}\``).catch(() => {});
      await db.end();
      rmSync(dir, { recursive: true, force: true });
    });
    await migrate(db, { appKey: APP_KEY });
    await db.query('INSERT INTO devices (hostname, poller_group) VALUES ?', [
      Array.from({ length: DEVICES }, (_, i) => [`10.7.0.${i}`, 0]),
    ]);
    writeFileSync(join(dir, '.env'), agentEnv({ database: DB_NAME, appKey: APP_KEY, nodeId: 'rec-node' }));
    writeFileSync(
      join(dir, 'config.yaml'),
      `distributed_poller_name: rec\ndistributed_poller_group: [0]\ncluster_address: ` +
        `127.0.0.1\ndistributed_poller_memcached_host: ${MC_HOST}\n` +
        (`distributed_poller_memcached_port: ${MC_PORT}\nservice_poller_frequency: ` +
          `${FREQ}\nservice_master_timeout: 4\nmetrics_port: 0\n`),
    );
    const agent = spawn(
      process.execPath,
      ['--import', 'tsx', 'agent/main.ts', '--env', join(dir, '.env'), 'run', '--dry-run', '--drain', '3'],
      {
        cwd: ROOT,
        env: { ...process.env, NMS_KEY_PREFIX: PREFIX },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    children.push(agent);
    let stderr = '';
    agent.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const polledSince = async (since: number) => {
      const [rows] = await db.query<RowDataPacket[]>(
        "SELECT COUNT(DISTINCT device_id) AS n FROM dry_run_polls WHERE poller_type = 'poller' AND started_at " +
          '>= FROM_UNIXTIME(?)',
        [since / 1000],
      );
      return Number(rows[0].n) === DEVICES;
    };
    await waitFor('first polls', () => polledSince(0), 30_000);

    // MariaDB drops every connection the agent holds.
    const [procs] = await killer.query<RowDataPacket[]>(
      'SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()',
      [DB_NAME],
    );
    assert.ok(procs.length > 0);
    const killedAt = Date.now();
    for (const p of procs) await killer.query(`KILL ${Number(p.id)}`).catch(() => {});
    await db.query('SELECT 1').catch(() => {}); // our own pool may have lost one too
    await waitFor('every device polled after the KILL', () => polledSince(killedAt + 100), 2 * FREQ * 1000 + 3000);
    assert.equal(agent.exitCode, null, 'agent still running after MariaDB dropped it');

    // memcached restarts (empty): polling goes on meanwhile, the registry entry comes back.
    assert.ok(await registry.node('rec-node'));
    execFileSync('bash', ['scripts/test-services.sh', 'stop', 'memcached'], { cwd: ROOT, stdio: 'ignore' });
    const downAt = Date.now();
    await waitFor('polling while memcached is down', () => polledSince(downAt + 100), 2 * FREQ * 1000 + 3000);
    execFileSync('bash', ['scripts/test-services.sh', 'start-one', 'memcached'], { cwd: ROOT, stdio: 'ignore' });
    const upAt = Date.now();
    const entry = await waitFor('registry entry back', () => registry.node('rec-node'), 10_000);
    assert.ok(entry.heartbeat_at >= upAt - 100, 'a heartbeat written after the restart');
    await waitFor(
      'device records back',
      async () => (await registry.device('poller', 1))?.node_id === 'rec-node',
      2 * FREQ * 1000 + 3000,
    );
    assert.equal(agent.exitCode, null, 'agent still running after the memcached restart');

    // SIGTERM while Redis is down: BullMQ would wait for it for ever; the agent still exits 0, in bounded time.
    execFileSync('bash', ['scripts/test-services.sh', 'stop', 'redis'], { cwd: ROOT, stdio: 'ignore' });
    let code: number | null;
    const t0 = Date.now();
    try {
      await sleep(500);
      agent.kill('SIGTERM');
      code = await new Promise<number | null>((r) => agent.once('exit', (c) => r(c)));
    } finally {
      execFileSync('bash', ['scripts/test-services.sh', 'start-one', 'redis'], { cwd: ROOT, stdio: 'ignore' });
    }
    assert.equal(code, 0);
    assert.ok(
      Date.now() - t0 < 3000 + 20_000,
      `stopped ${Date.now() - t0} ms after SIGTERM with Redis down (drain 3 s)`,
    );
    const unstructured = stderr.split('\n').filter((l) => l && !l.startsWith('{'));
    assert.deepEqual(unstructured, []);
    assert.doesNotMatch(stderr, /unhandled_rejection/);
  },
);
