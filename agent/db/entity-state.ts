// What the database holds of a device's entities (ports, processors, storage, sensors), read in
// the same query as the device: live counts, the ports' counter width and every row id by key.
import type mysql from 'mysql2/promise';
import type { Db } from './connection.js';

/**
 * How many entities discovery found for a device (polls skip modules with none), and whether its
 * ports have 64-bit counters.
 */
export async function entityCounts(
  db: Db,
  deviceId: number,
): Promise<{ ports: number; processors: number; storage: number; sensors: number; counterBits: 32 | 64 }> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(`SELECT ${ENTITY_STATE_COLUMNS('?')}`, [
    deviceId,
    deviceId,
    deviceId,
    deviceId,
  ]);
  const { ports, processors, storage, sensors, counterBits } = entityStateOf(rows[0]);
  return { ports, processors, storage, sensors, counterBits };
}

/**
 * What the database holds of a device's entities: the live counts (a poll skips modules with
 * none), the ports' counter width, and the id of every row by its key, so that the upserts
 * name the primary key. An upsert that names only the unique key makes InnoDB insert a new
 * row, meet the duplicate, undo the insert and update instead, and spend an AUTO_INCREMENT
 * value per row each time: 48 port ids a poll, which would exhaust INT UNSIGNED port_id within
 * weeks on a large install.
 */
export interface EntityState {
  ports: number;
  processors: number;
  storage: number;
  sensors: number;
  counterBits: 32 | 64;
  ids: EntityIds;
}

/** Row ids by key; deleted rows included (a port seen again keeps its id). */
export interface EntityIds {
  /** port_id by ifIndex. */
  ports: Map<number, number>;
  /** processor_id by processor_index (type hr). */
  processors: Map<string, number>;
  /** storage_id by storage_index (hrstorage). */
  storage: Map<string, number>;
  /** sensor_id by sensorKey(class, index) (entity-sensor). */
  sensors: Map<string, number>;
}

export const sensorKey = (sensorClass: string, index: string) => `${sensorClass} ${index}`;

/**
 * The select-list that reads a device's entity state, one text column per table (a row per
 * entity: fields by spaces, rows by commas; indexes are digits, from OIDs). `dev` is the SQL
 * naming the device id (a column of the outer query, or `?` bound four times).
 */
export const ENTITY_STATE_COLUMNS = (dev: string) => `
  (SELECT GROUP_CONCAT(port_id, ' ', ifIndex, ' ', deleted, ' ', counter_bits)
    FROM ports WHERE device_id = ${dev}) AS e_ports,
  (SELECT GROUP_CONCAT(processor_id, ' ', processor_type, ' ', processor_index)
    FROM processors WHERE device_id = ${dev}) AS e_processors,
  (SELECT GROUP_CONCAT(storage_id, ' ', storage_deleted, ' ', storage_mib, ' ', COALESCE(storage_index, ''))
    FROM storage WHERE device_id = ${dev}) AS e_storage,
  (SELECT GROUP_CONCAT(sensor_id, ' ', sensor_deleted, ' ', sensor_type, ' ', sensor_class, ' ',
      COALESCE(sensor_index, ''))
    FROM sensors WHERE device_id = ${dev}) AS e_sensors`;

/**
 * Reads the e_* columns of ENTITY_STATE_COLUMNS. Malformed entries are left out: their rows are
 * then written by unique key, as before.
 */
export function entityStateOf(row: Record<string, unknown>): EntityState {
  const s: EntityState = {
    ports: 0,
    processors: 0,
    storage: 0,
    sensors: 0,
    counterBits: 64,
    ids: { ports: new Map(), processors: new Map(), storage: new Map(), sensors: new Map() },
  };
  const bits = readPorts(row.e_ports, s);
  s.counterBits = bits === 32 ? 32 : 64;
  for (const f of entries(row.e_processors, 3)) {
    s.processors++;
    if (f[1] === 'hr') s.ids.processors.set(f[2], Number(f[0]));
  }
  for (const f of entries(row.e_storage, 4)) {
    if (f[1] === '0') s.storage++;
    if (f[2] === 'hrstorage' && f[3] !== '') s.ids.storage.set(f[3], Number(f[0]));
  }
  for (const f of entries(row.e_sensors, 5)) {
    if (f[1] === '0') s.sensors++;
    if (f[2] === 'entity-sensor' && f[4] !== '') s.ids.sensors.set(sensorKey(f[3], f[4]), Number(f[0]));
  }
  return s;
}

/**
 * e_ports: `port_id ifIndex deleted counter_bits` entries, read in place (every poll reads 48 or
 * more; split strings and arrays for each showed in the agent's profile). The index comes before
 * two short fields, so a cut-off last entry cannot pass for another port; an entry that is not
 * two numbers, a field and 32 or 64 is left out. Returns the widest live counter width (0: none).
 */
function readPorts(v: unknown, s: EntityState): number {
  if (typeof v !== 'string') return 0;
  let bits = 0;
  for (let i = 0; i < v.length;) {
    let end = v.indexOf(',', i);
    if (end < 0) end = v.length;
    const id = number(v, i, end);
    const index = id ? number(v, id.next, end) : undefined;
    const gap = index ? v.indexOf(' ', index.next) : -1;
    const width = gap >= 0 && gap < end ? v.slice(gap + 1, end) : '';
    if (index && (width === '32' || width === '64')) {
      s.ids.ports.set(index.value, id!.value);
      if (gap - index.next === 1 && v.charCodeAt(index.next) === 48) {
        s.ports++;
        if (width === '64') bits = 64;
        else if (bits === 0) bits = 32;
      }
    }
    i = end + 1;
  }
  return bits;
}

/** The digits at v[i..] followed by a space before `end`: their value and where the next field starts. */
function number(v: string, i: number, end: number): { value: number; next: number } | undefined {
  let value = 0;
  let p = i;
  for (; p < end; p++) {
    const c = v.charCodeAt(p);
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
  }
  return p > i && p < end && v.charCodeAt(p) === 32 ? { value, next: p + 1 } : undefined;
}

/** Splits a GROUP_CONCAT column into entries of `n` fields, the first a numeric id. */
function entries(v: unknown, n: number): string[][] {
  if (typeof v !== 'string' || v === '') return [];
  const out: string[][] = [];
  for (const e of v.split(',')) {
    const f = e.split(' ');
    if (f.length === n && DIGITS.test(f[0])) out.push(f);
  }
  return out;
}
const DIGITS = /^\d+$/;
