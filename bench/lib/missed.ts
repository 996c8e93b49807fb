// Why devices missed a poll in an agent bench window: each one's row at the window's end (up or
// down and why, its last poll and last attempt) and the Down events it logged during the window.
// A device SNMP stopped answering is down, retried every service_poller_down_retry, and its
// `last_polled` (what the bench counts) waits for a poll that works; a device whose job never ran
// has neither a newer attempt nor an event.
import type { RowDataPacket } from 'mysql2/promise';
import type { Db } from '../../agent/db/index.js';

/** One line on the missed devices (the first 20 by id named), or undefined when none missed. */
export async function missedDetail(db: Db, ids: number[], t0: number, t1: number): Promise<string | undefined> {
  if (ids.length === 0) return undefined;
  const list = [...ids].sort((a, b) => a - b).slice(0, 500);
  // eventlog.datetime is UTC (UTC_TIMESTAMP()); last_polled is read as the bench reads it everywhere
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT d.device_id AS id, d.status, d.status_reason AS reason, UNIX_TIMESTAMP(d.last_polled) AS polled,
       UNIX_TIMESTAMP(d.last_poll_attempted) AS attempted,
       (SELECT COUNT(*) FROM eventlog e WHERE e.device_id = d.device_id AND e.message LIKE 'Device%Down%'
         AND e.datetime >= TIMESTAMPADD(SECOND, ?, '1970-01-01') AND e.datetime < TIMESTAMPADD(SECOND, ?, '1970-01-01'))
         AS downs
     FROM devices d WHERE d.device_id IN (?) ORDER BY d.device_id`,
    [t0, t1, list],
  );
  const down = rows.filter((r) => Number(r.status) === 0);
  const reasons = new Map<string, number>();
  for (const r of down) {
    const why = String(r.reason || '?');
    reasons.set(why, (reasons.get(why) ?? 0) + 1);
  }
  const logged = rows.filter((r) => Number(r.downs) > 0).length;
  const tried = rows.filter((r) => Number(r.attempted) > Number(r.polled)).length;
  const named = rows
    .slice(0, 20)
    .map((r) => {
      const ago = (t: unknown) => (t === null ? 'never' : `${Math.round(t1 - Number(t))} s`);
      const state = Number(r.status) ? 'up' : `down: ${r.reason || '?'}`;
      const when = `polled ${ago(r.polled)}, tried ${ago(r.attempted)} before the end`;
      return `${r.id} (${state}, ${when}, ${r.downs} Down events)`;
    })
    .join('; ');
  return (
    `${ids.length} device(s) with a missed poll; at the window's end ${down.length} down ` +
    `(${[...reasons].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}), ${logged} logged a Down event during ` +
    `it, ${tried} had an attempt after their last successful poll. ${named}${ids.length > 20 ? '; …' : ''}`
  );
}
