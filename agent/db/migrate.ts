// Versioned migrations of the schema (schema.ts) and the cluster's APP_KEY check value, kept in
// `config` so that a node with another key refuses to work instead of writing unreadable secrets.
import type mysql from 'mysql2/promise';
import { APP_KEY_CHECK_PLAINTEXT, appKeyFingerprint, encrypt, verifyAppKey } from '../../lib/crypto.js';
import { AppKeyMismatchError, NmsError } from '../../lib/errors.js';
import type { Db } from './connection.js';
import type { Migration } from './migrations/migration.js';
import { MIGRATIONS } from './schema.js';

/** Name of the row in `config` that holds the cluster's APP_KEY check value. */
export const APP_KEY_CHECK_NAME = 'app_key_check';

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
