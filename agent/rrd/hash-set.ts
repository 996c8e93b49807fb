// A set of 53-bit hashes in one Float64Array (open addressing, linear probing), for the RRD
// writer's "files already created" memory. A JS Set of half a million such numbers costs about
// 40 bytes an entry in the V8 heap (a boxed double plus the table's slots), every one of them
// marked by each full GC and multiplied by V8's heap growth headroom; here an entry is 8-16
// bytes outside the heap, and GC never looks inside.
//
// 0 marks an empty slot and -1 a deleted one: hashes are whole numbers in [1, 2^53), so a hash
// of 0 is stored as 1 (one more harmless collision).

const EMPTY = 0;
const DELETED = -1;
/** Grow (or rebuild, when it is mostly tombstones) once this share of slots is taken. */
const MAX_LOAD = 0.7;

export class HashSet53 {
  private slots: Float64Array;
  private mask: number;
  private used = 0; // live entries
  private tombs = 0; // deleted slots not reused yet

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap * MAX_LOAD < initialCapacity) cap *= 2;
    this.slots = new Float64Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.used;
  }

  /** Bytes of the table (what the set costs, outside the JS heap). */
  get bytes(): number {
    return this.slots.byteLength;
  }

  has(hash: number): boolean {
    return this.slotOf(key(hash)) >= 0;
  }

  /** Adds a hash; false when it was there already. */
  add(hash: number): boolean {
    const h = key(hash);
    const s = this.slots;
    let free = -1;
    for (let i = start(h, this.mask); ; i = (i + 1) & this.mask) {
      const v = s[i];
      if (v === h) return false;
      if (v === DELETED) {
        if (free < 0) free = i;
      } else if (v === EMPTY) {
        if (free >= 0) this.tombs--;
        else free = i;
        break;
      }
    }
    s[free] = h;
    this.used++;
    if (this.used + this.tombs > this.slots.length * MAX_LOAD) this.rehash();
    return true;
  }

  delete(hash: number): boolean {
    const i = this.slotOf(key(hash));
    if (i < 0) return false;
    this.slots[i] = DELETED;
    this.used--;
    this.tombs++;
    return true;
  }

  /** The slot holding key `h`, or -1: probes past tombstones up to the first empty slot. */
  private slotOf(h: number): number {
    const s = this.slots;
    for (let i = start(h, this.mask); ; i = (i + 1) & this.mask) {
      const v = s[i];
      if (v === h) return i;
      if (v === EMPTY) return -1;
    }
  }

  clear(): void {
    this.slots.fill(EMPTY);
    this.used = 0;
    this.tombs = 0;
  }

  private rehash(): void {
    const old = this.slots;
    // double when the live entries need it; same size when tombstones filled the table
    const cap = this.used * 2 > old.length * MAX_LOAD ? old.length * 2 : old.length;
    this.slots = new Float64Array(cap);
    this.mask = cap - 1;
    this.tombs = 0;
    for (let j = 0; j < old.length; j++) {
      const h = old[j];
      if (h === EMPTY || h === DELETED) continue;
      let i = start(h, this.mask);
      while (this.slots[i] !== EMPTY) i = (i + 1) & this.mask;
      this.slots[i] = h;
    }
  }
}

const key = (hash: number): number => (hash === 0 ? 1 : hash);

/** Slot of a hash: its low 32 bits mixed (the low bits of pathHash are the second FNV's, already spread). */
function start(h: number, mask: number): number {
  return Math.imul(h >>> 0, 0x9e3779b1) & mask;
}
