// os: decides the device's OS at discovery (definitions/detect.ts) and stores what it read
// (devices.os, hardware, version, features, serial, icon). Polls use the stored os.
import { withRetry, type Db } from '../db/index.js';
import { detectOs, osRecord, type OsRecord, type SystemIdentity } from '../definitions/detect.js';
import type { DefinitionSet } from '../definitions/loader.js';
import type { SnmpReader } from '../definitions/reader.js';
import type { OsDefinition } from '../definitions/types.js';

export async function discoverOs(
  set: DefinitionSet,
  sys: SystemIdentity,
  reader: SnmpReader,
): Promise<{ def: OsDefinition; record: OsRecord }> {
  const def = await detectOs(set, sys, reader);
  return { def, record: await osRecord(set, def, sys, reader) };
}

export async function saveOs(db: Db, deviceId: number, r: OsRecord): Promise<void> {
  await withRetry(() =>
    db.query(
      'UPDATE devices SET os = ?, hardware = ?, version = ?, features = ?, serial = ?, icon = ? WHERE device_id = ?',
      [r.os, r.hardware, r.version, r.features, r.serial, r.icon, deviceId],
    ),
  );
}
