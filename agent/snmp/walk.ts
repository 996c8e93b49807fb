// Walks several table columns together: one GETBULK asks for the next rows of every column
// still open, so a table costs rows × columns / budget requests rather than one walk per column.
// A short response (fewer varbinds than asked, which the RFC allows) only means asking again
// from where each column got to. A repeated or backwards OID stops the walk with an error: a
// device that loops would otherwise keep a worker forever.
import { SnmpError } from './errors.js';
import type { SnmpSession } from './session.js';
import type { Varbind } from './types.js';
import { compareOids, isUnder } from './values.js';

export interface WalkOptions {
  /** Most varbinds asked for in one GETBULK (repetitions × open columns); a device that cannot fit them answers short or tooBig, both handled. Default 120. */
  maxVarbindsPerRequest?: number;
  /** Most repetitions per column in one GETBULK. Default 50. */
  maxRepetitions?: number;
  /** Most rows per column before the walk is stopped as runaway. Default 100000. */
  maxRows?: number;
  /** Requests in a row that bring nothing new before the walk gives up. Default 3. */
  maxStalls?: number;
}

export const DEFAULT_WALK_OPTIONS: Required<WalkOptions> = { maxVarbindsPerRequest: 120, maxRepetitions: 50, maxRows: 100000, maxStalls: 3 };

/** Rows per column: column OID → (index after the column OID → varbind). */
export type ColumnData = Map<string, Map<string, Varbind>>;

export async function walkColumns(session: SnmpSession, columns: string[], options: WalkOptions = {}): Promise<ColumnData> {
  const o = { ...DEFAULT_WALK_OPTIONS, ...options };
  const out: ColumnData = new Map(columns.map((c) => [c, new Map()]));
  const last = new Map(columns.map((c) => [c, c]));
  let open = [...new Set(columns)];
  let budget = o.maxVarbindsPerRequest;
  let stalls = 0;
  while (open.length > 0) {
    let progress = 0;
    let results: Varbind[][];
    if (session.version === 'v1') {
      results = await getNextEach(session, open, last);
    } else {
      const reps = Math.max(1, Math.min(o.maxRepetitions, Math.floor(budget / open.length)));
      const ask = reps === 1 ? open.slice(0, Math.max(1, budget)) : open;
      try {
        results = await session.getBulk(ask.map((c) => last.get(c)!), reps);
      } catch (err) {
        if (isTooBig(err) && (reps > 1 || ask.length > 1)) {
          budget = Math.max(1, Math.floor(budget / 2));
          continue;
        }
        throw err;
      }
      results = open.map((_, i) => (i < ask.length ? results[i] ?? [] : []));
    }
    const done = new Set<string>();
    open.forEach((col, i) => {
      for (const vb of results[i] ?? []) {
        if (vb.value === null || !isUnder(vb.oid, col)) {
          done.add(col);
          break;
        }
        const prev = last.get(col)!;
        if (compareOids(vb.oid, prev) <= 0) {
          throw new SnmpError('walk', `walk of ${col} ${vb.oid === prev ? 'repeated' : 'went backwards to'} ${vb.oid} after ${prev}: the device's SNMP agent loops`);
        }
        const rows = out.get(col)!;
        rows.set(vb.oid.slice(col.length + 1), vb);
        last.set(col, vb.oid);
        progress++;
        if (rows.size > o.maxRows) throw new SnmpError('walk', `walk of ${col} passed ${o.maxRows} rows (maxRows): stopped as runaway`);
      }
    });
    open = open.filter((c) => !done.has(c));
    stalls = progress > 0 || done.size > 0 ? 0 : stalls + 1;
    if (stalls >= o.maxStalls) throw new SnmpError('walk', `walk of ${open[0]} made no progress in ${stalls} requests`);
  }
  return out;
}

/** SNMPv1 has no GETBULK: one GETNEXT per column, each answered or ended on its own. */
async function getNextEach(session: SnmpSession, open: string[], last: Map<string, string>): Promise<Varbind[][]> {
  const res: Varbind[][] = [];
  for (const col of open) {
    try {
      res.push(await session.getNext([last.get(col)!]));
    } catch (err) {
      // v1 ends a walk past the last object with noSuchName (status 2)
      if (((err as SnmpError).cause as { status?: number } | undefined)?.status === 2) res.push([{ oid: col, type: 130, value: null }]);
      else throw err;
    }
  }
  return res;
}

function isTooBig(err: unknown): boolean {
  return ((err as SnmpError)?.cause as { status?: number } | undefined)?.status === 1;
}
