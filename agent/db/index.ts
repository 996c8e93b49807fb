// The agent's MariaDB access: the connection pool, versioned migrations and the APP_KEY check.
// Repository functions for devices and their entities live beside this file.
import mysql from 'mysql2/promise';
import type { NodeEnv } from '../../lib/node-config.js';
import { APP_KEY_CHECK_PLAINTEXT, appKeyFingerprint, encrypt, verifyAppKey } from '../../lib/crypto.js';
import { AppKeyMismatchError, ConfigError, NmsError } from '../../lib/errors.js';
import { MIGRATIONS, type Migration } from './schema.js';

export type Db = mysql.Pool;

export interface DbTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface OpenDbOptions {
  /** Connections kept by the pool. Default 10. */
  connectionLimit?: number;
  /** Create the database when it does not exist (tests, first migrate). Default false. */
  createDatabase?: boolean;
  /** Connect timeout in ms. Default 5000. */
  connectTimeoutMs?: number;
}

export const DEFAULT_OPEN_DB_OPTIONS: Required<OpenDbOptions> = {
  connectionLimit: 10,
  createDatabase: false,
  connectTimeoutMs: 5000,
};

/** Name of the row in `config` that holds the cluster's APP_KEY check value. */
export const APP_KEY_CHECK_NAME = 'app_key_check';

function toTarget(t: NodeEnv | DbTarget): DbTarget {
  if ('DB_HOST' in t)
    return { host: t.DB_HOST, port: t.DB_PORT, user: t.DB_USERNAME, password: t.DB_PASSWORD, database: t.DB_DATABASE };
  return t;
}

/** Opens a pool (UTC sessions, big integers as strings beyond 2^53) and checks that it connects. */
export async function openDb(target: NodeEnv | DbTarget, options: OpenDbOptions = {}): Promise<Db> {
  const o = { ...DEFAULT_OPEN_DB_OPTIONS, ...options };
  const t = toTarget(target);
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(t.database))
    throw new ConfigError(`DB_DATABASE ${JSON.stringify(t.database)} is not a plain database name`);
  if (o.createDatabase) {
    const conn = await connectOrExplain(
      () =>
        mysql.createConnection({
          host: t.host,
          port: t.port,
          user: t.user,
          password: t.password,
          connectTimeout: o.connectTimeoutMs,
        }),
      t,
    );
    try {
      await conn.query(
        `CREATE DATABASE IF NOT EXISTS \`${t.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
      );
    } finally {
      await conn.end();
    }
  }
  const pool = mysql.createPool({
    host: t.host,
    port: t.port,
    user: t.user,
    password: t.password,
    database: t.database,
    connectionLimit: o.connectionLimit,
    connectTimeout: o.connectTimeoutMs,
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: false,
    dateStrings: false,
    waitForConnections: true,
    // the ports upsert is prepared once per port count; bound them so that every agent's
    // connections together stay far below MariaDB's max_prepared_stmt_count (16382)
    maxPreparedStatements: 64,
    // the promise wrapper captures a stack for every query when tracing: a measurable share
    // of the poller's CPU (a poll makes half a dozen queries). Errors still say what failed.
    trace: false,
  });
  // TIMESTAMP columns convert through the session zone: keep every session in UTC. READ
  // COMMITTED takes no gap locks, so many devices upserting their rows at once do not deadlock.
  pool.on('connection', (c) => {
    // the event hands over the callback-style connection, whatever the typings say; these run
    // before any query of ours on it, in order
    const conn = c as unknown as { query(sql: string, cb: (err: unknown) => void): void };
    // (one statement: the GROUP_CONCATs of getDeviceState must never be cut at the default 1 MiB)
    conn.query("SET time_zone = '+00:00', group_concat_max_len = 67108864", () => undefined);
    conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', () => undefined);
  });
  try {
    await connectOrExplain(async () => (await pool.getConnection()).release(), t);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  return pool;
}

async function connectOrExplain<T>(fn: () => Promise<T>, t: DbTarget): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw new NmsError(
      `cannot connect to MariaDB at ${t.host}:${t.port} as ${t.user} (database ${t.database}): ${e.code ?? e.message}`,
      {
        hint: 'check DB_HOST/DB_PORT/DB_USERNAME/DB_PASSWORD in the node .env and that MariaDB accepts this node',
        cause: err,
      },
    );
  }
}

export interface MigrateOptions {
  /** The cluster's APP_KEY; its check value is written when absent. */
  appKey: string;
  /** Migrations to apply (tests pass their own). Default: every schema migration. */
  migrations?: Migration[];
}

export interface MigrateResult {
  applied: { version: number; name: string; ms: number }[];
  version: number;
  appKeyCheckWritten: boolean;
}

/**
 * Applies the migrations not yet recorded, in order, under a named lock so that agents
 * starting together do not race. Writes the APP_KEY check value when absent, and refuses
 * (AppKeyMismatchError) when a present one was made with another key.
 */
export async function migrate(db: Db, options: MigrateOptions): Promise<MigrateResult> {
  const migrations = [...(options.migrations ?? MIGRATIONS)].sort((a, b) => a.version - b.version);
  const conn = await db.getConnection();
  try {
    const [lockRows] = await conn.query<mysql.RowDataPacket[]>("SELECT GET_LOCK('nms_migrate', 60) AS ok");
    if (lockRows[0]?.ok !== 1)
      throw new NmsError('another agent has been migrating this database for 60 s; try again later');
    try {
      await conn.query(`CREATE TABLE IF NOT EXISTS migrations (
  version INT UNSIGNED NOT NULL PRIMARY KEY,
  migration VARCHAR(191) NOT NULL,
  applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
      const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT version FROM migrations');
      const done = new Set(rows.map((r) => Number(r.version)));
      const applied: MigrateResult['applied'] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        const t0 = performance.now();
        // MariaDB commits DDL implicitly, so statements are written to be re-runnable instead.
        for (const sql of m.statements) await conn.query(sql);
        await conn.query('INSERT INTO migrations (version, migration) VALUES (?, ?)', [m.version, m.name]);
        applied.push({ version: m.version, name: m.name, ms: Math.round(performance.now() - t0) });
      }
      const appKeyCheckWritten = await ensureAppKeyCheck(conn, options.appKey);
      const version = Math.max(0, ...done, ...applied.map((a) => a.version));
      return { applied, version, appKeyCheckWritten };
    } finally {
      await conn.query("SELECT RELEASE_LOCK('nms_migrate')").catch(() => undefined);
    }
  } finally {
    conn.release();
  }
}

async function ensureAppKeyCheck(conn: mysql.PoolConnection, appKey: string): Promise<boolean> {
  const [res] = await conn.query<mysql.ResultSetHeader>(
    'INSERT IGNORE INTO config (config_name, config_value) VALUES (?, ?)',
    [APP_KEY_CHECK_NAME, encrypt(appKey, APP_KEY_CHECK_PLAINTEXT)],
  );
  if (res.affectedRows === 0) await assertAppKey(conn, appKey);
  return res.affectedRows > 0;
}

async function assertAppKey(q: Pick<Db, 'query'>, appKey: string): Promise<void> {
  const [rows] = await q.query<mysql.RowDataPacket[]>('SELECT config_value FROM config WHERE config_name = ?', [
    APP_KEY_CHECK_NAME,
  ]);
  if (rows.length === 0)
    throw new NmsError('the database has no APP_KEY check value yet', {
      hint: 'run `nms-agent migrate` on the master first',
    });
  if (!verifyAppKey(appKey, String(rows[0].config_value))) {
    throw new AppKeyMismatchError(
      `this node's APP_KEY (fingerprint ${appKeyFingerprint(appKey)}) differs from the cluster's: refusing to work`,
      {
        hint: 'copy APP_KEY from the master with `nms deploy` (it must be identical on every node)',
      },
    );
  }
}

/** Throws AppKeyMismatchError (one clear line) when `appKey` is not the cluster's. */
export async function checkAppKey(db: Db, appKey: string): Promise<void> {
  try {
    await assertAppKey(db, appKey);
  } catch (err) {
    if ((err as { code?: string }).code === 'ER_NO_SUCH_TABLE')
      throw new NmsError('the database has no schema yet', { hint: 'run `nms-agent migrate` first' });
    throw err;
  }
}

/** The schema version recorded in the database (0 when never migrated). */
export async function schemaVersion(db: Db): Promise<number> {
  try {
    const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT MAX(version) AS v FROM migrations');
    return Number(rows[0]?.v ?? 0);
  } catch (err) {
    if ((err as { code?: string }).code === 'ER_NO_SUCH_TABLE') return 0;
    throw err;
  }
}

/**
 * Runs a write again when MariaDB chose it as a deadlock victim or a lock wait timed out: both
 * say "try again", and with many devices written at once they do happen now and then.
 */
export async function withRetry<T>(fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (i >= attempts || (code !== 'ER_LOCK_DEADLOCK' && code !== 'ER_LOCK_WAIT_TIMEOUT')) throw err;
      await new Promise((r) => setTimeout(r, 5 * i + Math.random() * 20));
    }
  }
}

export { MIGRATIONS } from './schema.js';
export * from './devices.js';
export * from './entities.js';
export * from './modules.js';
