// The agent's pool on the test MariaDB: a prepared statement with many parameters (the shape of
// the ports upsert) writes its values exactly, and what the connection caches of it holds two
// shared fields a parameter instead of mysql2's definition objects (agent/db/statement-hints.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { openDb, type Db } from '../../agent/db/index.js';
import { dbTarget, freshName } from '../helpers/services.js';

let db: Db;
let database: string;

before(async () => {
  database = freshName('stmts');
  db = await openDb(dbTarget(database), { createDatabase: true, connectionLimit: 2 });
  await db.query('CREATE TABLE st (id INT PRIMARY KEY, big BIGINT UNSIGNED NULL, d DOUBLE NULL, txt VARCHAR(32) NULL)');
});

after(async () => {
  await db?.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await db?.end();
});

/** Row i of the 300 written: counters past 2^53 and 2^63, fractions, text and NULLs. */
const rowOf = (i: number): [number, string | number | null, number | null, string | null] => [
  i,
  i % 7 === 0 ? null : i % 3 === 0 ? (18446744073709551000n + BigInt(i)).toString() : 2 ** 53 + i * 1000,
  i % 5 === 0 ? null : i / 8,
  i % 11 === 0 ? null : `port ${i} 'x'`,
];

test('a 1,200-parameter prepared upsert writes every value; its cached statement keeps shared hints', async () => {
  const rows = Array.from({ length: 300 }, (_, i) => rowOf(i + 1));
  const sql =
    `INSERT INTO st (id, big, d, txt) VALUES ${rows.map(() => '(?,?,?,?)').join(',')} ` +
    'ON DUPLICATE KEY UPDATE big = VALUES(big), d = VALUES(d), txt = VALUES(txt)';
  // twice over the two connections of the pool: prepared on both, the second run an update
  for (let k = 0; k < 4; k++) await db.execute(sql, rows.flat());
  const [got] = await db.query<mysql.RowDataPacket[]>({
    sql: 'SELECT id, CAST(big AS CHAR) AS big, d, txt FROM st ORDER BY id',
  });
  assert.equal(got.length, 300);
  for (const r of got) {
    const [id, big, d, txt] = rowOf(Number(r.id));
    assert.equal(r.id, id);
    assert.equal(r.big, big === null ? null : String(big), `big of ${id}`);
    assert.equal(r.d, d, `d of ${id}`);
    assert.equal(r.txt, txt, `txt of ${id}`);
  }
  const conn = await db.getConnection();
  try {
    const cache = (conn as unknown as { connection: { _statements: { values(): Iterable<unknown> } } }).connection
      ._statements;
    const statements = [...cache.values()] as { parameters: object[] }[];
    const upsert = statements.find((s) => s.parameters.length === 1200);
    assert.ok(upsert, `the upsert in the connection's cache (${statements.map((s) => s.parameters.length)})`);
    const distinct = new Set(upsert.parameters);
    assert.ok(distinct.size <= 4, `${distinct.size} distinct parameter objects`);
    for (const p of distinct) {
      assert.equal(Object.getPrototypeOf(p), Object.prototype, 'a plain object, not a ColumnDefinition');
      assert.deepEqual(Object.keys(p).sort(), ['columnType', 'flags']);
    }
  } finally {
    conn.release();
  }
});
