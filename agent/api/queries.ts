// The web/API's reads from MariaDB and the JSON shapes they become (docs/api.md).
// Every SELECT names its columns: a device's SNMP credentials (community, authname, authpass,
// cryptopass, ...) are never selected, so no later change to a response can leak them.
import type mysql from 'mysql2/promise';

/** What the API needs from a mysql2 pool (a Pool or a PoolConnection both fit). */
export type ApiDb = Pick<mysql.Pool, 'query'>;

type Row = mysql.RowDataPacket;

/** Runs one read with a timeout, so a stuck database cannot hold a request forever. */
async function rows(db: ApiDb, sql: string, values: unknown[], timeoutMs: number): Promise<Row[]> {
  const [result] = await db.query<Row[]>({ sql, values, timeout: timeoutMs });
  return result;
}

/** A DATETIME/TIMESTAMP value as ISO 8601 UTC (pools with dateStrings give 'YYYY-MM-DD hh:mm:ss'). */
export function isoTime(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  const s = String(v);
  const d = new Date(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(s) ? s.replace(' ', 'T') + 'Z' : s);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** DECIMAL/BIGINT columns may arrive as strings; keep them numbers when they fit exactly. */
function num(v: unknown): number | string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  const n = Number(v);
  return Number.isSafeInteger(n) || (Number.isFinite(n) && !/^\d+$/.test(String(v))) ? n : String(v);
}

// ---- devices ----------------------------------------------------------------------------

const DEVICE_LIST_COLUMNS =
  'device_id, hostname, sysName, display, os, status, status_reason, disabled, `ignore`, poller_group, ' +
  'last_polled, last_polled_timetaken, last_discovered, last_discovered_timetaken, last_poll_attempted, uptime';
const DEVICE_DETAIL_COLUMNS =
  `${DEVICE_LIST_COLUMNS}, inserted, sysDescr, sysObjectID, sysContact, location, hardware, version, ` +
  'snmpver, port, transport';

export interface DeviceFilter {
  poller_group?: number;
  /** 1 up, 0 down. */
  status?: 0 | 1;
}

function deviceJson(r: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {
    device_id: Number(r.device_id),
    hostname: r.hostname,
    sysName: r.sysName ?? null,
    display: r.display ?? null,
    os: r.os ?? null,
    status: Number(r.status),
    status_reason: r.status_reason ?? '',
    disabled: Number(r.disabled),
    ignore: Number(r.ignore),
    poller_group: Number(r.poller_group),
    last_polled: isoTime(r.last_polled),
    last_polled_timetaken: num(r.last_polled_timetaken),
    last_discovered: isoTime(r.last_discovered),
    last_discovered_timetaken: num(r.last_discovered_timetaken),
    last_poll_attempted: isoTime(r.last_poll_attempted),
    uptime: num(r.uptime),
  };
  if ('sysDescr' in r) {
    Object.assign(out, {
      inserted: isoTime(r.inserted),
      sysDescr: r.sysDescr ?? null,
      sysObjectID: r.sysObjectID ?? null,
      sysContact: r.sysContact ?? null,
      location: r.location ?? null,
      hardware: r.hardware ?? null,
      version: r.version ?? null,
      snmpver: r.snmpver,
      port: Number(r.port),
      transport: r.transport,
    });
  }
  return out;
}

export async function listDevices(db: ApiDb, f: DeviceFilter, timeoutMs: number): Promise<Record<string, unknown>[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (f.poller_group !== undefined) {
    where.push('poller_group = ?');
    values.push(f.poller_group);
  }
  if (f.status !== undefined) {
    where.push('status = ?');
    values.push(f.status);
  }
  const filter = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  const sql = `SELECT ${DEVICE_LIST_COLUMNS} FROM devices${filter} ORDER BY device_id`;
  return (await rows(db, sql, values, timeoutMs)).map(deviceJson);
}

/** One device with its detail columns, or null when there is no such id. */
export async function getDevice(db: ApiDb, id: number, timeoutMs: number): Promise<Record<string, unknown> | null> {
  const r = await rows(db, `SELECT ${DEVICE_DETAIL_COLUMNS} FROM devices WHERE device_id = ?`, [id], timeoutMs);
  return r.length ? deviceJson(r[0]) : null;
}

// ---- ports ------------------------------------------------------------------------------

const PORT_COLUMNS = [
  'port_id',
  'device_id',
  'ifIndex',
  'ifName',
  'ifDescr',
  'ifAlias',
  'ifType',
  'ifSpeed',
  'ifHighSpeed',
  'ifMtu',
  'ifPhysAddress',
  'ifOperStatus',
  'ifAdminStatus',
  'ifDuplex',
  'ifLastChange',
  'ifVlan',
  'counter_bits',
  'ifInOctets',
  'ifOutOctets',
  'ifInOctets_rate',
  'ifOutOctets_rate',
  'ifInUcastPkts_rate',
  'ifOutUcastPkts_rate',
  'ifInErrors',
  'ifOutErrors',
  'ifInErrors_rate',
  'ifOutErrors_rate',
  'ifInDiscards_rate',
  'ifOutDiscards_rate',
  'poll_time',
  'poll_period',
  'deleted',
  'disabled',
  'ignore',
] as const;
const TEXT_PORT_COLUMNS = new Set([
  'ifName',
  'ifDescr',
  'ifAlias',
  'ifType',
  'ifPhysAddress',
  'ifOperStatus',
  'ifAdminStatus',
  'ifDuplex',
  'ifVlan',
]);

export async function listPorts(db: ApiDb, deviceId: number, timeoutMs: number): Promise<Record<string, unknown>[]> {
  const cols = PORT_COLUMNS.map((c) => `\`${c}\``).join(', ');
  const r = await rows(
    db,
    `SELECT ${cols} FROM ports WHERE device_id = ? ORDER BY ifIndex, port_id`,
    [deviceId],
    timeoutMs,
  );
  return r.map((row) => {
    const out: Record<string, unknown> = {};
    for (const c of PORT_COLUMNS) out[c] = TEXT_PORT_COLUMNS.has(c) ? (row[c] ?? null) : num(row[c]);
    return out;
  });
}

// ---- pollers ----------------------------------------------------------------------------

/** LibreNMS's default poller frequency, used when neither the node nor its stats say. */
export const DEFAULT_POLLER_FREQUENCY = 300;

export async function listPollers(db: ApiDb, timeoutMs: number): Promise<Record<string, unknown>[]> {
  // The age is computed by MariaDB against UTC_TIMESTAMP(): DATETIME has no zone and agents
  // write it in UTC, so the API host's clock and zone play no part.
  const nodes = await rows(
    db,
    `SELECT id, node_id, poller_name, poller_version, poller_groups, last_report, master, poller_frequency,
            TIMESTAMPDIFF(SECOND, last_report, UTC_TIMESTAMP()) AS age
       FROM poller_cluster ORDER BY poller_name, id`,
    [],
    timeoutMs,
  );
  const stats = await rows(
    db,
    'SELECT parent_poller, poller_type, depth, devices, worker_seconds, workers, frequency ' +
      'FROM poller_cluster_stats ORDER BY parent_poller, poller_type',
    [],
    timeoutMs,
  );
  const byParent = new Map<number, Row[]>();
  for (const s of stats) {
    const list = byParent.get(Number(s.parent_poller)) ?? [];
    list.push(s);
    byParent.set(Number(s.parent_poller), list);
  }
  return nodes.map((n) => {
    const own = byParent.get(Number(n.id)) ?? [];
    const pollerStat = own.find((s) => s.poller_type === 'poller');
    const frequency =
      Number(n.poller_frequency ?? pollerStat?.frequency ?? DEFAULT_POLLER_FREQUENCY) || DEFAULT_POLLER_FREQUENCY;
    const age = n.age === null ? null : Number(n.age);
    return {
      id: Number(n.id),
      node_id: n.node_id,
      poller_name: n.poller_name,
      poller_version: n.poller_version,
      poller_groups: String(n.poller_groups ?? '')
        .split(',')
        .map((g) => g.trim())
        .filter((g) => /^\d+$/.test(g))
        .map(Number),
      last_report: isoTime(n.last_report),
      last_report_age: age,
      master: Number(n.master) === 1,
      poller_frequency: frequency,
      active: age !== null && age < frequency,
      stats: own.map((s) => ({
        poller_type: s.poller_type,
        depth: Number(s.depth),
        devices: Number(s.devices),
        worker_seconds: Number(s.worker_seconds),
        workers: Number(s.workers),
        frequency: Number(s.frequency),
      })),
    };
  });
}

// ---- system -----------------------------------------------------------------------------

export interface SystemCounts {
  devices: { total: number; up: number; down: number; disabled: number; ignored: number };
  ports: { total: number; up: number; down: number; shutdown: number };
  pollers: { total: number; active: number };
}

/** Counts with LibreNMS's meanings: a down device is neither disabled nor ignored; a down port is admin up. */
export async function systemCounts(db: ApiDb, timeoutMs: number): Promise<SystemCounts> {
  const [d] = await rows(
    db,
    `SELECT COUNT(*) AS total,
            COALESCE(SUM(status = 1 AND disabled = 0 AND \`ignore\` = 0), 0) AS up,
            COALESCE(SUM(status = 0 AND disabled = 0 AND \`ignore\` = 0), 0) AS down,
            COALESCE(SUM(disabled = 1), 0) AS disabled,
            COALESCE(SUM(\`ignore\` = 1 AND disabled = 0), 0) AS \`ignored\`
       FROM devices`,
    [],
    timeoutMs,
  );
  const [p] = await rows(
    db,
    `SELECT COUNT(*) AS total,
            COALESCE(SUM(ifOperStatus = 'up'), 0) AS up,
            COALESCE(SUM(ifOperStatus <> 'up' AND ifAdminStatus = 'up'), 0) AS down,
            COALESCE(SUM(ifAdminStatus = 'down'), 0) AS shutdown
       FROM ports WHERE deleted = 0`,
    [],
    timeoutMs,
  );
  const pollers = await listPollers(db, timeoutMs);
  const n = (v: unknown) => Number(v ?? 0);
  return {
    devices: { total: n(d.total), up: n(d.up), down: n(d.down), disabled: n(d.disabled), ignored: n(d.ignored) },
    ports: { total: n(p.total), up: n(p.up), down: n(p.down), shutdown: n(p.shutdown) },
    pollers: { total: pollers.length, active: pollers.filter((x) => x.active).length },
  };
}

/** The database's own clock and schema version (0 when never migrated). */
export async function databaseInfo(
  db: ApiDb,
  timeoutMs: number,
): Promise<{ time: string | null; schema_version: number }> {
  const [t] = await rows(db, 'SELECT UTC_TIMESTAMP() AS now', [], timeoutMs);
  let schema = 0;
  try {
    const [v] = await rows(db, 'SELECT MAX(version) AS v FROM migrations', [], timeoutMs);
    schema = Number(v?.v ?? 0);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ER_NO_SUCH_TABLE') throw err;
  }
  return { time: isoTime(t.now), schema_version: schema };
}
