// What the cluster view reads from MariaDB: the poller_cluster reports, devices per group and
// their counts, the overdue devices, the last events, active alerts and one looked-up device.
// Read only.
import type { RowDataPacket } from 'mysql2/promise';
import type { Db } from '../db/index.js';
import { alertSummaries } from '../alerts/status.js';
import type { DeviceLookup, EventRow, OverdueDevice } from '../../lib/contracts/cluster-view.js';
import type { ClusterFacts } from './types.js';

type Query = (sql: string, params?: unknown[]) => Promise<RowDataPacket[]>;

/** What the MariaDB part of the gather needs to know. */
export interface DatabaseFactsOptions {
  pollerFrequency: number;
  downRetry: number;
  graceSeconds: number;
  /** Also look up this device (id, hostname or hostname:port). */
  device?: string;
}

const groupsOf = (s: unknown): number[] =>
  String(s ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter((g) => /^\d+$/.test(g))
    .map(Number);

const iso = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : v ? String(v) : null);

/** The SQL of the overdue rule; exported for the unit test and docs/status.md. */
export function overdueSql(): string {
  // An up device is due `frequency - 1` s after its last poll started (LibreNMS); a down one
  // `down_retry` s after its last attempt. Never-polled devices count from when they were
  // discovered or added. Late beyond the grace is overdue.
  return `SELECT device_id, hostname, port, poller_group, last_polled,
    UNIX_TIMESTAMP() - UNIX_TIMESTAMP(
        COALESCE(IF(status = 1, last_polled, last_poll_attempted), last_polled, last_discovered, inserted))
      - IF(status = 1, ? - 1, ?) AS late_s
  FROM devices WHERE disabled = 0 AND \`ignore\` = 0
  HAVING late_s > ? ORDER BY late_s DESC`;
}

const REPORTS_SQL = `SELECT pc.node_id, pc.poller_name, pc.poller_version, pc.poller_groups,
    TIMESTAMPDIFF(SECOND, pc.last_report, UTC_TIMESTAMP()) AS age, st.devices AS polled
  FROM poller_cluster pc
  LEFT JOIN poller_cluster_stats st ON st.parent_poller = pc.id AND st.poller_type = 'poller'`;

const GROUPS_SQL = 'SELECT poller_group, COUNT(*) AS n FROM devices WHERE disabled = 0 GROUP BY poller_group';

const COUNTS_SQL = `SELECT COUNT(*) AS total, COALESCE(SUM(status = 1 AND disabled = 0), 0) AS up,
    COALESCE(SUM(status = 0 AND disabled = 0), 0) AS down, COALESCE(SUM(disabled = 1), 0) AS disabled,
    COALESCE(SUM(last_polled IS NULL AND disabled = 0), 0) AS never
  FROM devices`;

const EVENTS_SQL = `SELECT e.datetime, e.device_id, d.hostname, e.type, e.message, e.severity
  FROM eventlog e LEFT JOIN devices d ON d.device_id = e.device_id
  WHERE (e.severity >= 4 OR e.type IN ('availability', 'service', 'interface', 'poller', 'reboot'))
    AND e.datetime > UTC_TIMESTAMP() - INTERVAL 1 HOUR
  ORDER BY e.event_id DESC LIMIT 10`;

const overdueRow = (r: RowDataPacket): OverdueDevice => ({
  device_id: Number(r.device_id),
  hostname: String(r.hostname),
  port: Number(r.port),
  poller_group: Number(r.poller_group),
  last_polled: iso(r.last_polled),
  late_s: Math.round(Number(r.late_s)),
});

const eventRow = (e: RowDataPacket): EventRow => ({
  datetime: iso(e.datetime),
  device_id: e.device_id === null ? null : Number(e.device_id),
  hostname: e.hostname ?? null,
  type: e.type ?? null,
  message: String(e.message ?? ''),
  severity: Number(e.severity),
});

/** Reads the MariaDB facts into `facts`. */
export async function readDatabaseFacts(db: Db, o: DatabaseFactsOptions, facts: ClusterFacts): Promise<void> {
  const q: Query = async (sql, params = []) => (await db.query<RowDataPacket[]>(sql, params))[0];
  const [reports, groups, counts, overdue, events] = await Promise.all([
    q(REPORTS_SQL),
    q(GROUPS_SQL),
    q(COUNTS_SQL),
    q(overdueSql(), [o.pollerFrequency, o.downRetry, o.graceSeconds]),
    q(EVENTS_SQL),
  ]);
  facts.reports = reports.map((r) => ({
    node_id: String(r.node_id),
    poller_name: String(r.poller_name),
    groups: groupsOf(r.poller_groups),
    age_s: Number(r.age ?? 0),
    polled: r.polled === null || r.polled === undefined ? null : Number(r.polled),
    version: String(r.poller_version ?? ''),
  }));
  if (o.device !== undefined) facts.device = await lookupDevice(q, o.device);
  facts.alerts = await alertSummaries(db).catch(() => undefined); // no alert tables yet: none shown
  facts.groupDevices = groups.map((g) => ({ group: Number(g.poller_group), devices: Number(g.n) }));
  const c = counts[0];
  facts.devices = {
    total: Number(c.total),
    up: Number(c.up),
    down: Number(c.down),
    disabled: Number(c.disabled),
    never_polled: Number(c.never),
    overdue: overdue.length,
  };
  facts.overdue = overdue.slice(0, 20).map(overdueRow);
  facts.errors = events.map(eventRow);
}

/** Finds one device by id, hostname:port or hostname (the lowest id when a hostname is shared). */
async function lookupDevice(q: Query, ref: string): Promise<DeviceLookup | null> {
  const cols = 'device_id, hostname, port, poller_group, status, last_polled';
  const m = /^(.+):(\d{1,5})$/.exec(ref);
  const rows = /^\d+$/.test(ref)
    ? await q(`SELECT ${cols} FROM devices WHERE device_id = ?`, [Number(ref)])
    : m
      ? await q(`SELECT ${cols} FROM devices WHERE hostname = ? AND port = ?`, [m[1], Number(m[2])])
      : await q(`SELECT ${cols} FROM devices WHERE hostname = ? OR sysName = ? ORDER BY device_id LIMIT 1`, [ref, ref]);
  const r = rows[0];
  if (!r) return null;
  return {
    device_id: Number(r.device_id),
    hostname: String(r.hostname),
    port: Number(r.port),
    poller_group: Number(r.poller_group),
    status: Number(r.status),
    last_polled: iso(r.last_polled),
  };
}
