// The state machine of one alert (a rule on one device or entity), as a pure function: what the
// evaluator should do given the stored row, whether the condition holds now, the time and the
// rule's delay. States follow LibreNMS's `alerts.state`: 0 ok, 1 alerting, 2 acknowledged; a
// condition waiting out its delay is `pending_since` on an ok row. "Recovered" is the change
// from alerting or acknowledged back to ok, which is logged and notified like the alert.

export const ALERT_STATE = { ok: 0, alerting: 1, acknowledged: 2 } as const;
export type AlertStateCode = (typeof ALERT_STATE)[keyof typeof ALERT_STATE];

export const STATE_NAMES: Record<number, string> = { 0: 'ok', 1: 'alerting', 2: 'acknowledged' };

/** What the evaluator knows of a stored alert row. */
export interface StoredAlert {
  id: number;
  state: number;
  /** When the condition was first seen while ok (ms since epoch), if it still waits. */
  pendingSince?: number;
}

/**
 * - `none`: nothing to write.
 * - `pend`: start the delay (store pending_since).
 * - `unpend`: the condition went away before the delay passed (no notification).
 * - `alert`: ok → alerting: log and notify.
 * - `recover`: alerting/acknowledged → ok: log and notify.
 */
export type Transition = 'none' | 'pend' | 'unpend' | 'alert' | 'recover';

export function decide(row: StoredAlert | undefined, faulty: boolean, now: number, delaySeconds: number): Transition {
  const active = row !== undefined && (row.state === ALERT_STATE.alerting || row.state === ALERT_STATE.acknowledged);
  if (!faulty) {
    if (active) return 'recover';
    return row?.pendingSince !== undefined ? 'unpend' : 'none';
  }
  if (active) return 'none';
  if (delaySeconds <= 0) return 'alert';
  if (row?.pendingSince === undefined) return 'pend';
  return now - row.pendingSince >= delaySeconds * 1000 ? 'alert' : 'none';
}

/** Retry delay in ms after `attempts` failed attempts: backoff doubled each time, at most 300 s. */
export function retryDelayMs(attempts: number, backoffSeconds: number): number {
  return Math.min(300_000, backoffSeconds * 1000 * 2 ** Math.max(0, attempts - 1));
}
