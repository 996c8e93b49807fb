// The rows of one walked column. A walk appends them in OID order (strictly increasing, so no
// row twice) to two plain arrays; the Map a caller may look rows up in is filled from them only
// when first asked. A poll's collectors mostly read the columns of a table side by side, row by
// row (`inRowsOf`), which needs no Map at all: a poll of a 48-port device keeps some 800 cells,
// and their Map entries were the largest part of the walk's own CPU.
import type { Cell } from './types.js';

export class ColumnRows extends Map<string, Cell> {
  /** Row keys (the OID after the column's) in walk order. */
  readonly keyList: string[] = [];
  /** The cells, at the same positions as their keys. */
  readonly cellList: Cell[] = [];
  /** How many of the lists' rows are in the Map; -1 once the Map was changed by hand. */
  private filled = 0;

  /** Adds a row after the last one (the walk checks the order). */
  append(key: string, cell: Cell): void {
    this.keyList.push(key);
    this.cellList.push(cell);
  }

  /** The lists in row order, while they are what the Map holds (not after set/delete/clear). */
  get ordered(): { keys: readonly string[]; cells: readonly Cell[] } | undefined {
    return this.filled < 0 ? undefined : { keys: this.keyList, cells: this.cellList };
  }

  private fill(): void {
    if (this.filled < 0 || this.filled === this.keyList.length) return;
    for (let i = this.filled; i < this.keyList.length; i++) super.set(this.keyList[i], this.cellList[i]);
    this.filled = this.keyList.length;
  }

  override get(key: string): Cell | undefined {
    this.fill();
    return super.get(key);
  }
  override has(key: string): boolean {
    this.fill();
    return super.has(key);
  }
  override get size(): number {
    return this.filled < 0 ? super.size : this.keyList.length;
  }
  override keys(): MapIterator<string> {
    this.fill();
    return super.keys();
  }
  override values(): MapIterator<Cell> {
    this.fill();
    return super.values();
  }
  override entries(): MapIterator<[string, Cell]> {
    this.fill();
    return super.entries();
  }
  override [Symbol.iterator](): MapIterator<[string, Cell]> {
    return this.entries();
  }
  override forEach(fn: (value: Cell, key: string, map: Map<string, Cell>) => void, thisArg?: unknown): void {
    this.fill();
    super.forEach(fn, thisArg);
  }
  override set(key: string, cell: Cell): this {
    this.fill();
    this.filled = -1;
    return super.set(key, cell);
  }
  override delete(key: string): boolean {
    this.fill();
    this.filled = -1;
    return super.delete(key);
  }
  override clear(): void {
    this.filled = -1;
    super.clear();
  }
}

/**
 * The cells of `col` at the positions of `index`'s keys (undefined where `col` has no such row).
 * Columns of one table walked together usually hold the same rows in the same order: then this
 * is `col`'s own list, with no lookup; otherwise one lookup a row.
 */
export function inRowsOf(
  index: readonly string[],
  col: Map<string, Cell> | undefined,
): readonly (Cell | undefined)[] | undefined {
  if (col === undefined) return undefined;
  const own = col instanceof ColumnRows ? col.ordered : undefined;
  if (own && own.keys.length === index.length) {
    let same = true;
    for (let j = 0; j < index.length && same; j++) same = own.keys[j] === index[j];
    if (same) return own.cells;
  }
  return index.map((k) => col.get(k));
}

/**
 * When each row of `col` was read, by key: asked in row order (as a poll's ports are), each
 * answer is the next position of the walk's lists, with no Map built; otherwise a lookup.
 */
export function readTimes(col: Map<string, Cell> | undefined): (key: string) => number | undefined {
  if (col === undefined) return () => undefined;
  const own = col instanceof ColumnRows && col.ordered ? col : undefined;
  let next = 0;
  return (key) => (own?.keyList[next] === key ? own.cellList[next++].at : col.get(key)?.at);
}

/** A column's row keys in order: the walk's list when it has one. */
export function rowKeys(col: Map<string, Cell>): readonly string[] {
  return (col instanceof ColumnRows ? col.ordered?.keys : undefined) ?? [...col.keys()];
}
