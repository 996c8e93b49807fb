// Why devices missed a poll in an agent bench window: each one's row at the window's end (up or
// down and why, its last poll and last attempt) and the Down events it logged during the window.
// A device SNMP stopped answering is down, retried every service_poller_down_retry, and its
// `last_polled` (what the bench counts) waits for a poll that works; a device whose job never ran
// has neither a newer attempt nor an event. With the watch's poll times and the agents' log
// records it also says where in the window each device's gap was and what the agents warned about.
import type { RowDataPacket } from 'mysql2/promise';
import type { Db } from '../../agent/db/index.js';

/** A log record of an agent, as the bench keeps them (agent-fleet.ts). */
export type AgentRecord = { event: string; t?: string; level?: string; device_id?: unknown; [k: string]: unknown };

/** What the missed-device line can add: the polls seen and the agents' records. */
export interface MissedContext {
  /** The bench's PollWatch: device_id → poll start times (unix s). */
  watch?: { polls: Map<number, number[]> };
  /** The agents, with their log records. */
  agents?: { events: AgentRecord[] }[];
}

/**
 * The agents' warnings and errors logged in [t0, t1], and the jobs their device guard skipped
 * (job_skipped, busy or stale), counted by event, and those naming one of the devices.
 */
export function windowWarnings(records: AgentRecord[][], ids: number[], t0: number, t1: number): string {
  const want = new Set(ids);
  const byEvent = new Map<string, number>();
  const naming: string[] = [];
  records.forEach((recs, agent) => {
    for (const r of recs) {
      const at = Date.parse(String(r.t ?? '')) / 1000;
      const warned = /^(WARNING|ERROR|CRITICAL)$/.test(String(r.level ?? '')) || r.event === 'job_skipped';
      if (!(at >= t0 && at < t1) || !warned) continue;
      byEvent.set(r.event, (byEvent.get(r.event) ?? 0) + 1);
      if (want.has(Number(r.device_id)))
        naming.push(`agent ${agent + 1} ${r.event} ${r.device_id} at +${Math.round(at - t0)} s`);
    }
  });
  const counts = [...byEvent].map(([e, n]) => `${e} ${n}`).join(', ') || 'none';
  const named = naming.slice(0, 10).join(', ') || 'none';
  return `agents' warnings and skipped jobs in the window: ${counts}; naming these devices: ${named}`;
}

/** One line on the missed devices (the first 20 by id named), or undefined when none missed. */
export async function missedDetail(
  db: Db,
  ids: number[],
  t0: number,
  t1: number,
  ctx: MissedContext = {},
): Promise<string | undefined> {
  if (ids.length === 0) return undefined;
  const list = [...ids].sort((a, b) => a - b).slice(0, 500);
  // eventlog.datetime is UTC (UTC_TIMESTAMP()); last_polled is read as the bench reads it everywhere
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT d.device_id AS id, d.status, d.status_reason AS reason, UNIX_TIMESTAMP(d.last_polled) AS polled,
       UNIX_TIMESTAMP(d.last_poll_attempted) AS attempted, d.last_polled_timetaken AS took,
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
      // the row is read after the window (rrdcached's flush comes first): a poll may be after its end
      const ago = (t: unknown) => {
        if (t === null) return 'never';
        const d = Math.round(t1 - Number(t));
        return d >= 0 ? `${d} s before the end` : `${-d} s after the end`;
      };
      const state = Number(r.status) ? 'up' : `down: ${r.reason || '?'}`;
      const took = r.took === null ? '' : ` (took ${Number(r.took).toFixed(1)} s)`;
      const when = `last polled ${ago(r.polled)}${took}, tried ${ago(r.attempted)}`;
      const seen = ctx.watch?.polls.get(Number(r.id))?.filter((t) => t >= t0 && t <= t1);
      const polls = seen ? `; polls in the window at +${seen.map((t) => t - t0).join(', +') || ' none'} s` : '';
      return `${r.id} (${state}, ${when}, ${r.downs} Down events${polls})`;
    })
    .join('; ');
  return (
    `${ids.length} device(s) with a missed poll; at the window's end ${down.length} down ` +
    `(${[...reasons].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}), ${logged} logged a Down event during ` +
    `it, ${tried} had an attempt after their last successful poll. ${named}${ids.length > 20 ? '; …' : ''}` +
    (ctx.agents
      ? `. ${windowWarnings(
          ctx.agents.map((a) => a.events),
          ids,
          t0,
          t1,
        )}`
      : '')
  );
}
