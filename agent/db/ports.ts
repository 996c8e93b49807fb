// The ports of a device (LibreNMS's `ports` rows): one multi-row upsert per poll, counters with
// _prev/_delta/_rate computed in SQL, returning the ids the RRD files are named by.
import type mysql from 'mysql2/promise';
import { PORT_COUNTERS } from '../collectors/port-counters.js';
import type { PortRecord } from '../collectors/types.js';
import { withRetry, type Db } from './connection.js';

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
type PortCol = (typeof PORT_COLS)[number];
type Counter = (typeof PORT_COUNTERS)[number];

/** The columns an upsert writes: all of them, or those a poll's walk read (see shapeOf). */
interface Shape {
  cols: readonly PortCol[];
  counters: readonly Counter[];
  key: string;
}
const FULL: Shape = { cols: PORT_COLS, counters: PORT_COUNTERS, key: 'full' };

/**
 * What a poll of known ports writes: only the columns some port has a value for. A column no
 * port has (a poll walks statuses, speed and counters, not names) is left out of the statement
 * instead of being sent as NULL and kept by COALESCE: the same row after it, about a third fewer
 * values to send and expressions for MariaDB to evaluate.
 */
function shapeOf(ports: PortRecord[]): Shape {
  const cols = PORT_COLS.filter((c) => c === 'ifIndex' || ports.some((p) => p[c] !== null));
  const counters = PORT_COUNTERS.filter((c) => ports.some((p) => p.counters[c] !== null));
  if (cols.length === PORT_COLS.length && counters.length === PORT_COUNTERS.length) return FULL;
  const bits = (all: readonly string[], some: readonly string[]) => all.map((c) => (some.includes(c) ? 1 : 0)).join('');
  return { cols, counters, key: `${bits(PORT_COLS, cols)}.${bits(PORT_COUNTERS, counters)}` };
}

/**
 * The upsert's text for `n` ports of a shape. Assignments run left to right: previous values
 * are read before being replaced.
 */
function buildUpsert(shape: Shape, n: number): string {
  const insertCols = ['port_id', 'device_id', ...shape.cols, 'counter_bits', ...shape.counters, 'poll_time', 'deleted'];
  const row = `(${insertCols.map(() => '?').join(',')})`;
  const left = PORT_COUNTERS.filter((c) => !shape.counters.includes(c));
  const updates = [
    'ifOperStatus_prev = ifOperStatus',
    'ifAdminStatus_prev = ifAdminStatus',
    'ifSpeed_prev = ifSpeed',
    'ifHighSpeed_prev = ifHighSpeed',
    // a poll walks fewer columns than discovery: what it did not read stays as it was
    ...shape.cols.filter((c) => c !== 'ifIndex').map((c) => `${c} = COALESCE(VALUES(${c}), ${c})`),
    'counter_bits = VALUES(counter_bits)',
    'deleted = 0',
    'poll_prev = poll_time',
    'poll_time = VALUES(poll_time)',
    'poll_period = IF(poll_prev IS NULL OR poll_time <= poll_prev, NULL, poll_time - poll_prev)',
    // a counter the walk did not read (NULL) keeps its stored value and _prev, with no delta
    ...shape.counters.flatMap((c) => [
      `${c}_prev = IF(VALUES(${c}) IS NULL, ${c}_prev, ${c})`,
      `${c} = COALESCE(VALUES(${c}), ${c})`,
      `${c}_delta = IF(VALUES(${c}) IS NULL OR ${c}_prev IS NULL OR ${c} < ${c}_prev, NULL, ${c} - ${c}_prev)`,
      `${c}_rate = IF(${c}_delta IS NULL OR poll_period IS NULL, NULL, ${c}_delta DIV poll_period)`,
    ]),
    // ... as one left out of the statement does (no port had it)
    ...left.flatMap((c) => [`${c}_delta = NULL`, `${c}_rate = NULL`]),
  ];
  return (
    `INSERT INTO ports (${insertCols.join(', ')}) VALUES ${Array(n).fill(row).join(',')} ` +
    `ON DUPLICATE KEY UPDATE ${updates.join(', ')}`
  );
}

/** The upsert of `n` ports (10 kB of text at 48), built once per shape and port count instead of per poll. */
function portUpsertSql(shape: Shape, n: number): string {
  const key = `${shape.key} ${n}`;
  let sql = portSql.get(key);
  if (sql === undefined) {
    sql = buildUpsert(shape, n);
    if (portSql.size < 256) portSql.set(key, sql);
  }
  return sql;
}
const portSql = new Map<string, string>();

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
 * Returns port_id by ifIndex of the ports seen. The upsert is sent on its own, prepared, even
 * in a poll that batches its other writes (WriteBatch): measured, the binary protocol's 1,600
 * values cost MariaDB and the agent less than the same statement as text in the batch.
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
    let unknown = 0;
    for (const p of ports) if (known?.get(p.ifIndex) === undefined) unknown++;
    // a new port is inserted: every column then
    const shape = unknown === 0 ? shapeOf(ports) : FULL;
    const params: (string | number | null)[] = [];
    for (const p of ports) {
      const id = known?.get(p.ifIndex);
      if (id !== undefined) ids.set(p.ifIndex, id);
      params.push(id ?? null, deviceId);
      for (const c of shape.cols) params.push(p[c]);
      params.push(p.counterBits);
      for (const c of shape.counters) params.push(counterParam(p.counters[c]));
      params.push(pollTime, 0);
    }
    // A prepared statement per shape and port count: the long update clause is sent once per
    // connection and the values travel binary.
    const sql = portUpsertSql(shape, ports.length);
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
