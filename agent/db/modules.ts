// Writes of the discovery-time modules (entity-physical, ipv4-addresses, discovery-protocols,
// ucd-diskio) into LibreNMS's tables. Each discovery replaces what the device had: rows seen are
// upserted by their key, rows no longer seen are deleted.
import type mysql from 'mysql2/promise';
import type { DiskIoRecord, EntPhysicalRecord, Ipv4AddressRecord, LinkRecord } from '../collectors/types.js';
import { upsertSql, withRetry, type Db } from './connection.js';

const ENT_COLS = [
  'entPhysicalIndex',
  'entPhysicalDescr',
  'entPhysicalClass',
  'entPhysicalName',
  'entPhysicalHardwareRev',
  'entPhysicalFirmwareRev',
  'entPhysicalSoftwareRev',
  'entPhysicalAlias',
  'entPhysicalAssetID',
  'entPhysicalIsFRU',
  'entPhysicalModelName',
  'entPhysicalVendorType',
  'entPhysicalSerialNum',
  'entPhysicalContainedIn',
  'entPhysicalParentRelPos',
  'entPhysicalMfgName',
  'ifIndex',
] as const;
/** Columns that are VARCHAR(255) or shorter: longer values are cut rather than refused. */
const SHORT: Partial<Record<(typeof ENT_COLS)[number], number>> = {
  entPhysicalHardwareRev: 255,
  entPhysicalFirmwareRev: 255,
  entPhysicalSoftwareRev: 255,
  entPhysicalAlias: 255,
  entPhysicalAssetID: 255,
  entPhysicalIsFRU: 8,
};

const cut = (v: unknown, n: number | undefined) => (typeof v === 'string' && n !== undefined ? v.slice(0, n) : v);

export async function syncEntPhysical(db: Db, deviceId: number, rows: EntPhysicalRecord[]): Promise<number> {
  if (rows.length > 0) {
    const values = rows.map((r) => [deviceId, ...ENT_COLS.map((c) => cut(r[c], SHORT[c]))]);
    await withRetry(() => db.query(upsertSql('entPhysical', ['device_id', ...ENT_COLS], 2), [values]));
  }
  await deleteUnseen(
    db,
    'entPhysical',
    'entPhysical_id',
    'entPhysicalIndex',
    deviceId,
    rows.map((r) => r.entPhysicalIndex),
  );
  return rows.length;
}

async function deleteUnseen(
  db: Db,
  table: string,
  pk: string,
  key: string,
  deviceId: number,
  seen: (string | number)[],
): Promise<void> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    `SELECT ${pk} AS id, ${key} AS k FROM ${table} WHERE device_id = ?`,
    [deviceId],
  );
  const keep = new Set(seen.map(String));
  const gone = rows.filter((r) => !keep.has(String(r.k))).map((r) => r.id);
  if (gone.length) await withRetry(() => db.query(`DELETE FROM ${table} WHERE ${pk} IN (?)`, [gone]));
}

/**
 * The device's IPv4 addresses, on the ports discovery found (`portIds`: port_id by ifIndex);
 * an address on an interface that is not a port is left out, as LibreNMS does. Networks are
 * shared between devices (ipv4_networks). Returns the rows written.
 */
export async function syncIpv4Addresses(
  db: Db,
  deviceId: number,
  rows: Ipv4AddressRecord[],
  portIds: Map<number, number>,
): Promise<number> {
  const kept = rows.filter((r) => portIds.has(r.ifIndex));
  const nets = new Map<string, number>();
  if (kept.length > 0) {
    const distinct = [...new Set(kept.map((r) => `${r.ipv4_network} ${r.context_name}`))].map(
      (k) => k.split(' ') as [string, string],
    );
    await withRetry(() =>
      db.query('INSERT IGNORE INTO ipv4_networks (ipv4_network, context_name) VALUES ?', [
        distinct.map(([n, c]) => [n, c ?? '']),
      ]),
    );
    const [found] = await db.query<mysql.RowDataPacket[]>(
      'SELECT ipv4_network_id, ipv4_network, context_name FROM ipv4_networks WHERE ipv4_network IN (?)',
      [distinct.map(([n]) => n)],
    );
    for (const f of found) nets.set(`${f.ipv4_network} ${f.context_name}`, Number(f.ipv4_network_id));
    await withRetry(() =>
      db.query(
        `INSERT INTO ipv4_addresses (ipv4_address, ipv4_prefixlen, ipv4_network_id, port_id, context_name) VALUES ?
       ON DUPLICATE KEY UPDATE ipv4_prefixlen = VALUES(ipv4_prefixlen), ipv4_network_id = VALUES(ipv4_network_id)`,
        [
          kept.map((r) => [
            r.ipv4_address,
            r.ipv4_prefixlen,
            nets.get(`${r.ipv4_network} ${r.context_name}`),
            portIds.get(r.ifIndex),
            r.context_name,
          ]),
        ],
      ),
    );
  }
  // what the device's ports no longer carry
  const [have] = await db.query<mysql.RowDataPacket[]>(
    `SELECT a.ipv4_address_id AS id, a.port_id, a.ipv4_address, a.context_name
     FROM ipv4_addresses a JOIN ports p ON p.port_id = a.port_id WHERE p.device_id = ?`,
    [deviceId],
  );
  const seen = new Set(kept.map((r) => `${portIds.get(r.ifIndex)} ${r.ipv4_address} ${r.context_name}`));
  const gone = have.filter((h) => !seen.has(`${h.port_id} ${h.ipv4_address} ${h.context_name}`)).map((h) => h.id);
  if (gone.length) await withRetry(() => db.query('DELETE FROM ipv4_addresses WHERE ipv4_address_id IN (?)', [gone]));
  return kept.length;
}

/**
 * The device's neighbours: its links are replaced by those seen now. The remote device is the
 * one whose sysName or hostname is the neighbour's name (case aside); its port the one whose
 * ifName or ifDescr is the neighbour's port, or whose MAC it gives.
 */
export async function syncLinks(
  db: Db,
  deviceId: number,
  rows: LinkRecord[],
  portIds: Map<number, number>,
): Promise<number> {
  const remote = await remoteIds(db, rows);
  await withRetry(async () => {
    const conn = await db.getConnection();
    try {
      await conn.beginTransaction();
      await conn.query('DELETE FROM links WHERE local_device_id = ?', [deviceId]);
      if (rows.length > 0) {
        await conn.query(
          `INSERT INTO links (local_port_id, local_device_id, remote_port_id, active, protocol, remote_hostname,
           remote_device_id, remote_port, remote_platform, remote_version) VALUES ?`,
          [
            rows.map((r, k) => [
              portIds.get(r.ifIndex) ?? null,
              deviceId,
              remote[k].port,
              1,
              r.protocol,
              r.remote_hostname.slice(0, 128),
              remote[k].device,
              r.remote_port.slice(0, 128),
              r.remote_platform?.slice(0, 256) ?? null,
              r.remote_version?.slice(0, 256) ?? null,
            ]),
          ],
        );
      }
      await conn.commit();
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      throw err;
    } finally {
      conn.release();
    }
  });
  return rows.length;
}

async function remoteIds(db: Db, rows: LinkRecord[]): Promise<{ device: number; port: number | null }[]> {
  const none = rows.map(() => ({ device: 0, port: null as number | null }));
  if (rows.length === 0) return none;
  const names = [...new Set(rows.map((r) => r.remote_hostname))];
  const [devs] = await db.query<mysql.RowDataPacket[]>(
    'SELECT device_id, hostname, sysName FROM devices WHERE sysName IN (?) OR hostname IN (?)',
    [names, names],
  );
  if (devs.length === 0) return none;
  const byName = new Map<string, number>();
  for (const d of devs)
    for (const n of [d.hostname, d.sysName]) if (n) byName.set(String(n).toLowerCase(), Number(d.device_id));
  const [ports] = await db.query<mysql.RowDataPacket[]>(
    'SELECT port_id, device_id, ifName, ifDescr, ifPhysAddress FROM ports WHERE device_id IN (?) AND deleted = 0',
    [devs.map((d) => d.device_id)],
  );
  return rows.map((r) => {
    const device = byName.get(r.remote_hostname.toLowerCase()) ?? 0;
    const name = r.remote_port_name;
    const sameMac = (x: mysql.RowDataPacket) => r.remote_mac !== null && x.ifPhysAddress === r.remote_mac;
    const p = ports.find(
      (x) => Number(x.device_id) === device && (x.ifName === name || x.ifDescr === name || sameMac(x)),
    );
    return { device, port: p ? Number(p.port_id) : null };
  });
}

/** The disks with traffic (LibreNMS's ucd_diskio rows); returns the rows written. */
export async function syncDiskio(db: Db, deviceId: number, rows: DiskIoRecord[]): Promise<number> {
  if (rows.length > 0) {
    await withRetry(() =>
      db.query(
        `INSERT INTO ucd_diskio (device_id, diskio_index, diskio_descr) VALUES ?
       ON DUPLICATE KEY UPDATE diskio_descr = VALUES(diskio_descr)`,
        [rows.map((r) => [deviceId, r.diskio_index, r.diskio_descr.slice(0, 32)])],
      ),
    );
  }
  await deleteUnseen(
    db,
    'ucd_diskio',
    'diskio_id',
    'diskio_index',
    deviceId,
    rows.map((r) => r.diskio_index),
  );
  return rows.length;
}

/** diskio_descr by diskio_index of the disks discovery kept (a poll polls those). */
export async function diskioOf(db: Db, deviceId: number): Promise<Map<number, string>> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    'SELECT diskio_index, diskio_descr FROM ucd_diskio WHERE device_id = ?',
    [deviceId],
  );
  return new Map(rows.map((r) => [Number(r.diskio_index), String(r.diskio_descr)]));
}

/** port_id by ifIndex of the device's live ports. */
export async function portIdsOf(db: Db, deviceId: number): Promise<Map<number, number>> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    'SELECT port_id, ifIndex FROM ports WHERE device_id = ? AND deleted = 0',
    [deviceId],
  );
  return new Map(rows.map((r) => [Number(r.ifIndex), Number(r.port_id)]));
}

/**
 * A device's rows of entPhysical, ipv4_addresses, links or ucd_diskio as LibreNMS's test dumps
 * show them (what a comparison with expected/*.json reads): ipv4_addresses with ipv4_network
 * and the port's ifIndex in place of the ids, links with the local port's ifName, ifDescr and
 * ifAlias. Tables without device_id (ipv4_addresses) or with another name for it (links) are
 * reached through the ports.
 */
export async function moduleRows(
  db: Db,
  table: 'entPhysical' | 'ipv4_addresses' | 'links' | 'ucd_diskio',
  deviceId: number,
): Promise<mysql.RowDataPacket[]> {
  const sql = {
    entPhysical: 'SELECT * FROM entPhysical WHERE device_id = ?',
    ucd_diskio: 'SELECT * FROM ucd_diskio WHERE device_id = ?',
    ipv4_addresses: `SELECT a.*, n.ipv4_network, p.ifIndex
      FROM ipv4_addresses a JOIN ipv4_networks n USING (ipv4_network_id)
      JOIN ports p ON p.port_id = a.port_id WHERE p.device_id = ?`,
    links: `SELECT l.*, p.ifName, p.ifDescr, p.ifAlias
      FROM links l LEFT JOIN ports p ON p.port_id = l.local_port_id WHERE l.local_device_id = ?`,
  }[table];
  const [rows] = await db.query<mysql.RowDataPacket[]>(sql, [deviceId]);
  return rows;
}
