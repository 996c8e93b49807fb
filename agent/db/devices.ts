// Repository functions for `devices`: read a device and its decrypted SNMP target, add one
// (secrets encrypted with APP_KEY), and record poll/discovery outcomes.
import type mysql from 'mysql2/promise';
import { decrypt, encrypt } from '../../lib/crypto.js';
import { PollError } from '../../lib/errors.js';
import type { AuthLevel, SnmpTarget, SnmpVersion } from '../snmp/types.js';
import { withRetry, type Db } from './connection.js';
import type { WriteBatch } from './batch.js';
import { ENTITY_STATE_COLUMNS, entityStateOf, type EntityState } from './entity-state.js';
import { applyStatus, statusDiffers } from './status.js';

/** The columns of `devices` the agent reads. */
export interface DeviceRow {
  device_id: number;
  hostname: string;
  sysName: string | null;
  sysDescr: string | null;
  sysObjectID: string | null;
  uptime: number | null;
  snmpver: SnmpVersion;
  community: string | null;
  port: number;
  transport: string;
  timeout: number | null;
  retries: number | null;
  authlevel: AuthLevel | null;
  authname: string | null;
  authpass: string | null;
  authalgo: string | null;
  cryptopass: string | null;
  cryptoalgo: string | null;
  poller_group: number;
  status: number;
  status_reason: string;
  disabled: number;
  ignore: number;
  last_polled: Date | null;
  last_polled_timetaken: number | null;
  last_discovered: Date | null;
  last_discovered_timetaken: number | null;
  /** The OS discovery decided (a definition's name), null before the first discovery. */
  os: string | null;
}

const DEVICE_COLUMNS = [
  'device_id, hostname, sysName, sysDescr, sysObjectID, uptime',
  'snmpver, community, port, transport, timeout, retries',
  'authlevel, authname, authpass, authalgo, cryptopass, cryptoalgo',
  'poller_group, status, status_reason, disabled, `ignore`',
  'last_polled, last_polled_timetaken, last_discovered, last_discovered_timetaken, os',
].join(', ');

/** Reads a device by id (a number or digits) or by hostname; PollError when there is none. */
export async function getDevice(db: Db, ref: number | string): Promise<DeviceRow> {
  return toDeviceRow(await selectDevice(db, ref, ''));
}

/**
 * Reads a device (as getDevice) and its entity state in one round trip: what a poll or a
 * discovery needs before it starts.
 */
export async function getDeviceState(
  db: Db,
  ref: number | string,
): Promise<{ device: DeviceRow; entities: EntityState; attribs: string | null }> {
  const { e_ports, e_processors, e_storage, e_sensors, e_modules, ...r } = await selectDevice(
    db,
    ref,
    `, ${ENTITY_STATE_COLUMNS('d.device_id')}, ${MODULE_ATTRIBS}`,
  );
  return {
    device: toDeviceRow(r),
    entities: entityStateOf({ e_ports, e_processors, e_storage, e_sensors }),
    attribs: e_modules ?? null,
  };
}

/**
 * The device's module switches (devices_attribs poll_<module> / discover_<module>) as
 * `type=value,...`. A switch is '0' or '1': its value is read as a short text, because a TEXT
 * column inside GROUP_CONCAT makes MariaDB build an on-disk temporary table for every poll
 * (measured: 0.4 ms of the server's CPU against 0.13 ms, most of what reading a device cost it).
 */
const MODULE_ATTRIBS = `(SELECT GROUP_CONCAT(attrib_type, '=', LEFT(attrib_value, 16)) FROM devices_attribs a
  WHERE a.device_id = d.device_id
    AND (a.attrib_type LIKE 'poll\\_%' OR a.attrib_type LIKE 'discover\\_%')) AS e_modules`;

/** The one row of a device by id or name, with `extra` columns after DEVICE_COLUMNS (table `d`). */
async function selectDevice(db: Db, ref: number | string, extra: string): Promise<mysql.RowDataPacket> {
  const byId = typeof ref === 'number' || /^\d+$/.test(ref);
  const where = byId ? 'device_id = ?' : 'hostname = ? OR sysName = ?';
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    `SELECT ${DEVICE_COLUMNS}${extra} FROM devices d WHERE ${where} ORDER BY device_id LIMIT 2`,
    byId ? [Number(ref)] : [ref, ref],
  );
  if (rows.length === 0)
    throw new PollError(`no device ${JSON.stringify(String(ref))} in the database`, {
      hint: 'list devices with `nms device list`',
    });
  if (rows.length > 1 && !byId)
    throw new PollError(`more than one device is called ${JSON.stringify(ref)}; give its device id instead`);
  return rows[0];
}

const toDeviceRow = (r: Record<string, unknown>): DeviceRow =>
  ({ ...r, uptime: r.uptime === null ? null : Number(r.uptime) }) as DeviceRow;

/**
 * Secrets decrypted before, by APP_KEY and ciphertext: a poll needs its device's community every
 * time, and a fresh AES-GCM decipher a poll was a visible part of the agent's CPU. A changed
 * secret is a new ciphertext (a new IV each time), so an entry never goes stale; bounded.
 */
const plain = new Map<string, string>();
function decryptKept(appKey: string, ciphertext: string): string {
  const key = `${appKey}\n${ciphertext}`;
  let v = plain.get(key);
  if (v === undefined) {
    v = decrypt(appKey, ciphertext);
    if (plain.size >= 100_000) plain.clear();
    plain.set(key, v);
  }
  return v;
}

/** The device's SNMP target with its secrets decrypted (AppKeyMismatchError on a wrong key). */
export function snmpTargetOf(d: DeviceRow, appKey: string): SnmpTarget {
  const dec = (v: string | null) => (v ? decryptKept(appKey, v) : undefined);
  return {
    host: d.hostname,
    port: d.port,
    transport: d.transport === 'udp6' ? 'udp6' : 'udp',
    version: d.snmpver,
    community: dec(d.community),
    authlevel: d.authlevel ?? undefined,
    authname: d.authname ?? undefined,
    authpass: dec(d.authpass),
    authalgo: d.authalgo ?? undefined,
    cryptopass: dec(d.cryptopass),
    cryptoalgo: d.cryptoalgo ?? undefined,
    timeoutMs: d.timeout ? d.timeout * 1000 : undefined,
    retries: d.retries ?? undefined,
  };
}

/** A device to add: hostname, port, group and SNMP settings (plain secrets, encrypted here). */
export interface NewDevice {
  hostname: string;
  port?: number;
  poller_group?: number;
  transport?: 'udp' | 'udp6';
  /** Seconds per request and retries, when different from the agent's. */
  timeout?: number;
  retries?: number;
  snmp: Omit<SnmpTarget, 'host' | 'port' | 'transport' | 'timeoutMs' | 'retries'>;
}

/** Inserts a device (or updates the one with the same hostname and port); returns its id. */
export async function addDevice(db: Db, appKey: string, d: NewDevice): Promise<number> {
  const enc = (v: string | undefined) => (v ? encrypt(appKey, v) : null);
  const s = d.snmp;
  const [res] = await db.query<mysql.ResultSetHeader>(
    `INSERT INTO devices (hostname, port, transport, poller_group, snmpver, community, authlevel, authname,
       authpass, authalgo, cryptopass, cryptoalgo, timeout, retries)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE device_id = LAST_INSERT_ID(device_id), transport = VALUES(transport),
       poller_group = VALUES(poller_group), snmpver = VALUES(snmpver), community = VALUES(community),
       authlevel = VALUES(authlevel), authname = VALUES(authname), authpass = VALUES(authpass),
       authalgo = VALUES(authalgo), cryptopass = VALUES(cryptopass), cryptoalgo = VALUES(cryptoalgo),
       timeout = VALUES(timeout), retries = VALUES(retries)`,
    [
      d.hostname,
      d.port ?? 161,
      d.transport ?? 'udp',
      d.poller_group ?? 0,
      s.version,
      enc(s.community),
      s.authlevel ?? null,
      s.authname ?? null,
      enc(s.authpass),
      s.authalgo ?? null,
      enc(s.cryptopass),
      s.cryptoalgo ?? null,
      d.timeout ?? null,
      d.retries ?? null,
    ],
  );
  return res.insertId;
}

/** What a finished poll (or failed attempt) changes on the device row. */
export interface PollOutcome {
  startedAt: Date;
  seconds: number;
  up: boolean;
  /** '' when up; 'snmp' (or 'icmp') when down. */
  reason: '' | 'snmp' | 'icmp';
  /** Human detail of why it is down, for the eventlog. */
  detail?: string;
  sysName?: string;
  sysDescr?: string;
  sysObjectID?: string;
  /** sysLocation, into devices.location (LibreNMS keeps it through its locations table). */
  location?: string;
  uptime?: number;
}

/**
 * Writes the outcome in one UPDATE and, when the status differs from what `before` says, the
 * change through applyStatus (agent/db/status.ts: newer results only, one eventlog row each).
 * A down device keeps its last_polled (LibreNMS's due rule reads it).
 * sysName, sysDescr and sysObjectID equal to those of `before` (when given) are left alone.
 * With `writes` (a poll's batch) the UPDATE goes last into it and the batch is sent.
 */
export async function recordPoll(
  db: Db,
  before: Pick<DeviceRow, 'device_id' | 'status' | 'status_reason'> &
    Partial<Pick<DeviceRow, 'sysName' | 'sysDescr' | 'sysObjectID'>>,
  o: PollOutcome,
  kind: 'poll' | 'discovery' = 'poll',
  writes?: WriteBatch,
): Promise<void> {
  const sets = ['last_poll_attempted = ?'];
  const args: unknown[] = [o.startedAt];
  const set = (col: string, v: unknown) => {
    sets.push(`${col} = ?`);
    args.push(v);
  };
  if (o.up) {
    set(kind === 'poll' ? 'last_polled' : 'last_discovered', o.startedAt);
    set(kind === 'poll' ? 'last_polled_timetaken' : 'last_discovered_timetaken', round2(o.seconds));
  }
  // what `before` already holds is not sent again (sysDescr is often a few hundred bytes)
  for (const k of ['sysName', 'sysDescr', 'sysObjectID'] as const)
    if (o[k] !== undefined && o[k] !== before[k]) set(k, o[k]);
  if (o.uptime !== undefined) set('uptime', o.uptime);
  if (o.location !== undefined) set('location', o.location.slice(0, 255));
  args.push(before.device_id);
  const sql = `UPDATE devices SET ${sets.join(', ')} WHERE device_id = ?`;
  if (writes) {
    writes.add(sql, args);
    await writes.flush();
  } else await withRetry(() => db.query(sql, args));
  const change = {
    deviceId: before.device_id,
    observedAt: o.startedAt,
    up: o.up,
    reason: o.reason,
    before,
    detail: o.detail,
  };
  if (statusDiffers(change)) await applyStatus(db, change);
}

const round2 = (x: number) => Math.round(x * 100) / 100;
