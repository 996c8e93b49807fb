// What the master's API answers about config backup (routes in agent/api/routes.ts; shapes in
// docs/config-backup.md): a device's versions, one version's text, the diff it brought, and the
// node list Oxidized reads when it keeps LibreNMS as its source (`/api/v0/oxidized`).
import type mysql from 'mysql2/promise';

type Row = mysql.RowDataPacket;
type ApiDb = Pick<mysql.Pool, 'query'>;
/** A DATETIME column (UTC) as ISO 8601, done by MariaDB. */
const iso = (col: string, as = col) => `DATE_FORMAT(${col}, '%Y-%m-%dT%H:%i:%sZ') AS ${as}`;

async function rows(db: ApiDb, sql: string, values: unknown[], timeoutMs: number): Promise<Row[]> {
  const [result] = await db.query<Row[]>({ sql, values, timeout: timeoutMs });
  return result;
}

/** The backup status of a device and its versions, newest first; null when it has no backup row. */
export async function listConfigs(
  db: ApiDb,
  deviceId: number,
  timeoutMs: number,
): Promise<Record<string, unknown> | null> {
  const s = await rows(
    db,
    `SELECT status, status_reason, node, ${iso('last_attempt')}, ${iso('last_success')}, ${iso('last_changed')}
       FROM config_backups WHERE device_id = ?`,
    [deviceId],
    timeoutMs,
  );
  if (!s.length) return null;
  const v = await rows(
    db,
    `SELECT version_id, \`commit\`, ${iso('created_at')}, node, LENGTH(config) AS size FROM config_versions
      WHERE device_id = ? ORDER BY version_id DESC`,
    [deviceId],
    timeoutMs,
  );
  return {
    device_id: deviceId,
    backup: {
      status: s[0].status,
      status_reason: s[0].status_reason ?? null,
      node: s[0].node ?? null,
      last_attempt: s[0].last_attempt ?? null,
      last_success: s[0].last_success ?? null,
      last_changed: s[0].last_changed ?? null,
    },
    count: v.length,
    versions: v.map((r) => ({
      version_id: Number(r.version_id),
      commit: r.commit,
      created_at: r.created_at,
      node: r.node,
      size: Number(r.size),
    })),
  };
}

/** One version (by id, or `latest`) with its text and the diff from the version before. */
export async function getConfig(
  db: ApiDb,
  deviceId: number,
  version: number | 'latest',
  timeoutMs: number,
): Promise<Record<string, unknown> | null> {
  const which = version === 'latest' ? 'ORDER BY version_id DESC LIMIT 1' : 'AND version_id = ?';
  const r = await rows(
    db,
    `SELECT version_id, \`commit\`, ${iso('created_at')}, node, config, diff FROM config_versions
      WHERE device_id = ? ${which}`,
    version === 'latest' ? [deviceId] : [deviceId, version],
    timeoutMs,
  );
  if (!r.length) return null;
  return {
    device_id: deviceId,
    version_id: Number(r[0].version_id),
    commit: r[0].commit,
    created_at: r[0].created_at,
    node: r[0].node,
    config: r[0].config,
    diff: r[0].diff,
  };
}

/**
 * Oxidized's node source, in the shape LibreNMS's API gives it: a plain array of `hostname`,
 * `os` (our OS names are LibreNMS's, which Oxidized maps to its models) and `ip`; disabled and
 * ignored devices are left out. `hostname` filters to one device (by hostname or sysName).
 */
export async function oxidizedNodes(db: ApiDb, hostname: string | undefined, timeoutMs: number): Promise<unknown[]> {
  const one = hostname === undefined ? '' : 'AND (hostname = ? OR sysName = ?)';
  const r = await rows(
    db,
    `SELECT hostname, os, ip FROM devices WHERE disabled = 0 AND \`ignore\` = 0 ${one} ORDER BY device_id`,
    hostname === undefined ? [] : [hostname, hostname],
    timeoutMs,
  );
  return r.map((d) => ({ hostname: d.hostname, os: d.os ?? 'generic', ip: ipText(d.ip) ?? d.hostname }));
}

/** devices.ip (LibreNMS keeps the address packed, 4 or 16 bytes) as text. */
function ipText(v: unknown): string | undefined {
  if (!Buffer.isBuffer(v)) return typeof v === 'string' && v ? v : undefined;
  if (v.length === 4) return [...v].join('.');
  if (v.length === 16) return (v.toString('hex').match(/.{4}/g) ?? []).map((g) => g.replace(/^0+(?=.)/, '')).join(':');
  return undefined;
}
