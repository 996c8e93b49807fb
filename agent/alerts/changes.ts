// A rule's state changes written in batches: an evaluation that finds thousands of faults at
// once (a site going dark, a first evaluation over a large fleet) costs a handful of statements
// per few hundred alerts instead of a transaction per alert. Each batch of raises or recoveries
// is one transaction that locks the alert rows it changes (SELECT ... FOR UPDATE) and changes only
// those still in the state it expects, so two evaluators racing through a dispatcher failover
// never both log or notify the same change. Written without INSERT ... RETURNING (servers before
// MariaDB 10.5 lack it).
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Db } from '../db/index.js';
import type { AlertRuleConfig } from '../../lib/alerts.js';
import { ALERT_STATE } from './state.js';
import { alertKey, inTransaction } from './store.js';
import type { Fault } from './rules.js';
import type { AlertPayload } from './transports/common.js';

/** Alerts changed per transaction (and rows per statement). */
export const CHANGE_BATCH = 500;

/** What one evaluation of a rule decided (state.ts's transitions), to be written. */
export interface RuleChanges {
  rule: AlertRuleConfig;
  ruleId: number;
  /** Transport names to notify of raises and recoveries. */
  transports: string[];
  /** Faults whose delay starts now. */
  pend: Fault[];
  /** Alert ids whose condition went away while they waited out the delay. */
  unpend: number[];
  /** ok → alerting. */
  raise: Fault[];
  /** alerting/acknowledged → ok: the alert ids. */
  recover: number[];
}

/** Writes the changes; returns how many raises and recoveries this evaluator made. */
export async function applyChanges(db: Db, x: RuleChanges): Promise<{ raised: number; recovered: number }> {
  for (const part of slices(x.pend)) await markPending(db, x.ruleId, part);
  for (const part of slices(x.unpend))
    await db.query('UPDATE alerts SET pending_since = NULL WHERE id IN (?) AND state = 0', [part]);
  let raised = 0;
  let recovered = 0;
  for (const part of slices(x.raise)) raised += await inTransaction(db, (c) => raise(c, x, part));
  for (const part of slices(x.recover)) recovered += await inTransaction(db, (c) => recover(c, x, part));
  return { raised, recovered };
}

function* slices<T>(all: T[]): Generator<T[]> {
  for (let i = 0; i < all.length; i += CHANGE_BATCH) yield all.slice(i, i + CHANGE_BATCH);
}

/** `(?, ?, ...)` rows for a multi-row VALUES. */
const tuples = (n: number, tuple: string) => Array.from({ length: n }, () => tuple).join(', ');

const infoOf = (f: Fault) => JSON.stringify({ hostname: f.hostname, message: f.message });

/** Starts the delay of ok rows not already waiting (a new row is made waiting). */
async function markPending(db: Db, ruleId: number, faults: Fault[]): Promise<void> {
  const args = faults.flatMap((f) => [f.deviceId, ruleId, f.entity, infoOf(f)]);
  await db.query(
    `INSERT INTO alerts (device_id, rule_id, entity, state, alerted, open, info, pending_since)
     VALUES ${tuples(faults.length, '(?, ?, ?, 0, 0, 0, ?, UTC_TIMESTAMP())')}
     ON DUPLICATE KEY UPDATE pending_since = IF(state = 0 AND pending_since IS NULL, UTC_TIMESTAMP(), pending_since)`,
    args,
  );
}

interface Changed {
  id: number;
  fault: Fault;
}

/** ok → alerting for the faults whose row is still ok; returns how many changed. */
async function raise(c: PoolConnection, x: RuleChanges, faults: Fault[]): Promise<number> {
  // every fault gets its row (ok, not waiting) if it has none yet
  await c.query(
    `INSERT INTO alerts (device_id, rule_id, entity, state, alerted, open, info)
     VALUES ${tuples(faults.length, '(?, ?, ?, 0, 0, 0, ?)')} ON DUPLICATE KEY UPDATE id = id`,
    faults.flatMap((f) => [f.deviceId, x.ruleId, f.entity, infoOf(f)]),
  );
  const wanted = new Map(faults.map((f) => [alertKey(f.deviceId, f.entity), f]));
  const [rows] = await c.query<RowDataPacket[]>(
    'SELECT id, device_id, entity FROM alerts WHERE rule_id = ? AND device_id IN (?) AND state = 0 FOR UPDATE',
    [x.ruleId, [...new Set(faults.map((f) => f.deviceId))]],
  );
  const changed: Changed[] = [];
  for (const r of rows) {
    const fault = wanted.get(alertKey(Number(r.device_id), String(r.entity)));
    if (fault) changed.push({ id: Number(r.id), fault });
  }
  if (changed.length === 0) return 0;
  await c.query(
    `INSERT INTO alerts (id, device_id, rule_id, entity, state, alerted, open, info)
     VALUES ${tuples(changed.length, '(?, ?, ?, ?, 0, 0, 0, ?)')}
     ON DUPLICATE KEY UPDATE state = 1, alerted = 1, open = 1, pending_since = NULL, note = NULL,
       info = VALUES(info), timestamp = CURRENT_TIMESTAMP`,
    changed.flatMap(({ id, fault: f }) => [id, f.deviceId, x.ruleId, f.entity, infoOf(f)]),
  );
  await logAndNotify(c, x, changed, 'alert');
  return changed.length;
}

/** alerting/acknowledged → ok for the alerts still active; returns how many changed. */
async function recover(c: PoolConnection, x: RuleChanges, ids: number[]): Promise<number> {
  const [rows] = await c.query<RowDataPacket[]>(
    'SELECT id, device_id, entity, info FROM alerts WHERE id IN (?) AND state IN (1, 2) FOR UPDATE',
    [ids],
  );
  if (rows.length === 0) return 0;
  const changed: Changed[] = rows.map((r) => {
    const deviceId = Number(r.device_id);
    // a recovery reports what the raise said
    const fallback = { hostname: '', message: `${x.rule.name} on device ${deviceId}` };
    return { id: Number(r.id), fault: { deviceId, entity: String(r.entity), ...(lastInfo(r.info) ?? fallback) } };
  });
  await c.query(
    `UPDATE alerts SET state = 0, open = 0, pending_since = NULL, timestamp = CURRENT_TIMESTAMP WHERE id IN (?)`,
    [changed.map((a) => a.id)],
  );
  await logAndNotify(c, x, changed, 'recover');
  return changed.length;
}

function lastInfo(text: unknown): { hostname: string; message: string } | undefined {
  try {
    const v = JSON.parse(String(text)) as { hostname?: unknown; message?: unknown };
    return typeof v.hostname === 'string' && typeof v.message === 'string'
      ? { hostname: v.hostname, message: v.message }
      : undefined;
  } catch {
    return undefined;
  }
}

/** The changes' alert_log rows and one outbox row per change and transport. */
async function logAndNotify(c: PoolConnection, x: RuleChanges, changed: Changed[], kind: 'alert' | 'recover') {
  const state = kind === 'alert' ? ALERT_STATE.alerting : ALERT_STATE.ok;
  const [ins] = await c.query<ResultSetHeader>(
    `INSERT INTO alert_log (rule_id, device_id, alert_id, entity, state, details)
     VALUES ${tuples(changed.length, '(?, ?, ?, ?, ?, ?)')}`,
    changed.flatMap(({ id, fault: f }) => [x.ruleId, f.deviceId, id, f.entity, state, infoOf(f)]),
  );
  if (x.transports.length === 0) return;
  // The log ids: the rows of these alerts from the first id this statement took on. Their
  // alert rows are locked by this transaction, so no other log row of them can be in between.
  const logSql = 'SELECT id, alert_id FROM alert_log WHERE alert_id IN (?) AND id >= ?';
  const [logs] = await c.query<RowDataPacket[]>(logSql, [changed.map((a) => a.id), ins.insertId]);
  const logId = new Map(logs.map((r) => [Number(r.alert_id), Number(r.id)]));
  const timestamp = new Date().toISOString();
  const args: unknown[] = [];
  for (const { id, fault: f } of changed) {
    const payload: AlertPayload = {
      alert_id: id,
      log_id: logId.get(id) ?? 0,
      rule: x.rule.name,
      severity: x.rule.severity,
      state: kind === 'alert' ? 'alert' : 'recovered',
      device_id: f.deviceId,
      hostname: f.hostname,
      entity: f.entity,
      message: f.message,
      timestamp,
    };
    const text = JSON.stringify(payload);
    for (const t of x.transports) args.push(payload.log_id, id, t, text);
  }
  await c.query(
    `INSERT INTO alert_notifications (alert_log_id, alert_id, transport, payload, next_attempt)
     VALUES ${tuples(args.length / 4, '(?, ?, ?, ?, UTC_TIMESTAMP(3))')}`,
    args,
  );
}
