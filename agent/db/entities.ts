// Repository functions for a device's entities (ports, processors, storage, sensors): one
// multi-row upsert per table and poll; the ports upsert returns the ids the RRD files are named by.
import type mysql from 'mysql2/promise';
import type { PortRecord, ProcessorRecord, SensorRecord, StorageRecord } from '../collectors/types.js';
import { PORT_COUNTERS } from './schema.js';
import { withRetry, type Db } from './index.js';

const PORT_COLS = ['ifIndex', 'ifDescr', 'ifName', 'ifAlias', 'ifType', 'ifMtu', 'ifSpeed', 'ifHighSpeed', 'ifPhysAddress', 'ifAdminStatus', 'ifOperStatus', 'ifLastChange'] as const;
const PORT_INSERT_COLS = ['device_id', ...PORT_COLS, 'counter_bits', ...PORT_COUNTERS, 'poll_time', 'deleted'];
const PORT_UPSERT_HEAD = `INSERT INTO ports (${PORT_INSERT_COLS.join(', ')}) VALUES`;
const PORT_ROW = `(${PORT_INSERT_COLS.map(() => '?').join(',')})`;
// Assignments run left to right: the previous values are read before being replaced.
const PORT_UPSERT_TAIL = 'ON DUPLICATE KEY UPDATE ' + [
  'ifOperStatus_prev = ifOperStatus', 'ifAdminStatus_prev = ifAdminStatus', 'ifSpeed_prev = ifSpeed', 'ifHighSpeed_prev = ifHighSpeed',
  // a poll walks fewer columns than discovery: what it did not read stays as it was
  ...PORT_COLS.filter((c) => c !== 'ifIndex').map((c) => `${c} = COALESCE(VALUES(${c}), ${c})`),
  'counter_bits = VALUES(counter_bits)', 'deleted = 0',
  'poll_prev = poll_time', 'poll_time = VALUES(poll_time)', 'poll_period = IF(poll_prev IS NULL OR poll_time <= poll_prev, NULL, poll_time - poll_prev)',
  ...PORT_COUNTERS.flatMap((c) => [
    `${c}_prev = ${c}`,
    `${c} = VALUES(${c})`,
    `${c}_delta = IF(${c} IS NULL OR ${c}_prev IS NULL OR ${c} < ${c}_prev, NULL, ${c} - ${c}_prev)`,
    `${c}_rate = IF(${c}_delta IS NULL OR poll_period IS NULL, NULL, ${c}_delta DIV poll_period)`,
  ]),
].join(', ');

/** False once the server refused INSERT ... RETURNING. */
let returning = true;

/**
 * Upserts the ports seen (counters with _prev/_delta/_rate computed in SQL from the stored
 * ones) and, when `markMissing` (discovery), flags ports no longer present as deleted.
 * Returns port_id by ifIndex of the ports seen.
 */
export async function syncPorts(db: Db, deviceId: number, ports: PortRecord[], pollTime: number, markMissing = false): Promise<Map<number, number>> {
  const ids = new Map<number, number>();
  if (ports.length > 0) {
    const params: (string | number | null)[] = [];
    for (const p of ports) {
      params.push(deviceId);
      for (const c of PORT_COLS) params.push(p[c]);
      params.push(p.counterBits);
      for (const c of PORT_COUNTERS) params.push(p.counters[c] === null ? null : p.counters[c]!.toString());
      params.push(pollTime, 0);
    }
    // A prepared statement per port count: the long update clause is sent once per connection
    // and the values travel binary.
    const sql = `${PORT_UPSERT_HEAD} ${Array(ports.length).fill(PORT_ROW).join(',')} ${PORT_UPSERT_TAIL}`;
    // RETURNING (MariaDB >= 10.5) hands back the ids with the upsert; older servers (EL 8's
    // 10.3) get a SELECT after it
    if (returning) {
      try {
        const [rows] = await withRetry(() => db.execute<mysql.RowDataPacket[]>(`${sql} RETURNING port_id, ifIndex`, params));
        for (const r of rows) ids.set(Number(r.ifIndex), Number(r.port_id));
      } catch (err) {
        if ((err as { code?: string }).code !== 'ER_PARSE_ERROR') throw err;
        returning = false;
      }
    }
    if (!returning) {
      await withRetry(() => db.execute(sql, params));
      const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT port_id, ifIndex FROM ports WHERE device_id = ? AND ifIndex IN (?)', [deviceId, ports.map((p) => p.ifIndex)]);
      for (const r of rows) ids.set(Number(r.ifIndex), Number(r.port_id));
    }
  }
  if (markMissing) await markGone(db, 'ports', 'port_id', 'ifIndex', 'deleted = 1', 'deleted = 0', deviceId, ports.map((p) => String(p.ifIndex)));
  return ids;
}

export async function syncProcessors(db: Db, deviceId: number, procs: ProcessorRecord[], markMissing = false): Promise<void> {
  if (procs.length > 0) {
    await withRetry(() => db.query(
      `INSERT INTO processors (device_id, hrDeviceIndex, processor_oid, processor_index, processor_type, processor_usage, processor_descr)
       VALUES ? ON DUPLICATE KEY UPDATE processor_usage = VALUES(processor_usage), processor_descr = VALUES(processor_descr)`,
      [procs.map((p) => [deviceId, Number(p.index) || null, `.1.3.6.1.2.1.25.3.3.1.2.${p.index}`, p.index, 'hr', Math.round(p.usage), p.descr.slice(0, 64)])],
    ));
  }
  if (markMissing) await markGone(db, 'processors', 'processor_id', 'processor_index', null, '1', deviceId, procs.map((p) => p.index));
}

export async function syncStorage(db: Db, deviceId: number, items: StorageRecord[], markMissing = false): Promise<void> {
  if (items.length > 0) {
    await withRetry(() => db.query(
      `INSERT INTO storage (device_id, storage_mib, storage_index, storage_type, storage_descr, storage_size, storage_units, storage_used, storage_free, storage_perc, storage_deleted)
       VALUES ? ON DUPLICATE KEY UPDATE storage_type = VALUES(storage_type), storage_descr = VALUES(storage_descr), storage_size = VALUES(storage_size),
       storage_units = VALUES(storage_units), storage_used = VALUES(storage_used), storage_free = VALUES(storage_free), storage_perc = VALUES(storage_perc), storage_deleted = 0`,
      [items.map((s) => [deviceId, 'hrstorage', s.index, s.type, s.descr, s.size, s.units, s.used, s.free, Math.round(s.perc), 0])],
    ));
  }
  if (markMissing) await markGone(db, 'storage', 'storage_id', 'storage_index', 'storage_deleted = 1', 'storage_deleted = 0', deviceId, items.map((s) => s.index));
}

export async function syncSensors(db: Db, deviceId: number, sensors: SensorRecord[], markMissing = false): Promise<void> {
  if (sensors.length > 0) {
    await withRetry(() => db.query(
      `INSERT INTO sensors (device_id, sensor_class, poller_type, sensor_oid, sensor_index, sensor_type, sensor_descr, sensor_divisor, sensor_multiplier, sensor_current, entPhysicalIndex, sensor_deleted)
       VALUES ? ON DUPLICATE KEY UPDATE sensor_prev = sensor_current, sensor_current = VALUES(sensor_current), sensor_descr = VALUES(sensor_descr),
       sensor_oid = VALUES(sensor_oid), sensor_divisor = VALUES(sensor_divisor), sensor_multiplier = VALUES(sensor_multiplier), sensor_deleted = 0`,
      [sensors.map((s) => [deviceId, s.sensorClass, 'snmp', s.oid, s.index, 'entity-sensor', s.descr.slice(0, 255), s.divisor, s.multiplier, s.value, s.index, 0])],
    ));
  }
  if (markMissing) await markGone(db, 'sensors', 'sensor_id', 'sensor_index', 'sensor_deleted = 1', 'sensor_deleted = 0', deviceId, sensors.map((s) => s.index));
}

/**
 * Flags (or, with `set` null, deletes) the rows of a device that discovery no longer saw. The
 * rows are found with a plain read and changed by primary key, so the usual case (nothing
 * gone) takes no lock, and the rare one locks only those rows.
 */
async function markGone(db: Db, table: string, pk: string, indexCol: string, set: string | null, live: string, deviceId: number, seen: string[]): Promise<void> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(`SELECT ${pk} AS id, ${indexCol} AS idx FROM ${table} WHERE device_id = ? AND ${live}`, [deviceId]);
  const keep = new Set(seen);
  const gone = rows.filter((r) => !keep.has(String(r.idx))).map((r) => r.id);
  if (gone.length === 0) return;
  await withRetry(() => db.query(set ? `UPDATE ${table} SET ${set} WHERE ${pk} IN (?)` : `DELETE FROM ${table} WHERE ${pk} IN (?)`, [gone]));
}

/** How many entities discovery found for a device (polls skip modules with none), and whether its ports have 64-bit counters. */
export async function entityCounts(db: Db, deviceId: number): Promise<{ ports: number; processors: number; storage: number; sensors: number; counterBits: 32 | 64 }> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    `SELECT (SELECT COUNT(*) FROM ports WHERE device_id = ? AND deleted = 0) AS ports,
            (SELECT MAX(counter_bits) FROM ports WHERE device_id = ? AND deleted = 0) AS bits,
            (SELECT COUNT(*) FROM processors WHERE device_id = ?) AS processors,
            (SELECT COUNT(*) FROM storage WHERE device_id = ? AND storage_deleted = 0) AS storage,
            (SELECT COUNT(*) FROM sensors WHERE device_id = ? AND sensor_deleted = 0) AS sensors`,
    [deviceId, deviceId, deviceId, deviceId, deviceId],
  );
  const r = rows[0];
  return { ports: Number(r.ports), processors: Number(r.processors), storage: Number(r.storage), sensors: Number(r.sensors), counterBits: Number(r.bits) === 32 ? 32 : 64 };
}
