// ColumnRows: a walked column's rows kept as two lists, read as a Map when asked; inRowsOf lines
// columns up with an index column, by position when the rows agree and by key when they do not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ColumnRows, inRowsOf, readTimes, rowKeys } from '../../agent/snmp/column-rows.js';
import type { Cell } from '../../agent/snmp/types.js';

const cell = (value: number): Cell => ({ type: 2, value });
function rows(entries: [string, number][]): ColumnRows {
  const r = new ColumnRows();
  for (const [k, v] of entries) r.append(k, cell(v));
  return r;
}

test('column rows: every Map reading sees the appended rows, in order', () => {
  const r = rows([
    ['1', 10],
    ['2', 20],
  ]);
  assert.equal(r.size, 2);
  assert.deepEqual(r.get('2'), cell(20));
  assert.equal(r.has('3'), false);
  r.append('3', cell(30)); // appended after a lookup: seen by the next one
  assert.deepEqual(r.get('3'), cell(30));
  assert.deepEqual([...r.keys()], ['1', '2', '3']);
  assert.deepEqual(
    [...r].map(([k, c]) => [k, c.value]),
    [
      ['1', 10],
      ['2', 20],
      ['3', 30],
    ],
  );
  assert.deepEqual(rowKeys(r), ['1', '2', '3']);
  assert.deepEqual(rowKeys(new Map([['7', cell(1)]])), ['7'], 'a plain Map has its keys read');
});

test('column rows: a Map changed by hand no longer offers its lists', () => {
  const r = rows([['1', 10]]);
  assert.ok(r.ordered);
  r.set('0', cell(0));
  assert.equal(r.ordered, undefined);
  assert.equal(r.size, 2);
  assert.deepEqual(inRowsOf(['0', '1'], r), [cell(0), cell(10)], 'read by key instead');
  r.delete('1');
  assert.equal(r.size, 1);
});

test('inRowsOf: by position when the rows agree, by key when one is missing or out of place', () => {
  const index = ['1', '2', '3'];
  const same = rows([
    ['1', 10],
    ['2', 20],
    ['3', 30],
  ]);
  assert.equal(inRowsOf(index, same), same.cellList, 'the column list itself');
  const gap = rows([
    ['1', 10],
    ['3', 30],
  ]);
  assert.deepEqual(inRowsOf(index, gap), [cell(10), undefined, cell(30)]);
  const other = rows([
    ['1', 10],
    ['2', 20],
    ['4', 40],
  ]);
  assert.deepEqual(inRowsOf(index, other), [cell(10), cell(20), undefined]);
  assert.equal(inRowsOf(index, undefined), undefined);
  assert.deepEqual(inRowsOf(index, new Map([['2', cell(2)]])), [undefined, cell(2), undefined]);
});

test('readTimes: in row order by position, otherwise by key; nothing for a missing row or column', () => {
  const r = new ColumnRows();
  for (const [k, at] of [
    ['1', 100],
    ['2', 200],
    ['4', 400],
  ] as const)
    r.append(k, { type: 2, value: 0, at });
  assert.deepEqual(['1', '2', '3', '4'].map(readTimes(r)), [100, 200, undefined, 400]);
  assert.equal(readTimes(r)('4'), 400, 'asked out of order');
  assert.equal(readTimes(undefined)('1'), undefined);
  assert.equal(readTimes(new Map([['1', cell(1)]]))('1'), undefined);
});
