// Migrations against the real MariaDB of scripts/test-services.sh, in a fresh database.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { generateAppKey } from '../../lib/crypto.js';
import { AppKeyMismatchError } from '../../lib/errors.js';
import { checkAppKey, migrate, MIGRATIONS, openDb, schemaVersion, type Db } from '../../agent/db/index.js';
import { freshName, dbTarget } from '../helpers/services.js';

const database = freshName('migrate');
const target = dbTarget(database);
const appKey = generateAppKey();
let db: Db;

before(async () => {
  db = await openDb(target, { createDatabase: true });
});
after(async () => {
  await db.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await db.end();
});

test('migrate creates every table once and records each version', { timeout: 60_000 }, async () => {
  assert.equal(await schemaVersion(db), 0);
  const first = await migrate(db, { appKey });
  assert.deepEqual(
    first.applied.map((a) => a.version),
    MIGRATIONS.map((m) => m.version),
  );
  assert.equal(first.appKeyCheckWritten, true);
  const again = await migrate(db, { appKey });
  assert.deepEqual(again.applied, []);
  assert.equal(again.appKeyCheckWritten, false);
  assert.equal(again.version, Math.max(...MIGRATIONS.map((m) => m.version)));
  const [tables] = await db.query<mysql.RowDataPacket[]>('SHOW TABLES');
  const names = tables.map((r) => Object.values(r)[0]).sort();
  for (const t of [
    'config',
    'devices',
    'eventlog',
    'migrations',
    'poller_cluster',
    'poller_cluster_stats',
    'poller_groups',
    'ports',
    'processors',
    'sensors',
    'storage',
  ]) {
    assert.ok(names.includes(t), `table ${t} missing from ${names.join(',')}`);
  }
  const [cols] = await db.query<mysql.RowDataPacket[]>('SHOW COLUMNS FROM devices');
  for (const c of [
    'status_reason',
    'last_polled_timetaken',
    'last_discovered_timetaken',
    'poller_group',
    'cryptoalgo',
    'ignore',
  ]) {
    assert.ok(
      cols.some((r) => r.Field === c),
      `devices.${c} missing`,
    );
  }
});

test('two agents migrating at once both succeed and apply each version once', { timeout: 60_000 }, async () => {
  const other = `${database}_b`;
  const a = await openDb({ ...target, database: other }, { createDatabase: true });
  try {
    const [r1, r2] = await Promise.all([migrate(a, { appKey }), migrate(a, { appKey })]);
    assert.equal(r1.applied.length + r2.applied.length, MIGRATIONS.length);
    const [rows] = await a.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM migrations');
    assert.equal(Number(rows[0].n), MIGRATIONS.length);
  } finally {
    await a.query(`DROP DATABASE IF EXISTS \`${other}\``);
    await a.end();
  }
});

test('checkAppKey accepts the cluster key and refuses another in one line', { timeout: 30_000 }, async () => {
  await checkAppKey(db, appKey);
  const wrong = generateAppKey();
  await assert.rejects(checkAppKey(db, wrong), (err: unknown) => {
    assert.ok(err instanceof AppKeyMismatchError);
    assert.match(err.message, /APP_KEY .* differs from the cluster's/);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
  await assert.rejects(migrate(db, { appKey: wrong }), AppKeyMismatchError);
});
