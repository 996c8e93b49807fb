// The eventlog (LibreNMS's table): one row per thing worth telling an operator about a device.
import type { Db } from './connection.js';

/** Severity numbers as LibreNMS uses them (eventlog.severity). */
export const Severity = { ok: 1, info: 2, notice: 3, warning: 4, error: 5 } as const;

/** Adds one eventlog row, stamped now (UTC); `reference` names what it is about (a port id, a check). */
export async function logEvent(
  db: Db,
  deviceId: number | null,
  type: string,
  message: string,
  severity: number = Severity.info,
  reference: string | null = null,
): Promise<void> {
  await db.query(
    'INSERT INTO eventlog (device_id, datetime, message, type, reference, severity) ' +
      'VALUES (?, UTC_TIMESTAMP(), ?, ?, ?, ?)',
    [deviceId, message, type, reference, severity],
  );
}
