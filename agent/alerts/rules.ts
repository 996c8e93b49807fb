// The rule kinds: one query each over LibreNMS's tables, returning what is faulty now. A rule
// whose table does not exist (services before the service checks ran, the state tables
// before sensor definitions write them) answers `undefined`: its alerts are left as they are
// rather than recovered. Devices that are disabled or ignored never alert; entities of a
// device that is down are left out (their values are stale) except by device_down itself
// (and syslog: a device that is down may have said why before it went).
import type { RowDataPacket } from 'mysql2/promise';
import type { Db } from '../db/index.js';
import type { Logger } from '../../lib/log.js';
import { DEFAULT_POLLER_CYCLES, DEFAULT_STORAGE_THRESHOLD, DEFAULT_SYSLOG_WITHIN } from '../../lib/alerts.js';
import { syslogLevelNumber, type AlertRuleConfig, type RuleKind } from '../../lib/alerts.js';
import { localDatetime } from '../syslog/record.js';

/** One faulty thing: a device (entity '') or an entity of it (`port:12`, `poller:<node_id>`). */
export interface Fault {
  deviceId: number;
  entity: string;
  hostname: string;
  message: string;
}

export interface RuleContext {
  db: Db;
  /** service_poller_frequency of the evaluating node (a node's own value wins when set). */
  pollerFrequency: number;
  /** Table names that exist in the database. */
  tables: Set<string>;
  /** The evaluation's time (ms): the end of syslog's window. */
  now: number;
  /** Where a rule that cannot run (MariaDB refusing a syslog pattern) says so. */
  log?: Logger;
}

type RuleQuery = (ctx: RuleContext, rule: AlertRuleConfig) => Promise<Fault[] | undefined>;

const DEVICE_OK = 'd.disabled = 0 AND d.`ignore` = 0';
const DEVICE_UP = `${DEVICE_OK} AND d.status = 1`;
const HOST = "COALESCE(NULLIF(d.display, ''), d.hostname) AS hostname";

async function rows(db: Db, sql: string, args: unknown[] = []): Promise<RowDataPacket[]> {
  const [r] = await db.query<RowDataPacket[]>(sql, args);
  return r;
}

/** A fault of the row's device; `entity` '' for the device itself. */
const fault = (r: RowDataPacket, entity: string, message: string): Fault => ({
  deviceId: Number(r.device_id),
  entity,
  hostname: String(r.hostname),
  message,
});

const deviceDown: RuleQuery = async ({ db }) => {
  // status_reason '' with status 0 is a device never polled yet, not a down one
  const sql = `SELECT d.device_id, ${HOST}, d.status_reason FROM devices d
    WHERE ${DEVICE_OK} AND d.status = 0 AND d.status_reason <> ''`;
  return (await rows(db, sql)).map((r) => fault(r, '', `Device ${r.hostname} is down (${r.status_reason})`));
};

const portDown: RuleQuery = async ({ db }) => {
  // LibreNMS's way of leaving a port out of alerting is ports.ignore (disabled: not polled)
  const sql = `SELECT p.port_id, p.device_id, ${HOST}, COALESCE(p.ifName, p.ifDescr, p.ifIndex) AS port
    FROM ports p JOIN devices d USING (device_id)
    WHERE ${DEVICE_UP} AND p.deleted = 0 AND p.disabled = 0 AND p.\`ignore\` = 0
      AND p.ifOperStatus = 'down' AND p.ifAdminStatus = 'up'`;
  return (await rows(db, sql)).map((r) =>
    fault(r, `port:${r.port_id}`, `Port ${r.port} on ${r.hostname} is down while administratively up`),
  );
};

const sensor: RuleQuery = async ({ db, tables }) => {
  const limitsSql = `SELECT s.sensor_id, s.device_id, ${HOST}, s.sensor_class, s.sensor_descr,
      s.sensor_current, s.sensor_limit, s.sensor_limit_low
    FROM sensors s JOIN devices d USING (device_id)
    WHERE ${DEVICE_UP} AND s.sensor_deleted = 0 AND s.sensor_class <> 'state' AND s.sensor_current IS NOT NULL
      AND ((s.sensor_limit IS NOT NULL AND s.sensor_current > s.sensor_limit)
        OR (s.sensor_limit_low IS NOT NULL AND s.sensor_current < s.sensor_limit_low))`;
  const out = (await rows(db, limitsSql)).map((r) => {
    const range = `${r.sensor_limit_low ?? '-'}..${r.sensor_limit ?? '-'}`;
    const what = `${r.sensor_class} sensor ${r.sensor_descr ?? r.sensor_id}`;
    return fault(r, `sensor:${r.sensor_id}`, `${what} on ${r.hostname} is ${r.sensor_current}, outside ${range}`);
  });
  if (!tables.has('sensors_to_state_indices') || !tables.has('state_translations')) return out;
  const statesSql = `SELECT s.sensor_id, s.device_id, ${HOST}, s.sensor_descr, t.state_descr
    FROM sensors s JOIN devices d USING (device_id)
    JOIN sensors_to_state_indices i ON i.sensor_id = s.sensor_id
    JOIN state_translations t ON t.state_index_id = i.state_index_id AND t.state_value = s.sensor_current
    WHERE ${DEVICE_UP} AND s.sensor_deleted = 0 AND s.sensor_class = 'state' AND t.state_generic_value = 2`;
  for (const r of await rows(db, statesSql)) {
    const what = `State sensor ${r.sensor_descr ?? r.sensor_id}`;
    out.push(fault(r, `sensor:${r.sensor_id}`, `${what} on ${r.hostname} is ${r.state_descr} (critical)`));
  }
  return out;
};

const storage: RuleQuery = async ({ db }, rule) => {
  const threshold = rule.threshold ?? DEFAULT_STORAGE_THRESHOLD;
  const sql = `SELECT s.storage_id, s.device_id, ${HOST}, s.storage_descr, s.storage_perc
    FROM storage s JOIN devices d USING (device_id)
    WHERE ${DEVICE_UP} AND s.storage_deleted = 0 AND s.storage_perc > ?`;
  return (await rows(db, sql, [threshold])).map((r) => {
    const message = `Storage ${r.storage_descr} on ${r.hostname} is ${r.storage_perc} % full (above ${threshold} %)`;
    return fault(r, `storage:${r.storage_id}`, message);
  });
};

const service: RuleQuery = async ({ db, tables }) => {
  if (!tables.has('services')) return undefined;
  const sql = `SELECT s.service_id, s.device_id, ${HOST}, s.service_type, s.service_desc, s.service_message
    FROM services s JOIN devices d USING (device_id)
    WHERE ${DEVICE_OK} AND s.service_disabled = 0 AND s.service_ignore = 0 AND s.service_status = 2`;
  return (await rows(db, sql)).map((r) => {
    const detail = String(r.service_message ?? '').slice(0, 200);
    const name = r.service_desc || r.service_type;
    return fault(r, `service:${r.service_id}`, `Service ${name} on ${r.hostname} is critical: ${detail}`);
  });
};

const pollerDown: RuleQuery = async ({ db, pollerFrequency }, rule) => {
  const cycles = rule.cycles ?? DEFAULT_POLLER_CYCLES;
  const sql = `SELECT node_id, poller_name, last_report FROM poller_cluster
    WHERE last_report < UTC_TIMESTAMP() - INTERVAL (? * COALESCE(poller_frequency, ?)) SECOND`;
  return (await rows(db, sql, [cycles, pollerFrequency])).map((r) => {
    const last = new Date(r.last_report).toISOString();
    const message = `Poller ${r.poller_name} has not reported for ${cycles} cycles (last ${last})`;
    return { deviceId: 0, entity: `poller:${r.node_id}`, hostname: String(r.poller_name), message };
  });
};

/** MariaDB's ER_REGEXP_ERROR: a pattern JavaScript accepted and PCRE does not. */
const ER_REGEXP_ERROR = 1139;

/** The window's conditions on `syslog s` (the timestamp range first: syslog_timestamp_index). */
function syslogWhere(rule: AlertRuleConfig, now: number): { where: string; args: unknown[] } {
  const within = rule.within ?? DEFAULT_SYSLOG_WITHIN;
  // timestamps are written in the agent's local time (agent/syslog/record.ts), so is the bound
  const where = ['s.timestamp >= ?', 's.device_id IS NOT NULL', 's.msg REGEXP ?'];
  const args: unknown[] = [localDatetime(new Date(now - within * 1000)), rule.match ?? ''];
  if (rule.program !== undefined) {
    where.push('s.program = ?');
    args.push(rule.program);
  }
  const level = syslogLevelNumber(rule.level);
  if (level !== undefined) {
    // `level` holds the severity number as text; lower is more severe
    const levels = Array.from({ length: level + 1 }, (_, i) => String(i));
    where.push(`s.level IN (${levels.map(() => '?').join(', ')})`);
    args.push(...levels);
  }
  return { where: where.join(' AND '), args };
}

const syslog: RuleQuery = async ({ db, tables, now, log }, rule) => {
  if (!tables.has('syslog')) return undefined;
  const within = rule.within ?? DEFAULT_SYSLOG_WITHIN;
  const { where, args } = syslogWhere(rule, now);
  // per device: how many matched and the last one stored (its text goes into the message)
  const sql = `SELECT m.device_id, m.n, ${HOST}, l.program, l.msg
    FROM (SELECT s.device_id, COUNT(*) AS n, MAX(s.seq) AS seq FROM syslog s WHERE ${where} GROUP BY s.device_id) m
    JOIN syslog l ON l.seq = m.seq JOIN devices d ON d.device_id = m.device_id
    WHERE ${DEVICE_OK}`;
  let found: RowDataPacket[];
  try {
    found = await rows(db, sql, args);
  } catch (err) {
    if ((err as { errno?: number }).errno !== ER_REGEXP_ERROR) throw err;
    log?.warn('alert_rule_failed', { rule: rule.name, err: (err as Error).message });
    return undefined;
  }
  return found.map((r) => {
    const count = Number(r.n) === 1 ? '1 syslog message' : `${r.n} syslog messages`;
    const last = `${r.program ? `${r.program}: ` : ''}${String(r.msg ?? '').slice(0, 200)}`;
    return fault(r, '', `${count} from ${r.hostname} matched /${rule.match}/ in ${within} s, the last: ${last}`);
  });
};

export const RULE_QUERIES: Record<RuleKind, RuleQuery> = {
  device_down: deviceDown,
  port_down: portDown,
  sensor,
  storage,
  service,
  poller_down: pollerDown,
  syslog,
};

/** The tables of the current database (to skip rules whose table is missing). */
export async function existingTables(db: Db): Promise<Set<string>> {
  const r = await rows(db, 'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE()');
  return new Set(r.map((x) => String(x.t)));
}
