// The agent's MariaDB connection: a pool with the session settings every query relies on, and
// the retry of writes MariaDB asks to run again. Every repository module of agent/db builds on it.
import mysql from 'mysql2/promise';
import type { NodeEnv } from '../../lib/node-config.js';
import { ConfigError, NmsError } from '../../lib/errors.js';
import { compactStatementCache } from './statement-hints.js';

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
    // a poll's writes go as one multi-statement transaction (WriteBatch, batch.ts). Safe with our
    // SQL: every value travels as a placeholder escaped by mysql2 (or by WriteBatch with the same
    // escaping), and what is spliced into statement text is our own constants (table and
    // column names); the server runs without NO_BACKSLASH_ESCAPES, which that escaping assumes.
    multipleStatements: true,
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
    // prepared statements keep two fields of each parameter's definition (statement-hints.ts)
    compactStatementCache(c);
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

/**
 * `INSERT INTO table (cols) VALUES ? ON DUPLICATE KEY UPDATE …` for rows given as arrays in
 * `cols` order (mysql2 expands `VALUES ?`): the first `keyCount` columns identify the row and
 * are left alone on a duplicate, every other column takes the new value.
 */
export function upsertSql(table: string, cols: readonly string[], keyCount: number): string {
  const updates = cols.slice(keyCount).map((c) => `${c} = VALUES(${c})`);
  return `INSERT INTO ${table} (${cols.join(', ')}) VALUES ? ON DUPLICATE KEY UPDATE ${updates.join(', ')}`;
}
