// Walks several table columns together: one GETBULK asks for the next rows of every column
// still open, so a table costs rows × columns / budget requests rather than one walk per column.
// A short response (fewer varbinds than asked, which the RFC allows) only means asking again
// from where each column got to. A repeated or backwards OID stops the walk with an error: a
// device that loops would otherwise keep a worker forever.
import { SnmpError } from './errors.js';
import type { SnmpSession } from './session.js';
import type { Cell } from './types.js';
import { compareOids, decodeValue } from './values.js';
import { ColumnRows } from './column-rows.js';

export interface WalkOptions {
  /**
   * Most varbinds asked for in one GETBULK (repetitions × open columns); a device that cannot fit
   * them answers short or tooBig, both handled. Default 120.
   */
  maxVarbindsPerRequest?: number;
  /** Most repetitions per column in one GETBULK. Default 50. */
  maxRepetitions?: number;
  /** Most rows per column before the walk is stopped as runaway. Default 100000. */
  maxRows?: number;
  /** Requests in a row that bring nothing new before the walk gives up. Default 3. */
  maxStalls?: number;
}

export const DEFAULT_WALK_OPTIONS: Required<WalkOptions> = {
  maxVarbindsPerRequest: 120,
  maxRepetitions: 50,
  maxRows: 100000,
  maxStalls: 3,
};

/** Rows per column: column OID → (index after the column OID → varbind), in walk order. */
export type ColumnData = Map<string, ColumnRows>;

/** What one request brought for each column asked, in order, and when the agent read it. */
interface Answer {
  at?: number;
  columns: { oid: string; type: number; value: unknown; at?: number }[][];
}

export async function walkColumns(
  session: SnmpSession,
  columns: string[],
  options: WalkOptions = {},
): Promise<ColumnData> {
  const o = { ...DEFAULT_WALK_OPTIONS, ...options };
  const out: ColumnData = new Map(columns.map((c) => [c, new ColumnRows()]));
  // the open columns, with their rows and the last OID each got to, side by side
  let open = [...new Set(columns)];
  let rows = open.map((c) => out.get(c)!);
  let last = [...open];
  let budget = o.maxVarbindsPerRequest;
  let stalls = 0;
  while (open.length > 0) {
    let results: Answer;
    let asked = open.length;
    if (session.version === 'v1') {
      results = { columns: await getNextEach(session, open, last) };
    } else {
      const reps = Math.max(1, Math.min(o.maxRepetitions, Math.floor(budget / open.length)));
      if (reps === 1) asked = Math.min(open.length, Math.max(1, budget));
      try {
        results = await session.getBulkRaw(asked === open.length ? last : last.slice(0, asked), reps);
      } catch (err) {
        if (isTooBig(err) && (reps > 1 || asked > 1)) {
          budget = Math.max(1, Math.floor(budget / 2));
          continue;
        }
        throw err;
      }
    }
    let progress = 0;
    let ended = 0;
    const nextOpen: string[] = [];
    const nextRows: ColumnRows[] = [];
    const nextLast: string[] = [];
    for (let i = 0; i < open.length; i++) {
      const list = i < asked ? results.columns[i] : undefined;
      const r = list ? takeRows(open[i], rows[i], last[i], list, results.at, o.maxRows) : { prev: last[i], added: 0 };
      progress += r.added;
      if (r.done) {
        ended++;
      } else {
        nextOpen.push(open[i]);
        nextRows.push(rows[i]);
        nextLast.push(r.prev);
      }
    }
    open = nextOpen;
    rows = nextRows;
    last = nextLast;
    stalls = progress > 0 || ended > 0 ? 0 : stalls + 1;
    if (stalls >= o.maxStalls) throw new SnmpError('walk', `walk of ${open[0]} made no progress in ${stalls} requests`);
  }
  return out;
}

/**
 * Adds the varbinds one request brought for column `col` to its rows, after `prev` (the last OID
 * it got to). Returns the new last OID, how many rows were added and whether the column ended
 * (a varbind past it, or the end of the MIB view). Per varbind work stays small: a poll walks
 * some 800 of them.
 */
function takeRows(
  col: string,
  colRows: ColumnRows,
  prev: string,
  list: Answer['columns'][number],
  at: number | undefined,
  maxRows: number,
): { prev: string; added: number; done?: boolean } {
  const plen = col.length;
  let added = 0;
  let done = false;
  for (let j = 0; j < list.length; j++) {
    const vb = list[j];
    const oid = vb.oid;
    const value = decodeValue(vb.type, vb.value);
    // past the column (or the end of the MIB view): this column is done
    if (value === null || oid.length <= plen + 1 || oid.charCodeAt(plen) !== 46 || !oid.startsWith(col)) {
      done = true;
      break;
    }
    // prev is the column itself (every OID under it is past it) or an OID under it: both agree
    // up to the column's dot, so the compare starts after it
    if (prev.length !== plen && compareOids(oid, prev, plen + 1) <= 0) {
      const how = oid === prev ? 'repeated' : 'went backwards to';
      throw new SnmpError('walk', `walk of ${col} ${how} ${oid} after ${prev}: the device's SNMP agent loops`);
    }
    // the varbind becomes the cell in place (no copy a varbind: a poll keeps some 800); its OID
    // text is dropped, the row key holds what is needed of it
    const cell = vb as Cell & { oid: string };
    cell.value = value;
    cell.at ??= at;
    cell.oid = '';
    colRows.append(oid.slice(plen + 1), cell);
    prev = oid;
    added++;
  }
  if (colRows.size > maxRows)
    throw new SnmpError('walk', `walk of ${col} passed ${maxRows} rows (maxRows): stopped as runaway`);
  return { prev, added, done };
}

/** SNMPv1 has no GETBULK: one GETNEXT per column, each answered or ended on its own. */
async function getNextEach(session: SnmpSession, open: string[], last: string[]): Promise<Answer['columns']> {
  const res: Answer['columns'] = [];
  for (let i = 0; i < open.length; i++) {
    const col = open[i];
    try {
      res.push(await session.getNext([last[i]]));
    } catch (err) {
      // v1 ends a walk past the last object with noSuchName (status 2)
      if (((err as SnmpError).cause as { status?: number } | undefined)?.status === 2)
        res.push([{ oid: col, type: 130, value: null }]);
      else throw err;
    }
  }
  return res;
}

function isTooBig(err: unknown): boolean {
  return ((err as SnmpError)?.cause as { status?: number } | undefined)?.status === 1;
}
