// Repository functions for a device's entities (ports, processors, storage, sensors): one
// multi-row upsert per table and poll; the ports upsert returns the ids the RRD files are named by.
import type mysql from 'mysql2/promise';
import type { PortRecord, ProcessorRecord, SensorRecord, StorageRecord } from '../collectors/types.js';
import { PORT_COUNTERS } from './schema.js';
import { withRetry, type Db } from './index.js';

const PORT_COLS = [
  'ifIndex',
  'ifDescr',
  'ifName',
  'ifAlias',
  'ifType',
  'ifMtu',
  'ifSpeed',
  'ifHighSpeed',
  'ifPhysAddress',
  'ifAdminStatus',
  'ifOperStatus',
  'ifLastChange',
] as const;
const PORT_INSERT_COLS = [
  'port_id',
  'device_id',
  ...PORT_COLS,
  'counter_bits',
  ...PORT_COUNTERS,
  'poll_time',
  'deleted',
];
const PORT_UPSERT_HEAD = `INSERT INTO ports (${PORT_INSERT_COLS.join(', ')}) VALUES`;
const PORT_ROW = `(${PORT_INSERT_COLS.map(() => '?').join(',')})`;
// Assignments run left to right: the previous values are read before being replaced.
const PORT_UPSERT_TAIL =
  'ON DUPLICATE KEY UPDATE ' +
  [
    'ifOperStatus_prev = ifOperStatus',
    'ifAdminStatus_prev = ifAdminStatus',
    'ifSpeed_prev = ifSpeed',
    'ifHighSpeed_prev = ifHighSpeed',
    // a poll walks fewer columns than discovery: what it did not read stays as it was
    ...PORT_COLS.filter((c) => c !== 'ifIndex').map((c) => `${c} = COALESCE(VALUES(${c}), ${c})`),
    'counter_bits = VALUES(counter_bits)',
    'deleted = 0',
    'poll_prev = poll_time',
    'poll_time = VALUES(poll_time)',
    'poll_period = IF(poll_prev IS NULL OR poll_time <= poll_prev, NULL, poll_time - poll_prev)',
    // a counter the walk did not read (NULL) keeps its stored value and _prev, with no delta
    ...PORT_COUNTERS.flatMap((c) => [
      `${c}_prev = IF(VALUES(${c}) IS NULL, ${c}_prev, ${c})`,
      `${c} = COALESCE(VALUES(${c}), ${c})`,
      `${c}_delta = IF(VALUES(${c}) IS NULL OR ${c}_prev IS NULL OR ${c} < ${c}_prev, NULL, ${c} - ${c}_prev)`,
      `${c}_rate = IF(${c}_delta IS NULL OR poll_period IS NULL, NULL, ${c}_delta DIV poll_period)`,
    ]),
  ].join(', ');

/** The upsert of `n` ports (10 kB of text at 48), built once per port count instead of per poll. */
function portUpsertSql(n: number): string {
  let sql = portSql.get(n);
  if (sql === undefined) {
    sql = `${PORT_UPSERT_HEAD} ${Array(n).fill(PORT_ROW).join(',')} ${PORT_UPSERT_TAIL}`;
    if (portSql.size < 256) portSql.set(n, sql);
  }
  return sql;
}
const portSql = new Map<number, string>();

/**
 * A counter as a bind value: a number (8 bytes, no text to encode) while a double holds it
 * exactly, its digits beyond 2^53. The column is BIGINT UNSIGNED either way, and VALUES()
 * reads the stored integer, so deltas are exact. About a fifth less CPU for the ports upsert
 * in the poller than digits for every counter.
 */
function counterParam(v: bigint | null): number | string | null {
  if (v === null) return null;
  return v <= MAX_EXACT ? Number(v) : v.toString();
}
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** False once the server refused INSERT ... RETURNING. */
let returning = true;

/**
 * Upserts the ports seen (counters with _prev/_delta/_rate computed in SQL from the stored
 * ones) and, when `markMissing` (discovery), flags ports no longer present as deleted.
 * `known` (EntityIds.ports) names the rows by primary key; ports not in it get new ids.
 * Returns port_id by ifIndex of the ports seen.
 */
export async function syncPorts(
  db: Db,
  deviceId: number,
  ports: PortRecord[],
  pollTime: number,
  markMissing = false,
  known?: Map<number, number>,
): Promise<Map<number, number>> {
  const ids = new Map<number, number>();
  if (ports.length > 0) {
    const params: (string | number | null)[] = [];
    let unknown = 0;
    for (const p of ports) {
      const id = known?.get(p.ifIndex);
      if (id === undefined) unknown++;
      else ids.set(p.ifIndex, id);
      params.push(id ?? null, deviceId);
      for (const c of PORT_COLS) params.push(p[c]);
      params.push(p.counterBits);
      for (const c of PORT_COUNTERS) params.push(counterParam(p.counters[c]));
      params.push(pollTime, 0);
    }
    // A prepared statement per port count: the long update clause is sent once per connection
    // and the values travel binary.
    const sql = portUpsertSql(ports.length);
    // RETURNING (MariaDB >= 10.5) hands back the ids with the upsert; older servers (EL 8's
    // 10.3) get a SELECT after it
    if (unknown === 0) {
      // every row by its id: nothing to hand back
      await withRetry(() => db.execute(sql, params));
    } else if (returning) {
      try {
        const [rows] = await withRetry(() =>
          db.execute<mysql.RowDataPacket[]>(`${sql} RETURNING port_id, ifIndex`, params),
        );
        for (const r of rows) ids.set(Number(r.ifIndex), Number(r.port_id));
      } catch (err) {
        if ((err as { code?: string }).code !== 'ER_PARSE_ERROR') throw err;
        returning = false;
      }
    }
    if (unknown > 0 && !returning) {
      await withRetry(() => db.execute(sql, params));
      const [rows] = await db.query<mysql.RowDataPacket[]>(
        'SELECT port_id, ifIndex FROM ports WHERE device_id = ? AND ifIndex IN (?)',
        [deviceId, ports.map((p) => p.ifIndex)],
      );
      for (const r of rows) ids.set(Number(r.ifIndex), Number(r.port_id));
    }
  }
  if (markMissing)
    await markGone(
      db,
      'ports',
      'port_id',
      'ifIndex',
      'deleted = 1',
      'deleted = 0',
      deviceId,
      ports.map((p) => String(p.ifIndex)),
    );
  return ids;
}

/** The small tables below take their `known` ids (EntityIds) as syncPorts does. */
export async function syncProcessors(
  db: Db,
  deviceId: number,
  procs: ProcessorRecord[],
  markMissing = false,
  known?: Map<string, number>,
): Promise<void> {
  if (procs.length > 0) {
    await withRetry(() =>
      db.query(
        `INSERT INTO processors (processor_id, device_id, hrDeviceIndex, processor_oid, processor_index, processor_type, processor_usage, processor_descr)
       VALUES ? ON DUPLICATE KEY UPDATE processor_usage = VALUES(processor_usage), processor_descr = VALUES(processor_descr)`,
        [
          procs.map((p) => [
            known?.get(p.index) ?? null,
            deviceId,
            Number(p.index) || null,
            `.1.3.6.1.2.1.25.3.3.1.2.${p.index}`,
            p.index,
            'hr',
            Math.round(p.usage),
            p.descr.slice(0, 64),
          ]),
        ],
      ),
    );
  }
  if (markMissing)
    await markGone(
      db,
      'processors',
      'processor_id',
      'processor_index',
      null,
      '1',
      deviceId,
      procs.map((p) => p.index),
    );
}

export async function syncStorage(
  db: Db,
  deviceId: number,
  items: StorageRecord[],
  markMissing = false,
  known?: Map<string, number>,
): Promise<void> {
  if (items.length > 0) {
    await withRetry(() =>
      db.query(
        `INSERT INTO storage (storage_id, device_id, storage_mib, storage_index, storage_type, storage_descr, storage_size, storage_units, storage_used, storage_free, storage_perc, storage_deleted)
       VALUES ? ON DUPLICATE KEY UPDATE storage_type = VALUES(storage_type), storage_descr = VALUES(storage_descr), storage_size = VALUES(storage_size),
       storage_units = VALUES(storage_units), storage_used = VALUES(storage_used), storage_free = VALUES(storage_free), storage_perc = VALUES(storage_perc), storage_deleted = 0`,
        [
          items.map((s) => [
            known?.get(s.index) ?? null,
            deviceId,
            'hrstorage',
            s.index,
            s.type,
            s.descr,
            s.size,
            s.units,
            s.used,
            s.free,
            Math.round(s.perc),
            0,
          ]),
        ],
      ),
    );
  }
  if (markMissing)
    await markGone(
      db,
      'storage',
      'storage_id',
      'storage_index',
      'storage_deleted = 1',
      'storage_deleted = 0',
      deviceId,
      items.map((s) => s.index),
    );
}

export async function syncSensors(
  db: Db,
  deviceId: number,
  sensors: SensorRecord[],
  markMissing = false,
  known?: Map<string, number>,
): Promise<void> {
  if (sensors.length > 0) {
    await withRetry(() =>
      db.query(
        `INSERT INTO sensors (sensor_id, device_id, sensor_class, poller_type, sensor_oid, sensor_index, sensor_type, sensor_descr, sensor_divisor, sensor_multiplier, sensor_current, entPhysicalIndex, sensor_deleted)
       VALUES ? ON DUPLICATE KEY UPDATE sensor_prev = sensor_current, sensor_current = VALUES(sensor_current), sensor_descr = VALUES(sensor_descr),
       sensor_oid = VALUES(sensor_oid), sensor_divisor = VALUES(sensor_divisor), sensor_multiplier = VALUES(sensor_multiplier), sensor_deleted = 0`,
        [
          sensors.map((s) => [
            known?.get(sensorKey(s.sensorClass, s.index)) ?? null,
            deviceId,
            s.sensorClass,
            'snmp',
            s.oid,
            s.index,
            'entity-sensor',
            s.descr.slice(0, 255),
            s.divisor,
            s.multiplier,
            s.value,
            s.index,
            0,
          ]),
        ],
      ),
    );
  }
  if (markMissing)
    await markGone(
      db,
      'sensors',
      'sensor_id',
      'sensor_index',
      'sensor_deleted = 1',
      'sensor_deleted = 0',
      deviceId,
      sensors.map((s) => s.index),
    );
}

/**
 * Flags (or, with `set` null, deletes) the rows of a device that discovery no longer saw. The
 * rows are found with a plain read and changed by primary key, so the usual case (nothing
 * gone) takes no lock, and the rare one locks only those rows.
 */
async function markGone(
  db: Db,
  table: string,
  pk: string,
  indexCol: string,
  set: string | null,
  live: string,
  deviceId: number,
  seen: string[],
): Promise<void> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    `SELECT ${pk} AS id, ${indexCol} AS idx FROM ${table} WHERE device_id = ? AND ${live}`,
    [deviceId],
  );
  const keep = new Set(seen);
  const gone = rows.filter((r) => !keep.has(String(r.idx))).map((r) => r.id);
  if (gone.length === 0) return;
  await withRetry(() =>
    db.query(set ? `UPDATE ${table} SET ${set} WHERE ${pk} IN (?)` : `DELETE FROM ${table} WHERE ${pk} IN (?)`, [gone]),
  );
}

/** How many entities discovery found for a device (polls skip modules with none), and whether its ports have 64-bit counters. */
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
  (SELECT GROUP_CONCAT(port_id, ' ', ifIndex, ' ', deleted, ' ', counter_bits) FROM ports WHERE device_id = ${dev}) AS e_ports,
  (SELECT GROUP_CONCAT(processor_id, ' ', processor_type, ' ', processor_index) FROM processors WHERE device_id = ${dev}) AS e_processors,
  (SELECT GROUP_CONCAT(storage_id, ' ', storage_deleted, ' ', storage_mib, ' ', COALESCE(storage_index, '')) FROM storage WHERE device_id = ${dev}) AS e_storage,
  (SELECT GROUP_CONCAT(sensor_id, ' ', sensor_deleted, ' ', sensor_type, ' ', sensor_class, ' ', COALESCE(sensor_index, '')) FROM sensors WHERE device_id = ${dev}) AS e_sensors`;

/** Reads the e_* columns of ENTITY_STATE_COLUMNS. Malformed entries are left out: their rows are then written by unique key, as before. */
export function entityStateOf(row: Record<string, unknown>): EntityState {
  const s: EntityState = {
    ports: 0,
    processors: 0,
    storage: 0,
    sensors: 0,
    counterBits: 64,
    ids: { ports: new Map(), processors: new Map(), storage: new Map(), sensors: new Map() },
  };
  let bits = 0;
  // runs once per device and poll: plain loops over split strings (a generator with rest
  // arrays showed in the poller's profile)
  for (const f of entries(row.e_ports, 4)) {
    // [port_id, ifIndex, deleted, counter_bits]: the index comes before two short fields, so a
    // cut-off last entry cannot pass for another port
    if (!DIGITS.test(f[1]) || (f[3] !== '32' && f[3] !== '64')) continue;
    s.ids.ports.set(Number(f[1]), Number(f[0]));
    if (f[2] === '0') {
      s.ports++;
      if (f[3] === '64') bits = 64;
      else if (bits === 0) bits = 32;
    }
  }
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
