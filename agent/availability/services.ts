// A poller group's round of service checks (LibreNMS's `services` table): each enabled check of
// the group's enabled devices runs its plugin (plugin.ts) against the check's address or the
// device's hostname, service_services_workers at a time. The result goes to the row
// (service_status, service_message, service_ds, service_changed when the state changed), the
// performance data to `<host>/services-<service_id>.rrd`, and a state change to the eventlog.
import type mysql from 'mysql2/promise';
import type { Logger } from '../../lib/log.js';
import { logEvent, Severity, withRetry, type Db } from '../db/index.js';
import { rrdHost } from '../poll/result.js';
import { safeName, type RrdDs } from '../rrd/layout.js';
import type { RrdWriter } from '../rrd/writer.js';
import { runPlugin, STATE_NAMES, type PluginResult } from './plugin.js';

export interface ServiceRoundOptions {
  db: Db;
  rrd?: RrdWriter;
  log?: Logger;
  /** Checks running at once (service_services_workers). Default 8. */
  workers?: number;
  /** Time one plugin may run, in ms. Default 30000. */
  timeoutMs?: number;
}

export interface ServiceRow {
  service_id: number;
  device_id: number;
  hostname: string;
  port: number;
  service_ip: string | null;
  service_type: string;
  service_param: string | null;
  service_status: number;
  service_name: string | null;
}

/** The argv of a check: its stored arguments (a JSON array), with `-H <address>` first unless given. */
export function serviceArgv(s: Pick<ServiceRow, 'service_param' | 'service_ip' | 'hostname'>): string[] {
  let args: unknown = [];
  try {
    args = s.service_param ? JSON.parse(s.service_param) : [];
  } catch {
    args = s.service_param; // runPlugin reports it as not a list
  }
  const list = Array.isArray(args) ? (args as string[]) : ([args] as unknown as string[]);
  return list.includes('-H') ? list : ['-H', s.service_ip || s.hostname, ...list];
}

export async function checkGroupServices(
  o: ServiceRoundOptions,
  group: number,
  signal?: AbortSignal,
): Promise<{ checks: number; changed: number }> {
  const [rows] = await o.db.query<mysql.RowDataPacket[]>(
    `SELECT s.service_id, s.device_id, d.hostname, d.port, s.service_ip, s.service_type, s.service_param,
            s.service_status, s.service_name
     FROM services s JOIN devices d ON d.device_id = s.device_id
     WHERE d.poller_group = ? AND d.disabled = 0 AND s.service_disabled = 0 ORDER BY s.service_id`,
    [group],
  );
  const checks = rows as unknown as ServiceRow[];
  let next = 0;
  let changed = 0;
  const worker = async () => {
    while (next < checks.length && !signal?.aborted) {
      const s = checks[next++];
      const r = await runPlugin(s.service_type, serviceArgv(s), o.timeoutMs ?? 30_000, signal);
      if (signal?.aborted) return;
      if (await recordService(o, s, r)) changed++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.workers ?? 8, checks.length)) }, worker));
  o.log?.debug('services_round', { group, checks: checks.length, changed });
  return { checks: checks.length, changed };
}

/** Writes one result; true when the state changed (then one eventlog row). */
export async function recordService(
  o: Pick<ServiceRoundOptions, 'db' | 'rrd'>,
  s: ServiceRow,
  r: PluginResult,
): Promise<boolean> {
  const ds = JSON.stringify(Object.fromEntries(r.perf.map((p) => [p.ds, p.uom])));
  const message = r.message.slice(0, 65535);
  // the change is decided by the UPDATE itself, so two runs of one check log it once
  const [res] = await withRetry(() =>
    o.db.query<mysql.ResultSetHeader>(
      'UPDATE services SET service_status = ?, service_message = ?, service_ds = ?, ' +
        'service_changed = UNIX_TIMESTAMP() ' +
        'WHERE service_id = ? AND service_status <> ?',
      [r.state, message, ds, s.service_id, r.state],
    ),
  );
  const changed = res.affectedRows === 1;
  if (!changed) {
    const sql = 'UPDATE services SET service_message = ?, service_ds = ? WHERE service_id = ?';
    await withRetry(() => o.db.query(sql, [message, ds, s.service_id]));
  } else {
    const name = s.service_name || s.service_type;
    const sev = r.state === 0 ? Severity.ok : r.state === 1 ? Severity.warning : Severity.error;
    const from = STATE_NAMES[s.service_status] ?? s.service_status;
    const text = `Service '${name}' changed status from ${from} to ${STATE_NAMES[r.state]}: ${message}`;
    await logEvent(o.db, s.device_id, 'service', text, sev, String(s.service_id));
  }
  if (o.rrd && r.perf.length > 0) {
    const defDs: RrdDs[] = r.perf.map((p) => ({ name: p.ds, type: 'GAUGE', min: 'U', max: 'U' }));
    const def = { path: `${safeName(rrdHost(s))}/services-${s.service_id}.rrd`, ds: defDs };
    await o.rrd.write([{ def, time: Date.now() / 1000, values: r.perf.map((p) => p.value) }]);
  }
  return changed;
}
