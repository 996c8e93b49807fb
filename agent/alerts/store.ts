// The alert tables as the evaluator and the API use them: the rules, the open alerts, the list
// `nms status` and the API show, acknowledgement. The evaluator's state changes are written by
// changes.ts; delivery happens later (outbox.ts), from the outbox rows.
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Db } from '../db/index.js';
import type { AlertRuleConfig } from '../../lib/alerts.js';
import { STATE_NAMES, type StoredAlert } from './state.js';

/** Writes the rules into alert_rules (by name) and returns name → id. */
export async function syncRules(db: Db, rules: AlertRuleConfig[]): Promise<Map<string, number>> {
  for (const r of rules) {
    const { delay, threshold, cycles, match, program, level, within } = r;
    const extra = JSON.stringify({
      delay,
      transports: r.transports ?? [],
      threshold,
      cycles,
      match,
      program,
      level,
      within,
    });
    await db.query(
      `INSERT INTO alert_rules (rule, severity, extra, disabled, name, query, builder, notes)
       VALUES (?, ?, ?, ?, ?, '', '{}', 'nms built-in kind')
       ON DUPLICATE KEY UPDATE rule = VALUES(rule), severity = VALUES(severity), extra = VALUES(extra),
         disabled = VALUES(disabled)`,
      [r.kind, r.severity, extra, r.disabled ? 1 : 0, r.name],
    );
  }
  const [rows] = await db.query<RowDataPacket[]>('SELECT id, name FROM alert_rules');
  return new Map(rows.map((r) => [String(r.name), Number(r.id)]));
}

export interface AlertRow extends StoredAlert {
  deviceId: number;
  entity: string;
}

/** Alerts of a rule that are active or waiting out a delay. */
export async function openAlerts(db: Db, ruleId: number): Promise<AlertRow[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT id, device_id, entity, state, pending_since FROM alerts
     WHERE rule_id = ? AND (state <> 0 OR pending_since IS NOT NULL)`,
    [ruleId],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    deviceId: Number(r.device_id),
    entity: String(r.entity),
    state: Number(r.state),
    ...(r.pending_since ? { pendingSince: new Date(r.pending_since).getTime() } : {}),
  }));
}

export const alertKey = (deviceId: number, entity: string) => `${deviceId}/${entity}`;

/** One transaction on a pooled connection: committed when `fn` resolves, rolled back when it throws. */
export async function inTransaction<T>(db: Db, fn: (c: PoolConnection) => Promise<T>): Promise<T> {
  const c = await db.getConnection();
  try {
    await c.beginTransaction();
    const out = await fn(c);
    await c.commit();
    return out;
  } catch (err) {
    await c.rollback().catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/** An alert as `nms status` and `/api/v0/alerts` show it (LibreNMS's fields plus ours). */
export interface AlertView {
  id: number;
  device_id: number;
  rule_id: number;
  rule: string;
  severity: string;
  /** LibreNMS's code: 0 ok, 1 alerting, 2 acknowledged. */
  state: number;
  state_name: string;
  alerted: number;
  open: number;
  hostname: string;
  entity: string;
  message: string;
  timestamp: string;
  note: string | null;
}

export interface AlertFilter {
  /** One state; default: the active ones (1 and 2). */
  state?: number;
  severity?: string;
  id?: number;
  limit?: number;
  timeoutMs?: number;
}

/** Alerts, newest change first; by default those alerting or acknowledged. */
export async function listAlerts(db: Pick<Db, 'query'>, f: AlertFilter = {}): Promise<AlertView[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (cond: string, v?: unknown) => {
    where.push(cond);
    if (v !== undefined) values.push(v);
  };
  if (f.id !== undefined) add('a.id = ?', f.id);
  else if (f.state !== undefined) add('a.state = ?', f.state);
  else add('a.state IN (1, 2)');
  if (f.severity !== undefined) add('r.severity = ?', f.severity);
  values.push(f.limit ?? 1000);
  const [rows] = await db.query<RowDataPacket[]>({
    sql: `SELECT a.id, a.device_id, a.rule_id, a.entity, a.state, a.alerted, a.open, a.note, a.timestamp, a.info,
       r.name, r.severity
     FROM alerts a JOIN alert_rules r ON r.id = a.rule_id WHERE ${where.join(' AND ')}
     ORDER BY a.timestamp DESC, a.id DESC LIMIT ?`,
    values,
    timeout: f.timeoutMs ?? 10_000,
  });
  return rows.map((r) => {
    let info: { hostname?: string; message?: string } = {};
    try {
      info = JSON.parse(String(r.info)) as typeof info;
    } catch {
      /* a row written by hand */
    }
    return {
      id: Number(r.id),
      device_id: Number(r.device_id),
      rule_id: Number(r.rule_id),
      rule: String(r.name),
      severity: String(r.severity),
      state: Number(r.state),
      state_name: STATE_NAMES[Number(r.state)] ?? String(r.state),
      alerted: Number(r.alerted),
      open: Number(r.open),
      hostname: info.hostname ?? '',
      entity: String(r.entity),
      message: info.message ?? '',
      timestamp: new Date(r.timestamp).toISOString(),
      note: r.note === null ? null : String(r.note),
    };
  });
}

/** alerting → acknowledged, with a note; logged (state 2), not notified. False: not alerting. */
export async function acknowledge(db: Db, id: number, note: string): Promise<boolean> {
  return inTransaction(db, async (c) => {
    const sql = 'UPDATE alerts SET state = 2, note = ? WHERE id = ? AND state = 1';
    const [u] = await c.query<ResultSetHeader>(sql, [note, id]);
    if (u.affectedRows !== 1) return false;
    await c.query(
      `INSERT INTO alert_log (rule_id, device_id, alert_id, entity, state, details)
       SELECT rule_id, device_id, id, entity, 2, ? FROM alerts WHERE id = ?`,
      [JSON.stringify({ note }), id],
    );
    return true;
  });
}
