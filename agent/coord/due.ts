// Which devices are due, with LibreNMS's rule adapted to how agent/db's recordPoll writes the row:
// `last_polled` / `last_discovered` hold when the last successful run *started* (a down device
// keeps them), `last_poll_attempted` when the last attempt started. A device is due
// `frequency - 1` s after its previous run started (the second of slack keeps a device from
// slipping a whole tick late every cycle). A down device (status 0) is retried
// `service_poller_down_retry` s after its last attempt instead. Never-discovered devices are
// discovered before their first poll; down devices are not rediscovered (LibreNMS); the slowest
// devices go first so a cycle's long tail starts early.
import type { Pool, RowDataPacket } from 'mysql2/promise';

export interface DueOptions {
  /** service_poller_frequency in seconds. */
  pollerFrequency: number;
  /** service_discovery_frequency in seconds. */
  discoveryFrequency: number;
  /** service_poller_down_retry in seconds. */
  downRetry: number;
  /** Poller groups to look at; undefined = all. */
  groups?: number[];
  /** Query timeout in ms (a hung database must not hold a tick for ever). Default 10000. */
  timeoutMs?: number;
}

export interface DueDevice {
  deviceId: number;
  group: number;
  /** Due for a poll (never true before the device's first discovery). */
  poll: boolean;
  /** Due for discovery, always true for a never-discovered device. */
  discover: boolean;
}

/** The SQL and its parameters; exported so a unit test can read it and `nms status` can reuse it. */
export function dueQuery(o: DueOptions): { sql: string; params: unknown[] } {
  // Epoch arithmetic: no DATETIME interval rounding, and the session time zone does not matter.
  const now = 'UNIX_TIMESTAMP()';
  const recentAttempt =
    '(`last_poll_attempted` IS NOT NULL AND ' + `UNIX_TIMESTAMP(\`last_poll_attempted\`) + ? > ${now})`;
  const never = '(`last_discovered` IS NULL)';
  const pollDue =
    `(NOT ${never} AND IF(\`status\` = 1, ` +
    `\`last_polled\` IS NULL OR UNIX_TIMESTAMP(\`last_polled\`) + ? <= ${now}, NOT ${recentAttempt}))`;
  const discDue =
    `IF(${never}, NOT (\`status\` = 0 AND ${recentAttempt}), ` +
    `\`status\` = 1 AND UNIX_TIMESTAMP(\`last_discovered\`) + ? <= ${now})`;
  const params: unknown[] = [o.pollerFrequency - 1, o.downRetry, o.downRetry, o.discoveryFrequency - 1];
  let where = '`disabled` = 0';
  if (o.groups) {
    if (o.groups.length === 0) where += ' AND FALSE';
    else {
      where += ` AND \`poller_group\` IN (${o.groups.map(() => '?').join(',')})`;
      params.push(...o.groups);
    }
  }
  const sql =
    'SELECT `device_id`, `poller_group`, ' +
    `${never} AS never_discovered, ${pollDue} AS poll_due, ${discDue} AS disc_due ` +
    `FROM \`devices\` WHERE ${where} HAVING poll_due OR disc_due ` +
    'ORDER BY never_discovered DESC, `last_polled_timetaken` DESC, `device_id`';
  return { sql, params };
}

export async function findDueDevices(db: Pool, o: DueOptions): Promise<DueDevice[]> {
  const { sql, params } = dueQuery(o);
  // Arrays, not one object a row: the dispatcher reads this list every second.
  const [rows] = await db.query<RowDataPacket[]>({ sql, timeout: o.timeoutMs ?? 10_000, rowsAsArray: true }, params);
  const out = new Array<DueDevice>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [id, group, never, poll, disc] = rows[i] as unknown as unknown[];
    const isNew = Number(never) === 1;
    out[i] = {
      deviceId: Number(id),
      group: Number(group ?? 0),
      poll: !isNew && Number(poll) === 1,
      discover: isNew || Number(disc) === 1,
    };
  }
  return out;
}
