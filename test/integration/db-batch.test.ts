// WriteBatch on the test MariaDB: a poll's writes as one multi-statement transaction. What the
// statements write, what reads among them return, values that look like SQL staying values, and
// a statement the server refuses costing only itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { generateAppKey } from '../../lib/crypto.js';
import { WriteBatch, type Db } from '../../agent/db/index.js';
import { freshName, openTestDb, type TestDb } from '../helpers/services.js';

let t: TestDb | undefined;
let db: Db;

before(async () => {
  t = await openTestDb(freshName('batch'), generateAppKey());
  db = t.db;
  await db.query('CREATE TABLE bt (id INT PRIMARY KEY, txt VARCHAR(32), at DATETIME(3) NULL)');
});

after(async () => {
  await t?.drop();
});

const rows = async () =>
  (await db.query<mysql.RowDataPacket[]>('SELECT id, txt FROM bt ORDER BY id'))[0].map((r) => [r.id, r.txt]);

test('batch: statements in order, reads see the writes before them, results after the commit', async () => {
  await db.query('DELETE FROM bt');
  const b = new WriteBatch(db);
  let seen: unknown;
  b.add('INSERT INTO bt (id, txt) VALUES ?', [
    [
      [1, 'a'],
      [2, 'b'],
    ],
  ]);
  b.add('UPDATE bt SET txt = ? WHERE id = ?', ['c', 2]);
  b.add('SELECT id, txt FROM bt WHERE id = ?', [2], { onResult: (r) => (seen = r) });
  assert.equal(b.size, 3);
  await b.flush();
  assert.equal(b.size, 0);
  assert.deepEqual(
    (seen as mysql.RowDataPacket[]).map((r) => [r.id, r.txt]),
    [[2, 'c']],
  );
  assert.deepEqual(await rows(), [
    [1, 'a'],
    [2, 'c'],
  ]);
  await b.flush(); // empty: nothing sent
});

test('batch: text that looks like SQL stays a value; dates go as UTC', async () => {
  await db.query('DELETE FROM bt');
  const b = new WriteBatch(db);
  const nasty = "x'; \\DROP";
  b.add('INSERT INTO bt (id, txt, at) VALUES (?, ?, ?)', [1, nasty, new Date('2026-01-02T03:04:05.678Z')]);
  b.add('INSERT INTO bt (id, txt) VALUES (?, ?)', [2, '"--']);
  await b.flush();
  assert.deepEqual(await rows(), [
    [1, nasty],
    [2, '"--'],
  ]);
  const [r] = await db.query<mysql.RowDataPacket[]>(
    "SELECT DATE_FORMAT(at, '%Y-%m-%d %T.%f') AS at FROM bt WHERE id = 1",
  );
  assert.equal(r[0].at, '2026-01-02 03:04:05.678000');
  const [tables] = await db.query<mysql.RowDataPacket[]>("SHOW TABLES LIKE 'bt'");
  assert.equal(tables.length, 1);
});

test('batch: a refused statement costs only itself (reported to its owner); unhandled, the flush throws', async () => {
  await db.query('DELETE FROM bt');
  const b = new WriteBatch(db);
  const errors: string[] = [];
  b.add('INSERT INTO bt (id, txt) VALUES (?, ?)', [1, 'a']);
  b.add('INSERT INTO bt (id, txt) VALUES (?, ?)', [1, 'dup'], { onError: (e) => errors.push(e.message) });
  b.add('INSERT INTO bt (id, txt) VALUES (?, ?)', [2, 'b']);
  await b.flush();
  assert.equal(errors.length, 1);
  assert.match(errors[0], /Duplicate entry/);
  assert.deepEqual(await rows(), [
    [1, 'a'],
    [2, 'b'],
  ]);
  const c = new WriteBatch(db);
  c.add('INSERT INTO bt (id, txt) VALUES (?, ?)', [3, 'c']);
  c.add('INSERT INTO bt (id, txt) VALUES (?, ?)', [1, 'dup']);
  c.add('INSERT INTO bt (id, txt) VALUES (?, ?)', [4, 'd']);
  await assert.rejects(c.flush(), /Duplicate entry/);
  assert.deepEqual(await rows(), [
    [1, 'a'],
    [2, 'b'],
    [3, 'c'],
    [4, 'd'],
  ]);
});
