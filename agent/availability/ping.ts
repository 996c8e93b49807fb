// One ping round of a poller group: every enabled device of the group in one fping call, then
// LibreNMS's records of it: a device_perf row per device, devices.last_ping and
// last_ping_timetaken (the average latency, kept when nothing answered), icmp-perf.rrd, and the
// status when ICMP decides it: a device that does not answer is down with reason 'icmp'; one
// that was down for 'icmp' and answers again is up (its next poll says whether SNMP is too). A
// device down for 'snmp' that still answers ping stays down: only a poll brings it back.
import type mysql from 'mysql2/promise';
import type { Logger } from '../../lib/log.js';
import { withRetry, type Db } from '../db/index.js';
import { applyStatus } from '../db/status.js';
import { rrdHost } from '../poll/result.js';
import { rrdFiles } from '../rrd/layout.js';
import type { RrdPoint, RrdWriter } from '../rrd/writer.js';
import { fping, type FpingOptions, type PingResult } from './fping.js';

export interface PingRoundOptions {
  db: Db;
  rrd?: RrdWriter;
  fping?: FpingOptions;
  log?: Logger;
}

export interface PingRoundResult {
  group: number;
  devices: number;
  answered: number;
  /** Devices whose status this round changed (each with its eventlog row). */
  changed: number;
  seconds: number;
}

interface Row {
  device_id: number;
  hostname: string;
  port: number;
  status: number;
  status_reason: string;
}

const BATCH = 1000;

export async function pingGroup(o: PingRoundOptions, group: number, signal?: AbortSignal): Promise<PingRoundResult> {
  const t0 = performance.now();
  const [rows] = await o.db.query<mysql.RowDataPacket[]>(
    'SELECT device_id, hostname, port, status, status_reason FROM devices\n' +
      'WHERE poller_group = ? AND disabled = 0 ORDER BY device_id',
    [group],
  );
  const devices = rows as unknown as Row[];
  const startedAt = new Date();
  const results = await fping(
    devices.map((d) => d.hostname),
    { ...o.fping, signal },
  );
  const got = (d: Pick<Row, 'hostname'>): PingResult => results.get(d.hostname)!;
  await writePerf(o.db, devices, got, startedAt);
  if (o.rrd) await o.rrd.write(icmpPoints(devices, got, startedAt.getTime() / 1000));
  let changed = 0;
  for (const d of devices) {
    const alive = got(d).rcv > 0;
    const down = !alive && (Number(d.status) === 1 || d.status_reason !== 'icmp');
    const back = alive && Number(d.status) === 0 && d.status_reason === 'icmp';
    if (!down && !back) continue;
    const detail = down ? `no reply to ${got(d).xmt} pings` : undefined;
    const reason = back ? '' : 'icmp';
    const change = { deviceId: d.device_id, observedAt: startedAt, up: back, reason, before: d, detail } as const;
    const r = await applyStatus(o.db, change);
    if (r === 'changed') changed++;
  }
  const answered = devices.filter((d) => got(d).rcv > 0).length;
  const seconds = (performance.now() - t0) / 1000;
  o.log?.debug('ping_round', { group, devices: devices.length, answered, changed, seconds });
  return { group, devices: devices.length, answered, changed, seconds };
}

type Target = Pick<Row, 'hostname' | 'port'>;

export function icmpPoints(devices: Target[], got: (d: Target) => PingResult, time: number): RrdPoint[] {
  return devices.map((d) => {
    const r = got(d);
    const lat = (v: number) => (r.rcv > 0 ? v : null);
    return { def: rrdFiles.icmpPerf(rrdHost(d)), time, values: [lat(r.avg), r.xmt, r.rcv, lat(r.min), lat(r.max)] };
  });
}

async function writePerf(db: Db, devices: Row[], got: (d: Row) => PingResult, at: Date): Promise<void> {
  for (let i = 0; i < devices.length; i += BATCH) {
    const part = devices.slice(i, i + BATCH);
    const values = part.flatMap((d) => {
      const r = got(d);
      return [d.device_id, at, r.xmt, r.rcv, r.loss, r.min, r.max, r.avg];
    });
    const rowsSql = part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
    const insert = `INSERT INTO device_perf (device_id, timestamp, xmt, rcv, loss, min, max, avg) VALUES ${rowsSql}`;
    await withRetry(() => db.query(insert, values));
    const answered = part.filter((d) => got(d).rcv > 0);
    const ids = part.map((d) => d.device_id);
    const cases = answered.map(() => 'WHEN ? THEN ?').join(' ');
    const caseArgs = answered.flatMap((d) => [d.device_id, got(d).avg]);
    const timetaken = answered.length
      ? `last_ping_timetaken = CASE device_id ${cases} ELSE last_ping_timetaken END, `
      : '';
    const update = `UPDATE devices SET ${timetaken}last_ping = ? WHERE device_id IN (${ids.map(() => '?').join(', ')})`;
    await withRetry(() => db.query(update, [...caseArgs, at, ...ids]));
  }
}
