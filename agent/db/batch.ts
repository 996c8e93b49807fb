// The writes of one poll in one round trip: the ports upsert, the modules' UPDATEs, the device
// row and what reads back their effect are queued as the poll runs and sent together at its end
// as one multi-statement transaction. Values are escaped here, as mysql2 escapes a text query's
// placeholders (quoted strings, the session in UTC: the pool's `timezone: 'Z'`), so a value can
// never end a statement. A statement the server refuses rolls the transaction back and the
// statements then run one by one, so that only the refused one is lost (and reported to its
// owner), as when each was sent on its own.
import mysql from 'mysql2/promise';
import { withRetry, type Db } from './connection.js';

export interface Deferred {
  sql: string;
  /** The statement's result (rows of a SELECT, the header of a write), after the commit. */
  onResult?: (result: unknown) => unknown;
  /** The server refused this statement (the others were kept); without it the flush throws. */
  onError?: (err: Error) => void;
}

const format = mysql.format as unknown as (sql: string, values: unknown[], objects: boolean, tz: string) => string;

export class WriteBatch {
  private queued: Deferred[] = [];

  constructor(private readonly db: Db) {}

  /** Queues a statement with its `?` placeholders filled in now. */
  add(sql: string, args: unknown[], handlers: Omit<Deferred, 'sql'> = {}): void {
    this.queued.push({ sql: format(sql, args, false, 'Z'), ...handlers });
  }

  /** Statements waiting. */
  get size(): number {
    return this.queued.length;
  }

  /** Sends what is queued: one statement as it is, several as one transaction. */
  async flush(): Promise<void> {
    const stmts = this.queued;
    this.queued = [];
    if (stmts.length === 0) return;
    const results = await this.send(stmts);
    for (let i = 0; i < stmts.length; i++) if (results[i] !== undefined) await stmts[i].onResult?.(results[i]);
  }

  private async send(stmts: Deferred[]): Promise<unknown[]> {
    if (stmts.length === 1) return [await this.one(this.db, stmts[0])];
    const conn = await this.db.getConnection();
    try {
      const text = `START TRANSACTION;\n${stmts.map((s) => s.sql).join(';\n')};\nCOMMIT`;
      try {
        const [res] = await withRetry(async () => {
          try {
            return await conn.query(text);
          } catch (err) {
            // a refused statement leaves the transaction open with the ones before it applied
            await conn.query('ROLLBACK').catch(() => undefined);
            throw err;
          }
        });
        return (res as unknown[]).slice(1, -1);
      } catch (err) {
        if (!refused(err)) throw err;
        // a refused statement: each on its own, as they would have been sent; a refusal nobody
        // handles is thrown once all have run
        const out: unknown[] = [];
        let first: unknown;
        for (const s of stmts) {
          try {
            out.push(await this.one(conn, s));
          } catch (e) {
            if (!refused(e)) throw e;
            first ??= e;
            out.push(undefined);
          }
        }
        if (first) throw first;
        return out;
      }
    } finally {
      conn.release();
    }
  }

  private async one(q: Pick<Db, 'query'>, s: Deferred): Promise<unknown> {
    try {
      const [res] = await withRetry(() => q.query(s.sql));
      return res;
    } catch (err) {
      if (!s.onError || !refused(err)) throw err;
      s.onError(err as Error);
      return undefined;
    }
  }
}

/** An error about a statement (the server answered with an SQL error), not about the connection. */
function refused(err: unknown): boolean {
  const e = err as { sqlState?: string; fatal?: boolean; code?: string };
  return (
    typeof e.sqlState === 'string' && !e.fatal && e.code !== 'ER_LOCK_DEADLOCK' && e.code !== 'ER_LOCK_WAIT_TIMEOUT'
  );
}
