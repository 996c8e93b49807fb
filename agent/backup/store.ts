// The database side of config backup: which devices to back up with their SSH login (the
// password decrypted with APP_KEY only here, in memory), each run's status, and the versions
// with their diffs (tables of agent/db/migrations/backup.ts).
import type { RowDataPacket } from 'mysql2/promise';
import { decrypt, encrypt } from '../../lib/crypto.js';
import { logEvent, Severity, type Db } from '../db/index.js';

export interface BackupTarget {
  deviceId: number;
  hostname: string;
  /** The OS discovery found; null before the first discovery. */
  os: string | null;
  port: number;
  username: string;
  password: string;
  lastCommit: string | null;
}

/** What the inventory gives for a device's SSH login. */
export interface SshLogin {
  username: string;
  password: string;
  port?: number;
}

/** Stores (or replaces) a device's SSH login, the password encrypted with APP_KEY. */
export async function setSshLogin(db: Db, appKey: string, deviceId: number, login: SshLogin): Promise<void> {
  await db.query(
    `INSERT INTO config_backups (device_id, ssh_username, ssh_password, ssh_port) VALUES (?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE ssh_username = VALUES(ssh_username), ssh_password = VALUES(ssh_password),
       ssh_port = VALUES(ssh_port)`,
    [deviceId, login.username, encrypt(appKey, login.password), login.port ?? 22],
  );
}

/** Every enabled device that has an SSH login. */
export async function backupTargets(db: Db, appKey: string): Promise<BackupTarget[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT d.device_id, d.hostname, d.os, c.ssh_port, c.ssh_username, c.ssh_password, c.last_commit
       FROM config_backups c JOIN devices d ON d.device_id = c.device_id
      WHERE d.disabled = 0 ORDER BY d.device_id`,
  );
  return rows.map((r) => ({
    deviceId: Number(r.device_id),
    hostname: String(r.hostname),
    os: r.os === null ? null : String(r.os),
    port: Number(r.ssh_port),
    username: String(r.ssh_username),
    password: decrypt(appKey, String(r.ssh_password)),
    lastCommit: r.last_commit === null ? null : String(r.last_commit),
  }));
}

/** A new version: its commit, text and diff from the one before. */
export interface NewVersion {
  commit: string;
  config: string;
  diff: string;
}

/** eventlog.message is a TEXT (64 KiB, up to 4 bytes a character): a longer diff is cut; config_versions has it all. */
const EVENT_DIFF_MAX = 15_000;
export function eventDiff(diff: string): string {
  if (diff.length <= EVENT_DIFF_MAX) return diff;
  const kept = diff.slice(0, EVENT_DIFF_MAX);
  return `${kept.slice(0, kept.lastIndexOf('\n') + 1)}… (${diff.length} characters; the whole diff is in the API)`;
}

/** Records a successful fetch, and the new version when there is one, with its event. */
export async function recordSuccess(
  db: Db,
  t: BackupTarget,
  node: string,
  version: NewVersion | undefined,
): Promise<void> {
  if (version) {
    await db.query(
      `INSERT INTO config_versions (device_id, \`commit\`, created_at, node, config, diff)
       VALUES (?, ?, UTC_TIMESTAMP(), ?, ?, ?)`,
      [t.deviceId, version.commit, node, version.config, version.diff],
    );
    const what = t.lastCommit ? 'Configuration changed' : 'Configuration stored (first version)';
    const message = `${what}:\n${eventDiff(version.diff)}`;
    await logEvent(db, t.deviceId, 'config', message, Severity.notice, version.commit.slice(0, 12));
  }
  await db.query(
    `UPDATE config_backups SET status = 'ok', status_reason = NULL, node = ?, last_attempt = UTC_TIMESTAMP(),
       last_success = UTC_TIMESTAMP(), last_changed = IF(?, UTC_TIMESTAMP(), last_changed),
       last_commit = COALESCE(?, last_commit)
     WHERE device_id = ?`,
    [node, version ? 1 : 0, version?.commit ?? null, t.deviceId],
  );
}

/**
 * Records a failed fetch. The event is written when the status or its reason changes, so a
 * device that keeps failing is reported once, not every run.
 */
export async function recordFailure(db: Db, t: BackupTarget, node: string, reason: string): Promise<void> {
  const [res] = await db.query<RowDataPacket[]>(
    'SELECT status, status_reason FROM config_backups WHERE device_id = ?',
    [t.deviceId],
  );
  const before = res[0];
  await db.query(
    `UPDATE config_backups SET status = 'failed', status_reason = ?, node = ?, last_attempt = UTC_TIMESTAMP()
     WHERE device_id = ?`,
    [reason, node, t.deviceId],
  );
  if (before?.status !== 'failed' || before?.status_reason !== reason)
    await logEvent(db, t.deviceId, 'config', `Configuration backup failed: ${reason}`, Severity.error);
}

/** Marks a device that cannot be backed up yet (e.g. its OS is not known); no event. */
export async function recordWaiting(db: Db, t: BackupTarget, reason: string): Promise<void> {
  await db.query(
    `UPDATE config_backups SET status = 'never', status_reason = ?, last_attempt = UTC_TIMESTAMP()
     WHERE device_id = ? AND status = 'never'`,
    [reason, t.deviceId],
  );
}
