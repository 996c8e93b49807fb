// What one device's run reports (the Poller's result, printed by `nms-agent poll` and read by
// `nms status --probe`), and the RRD directory name of a device.
import type { DeviceRow } from '../db/index.js';
import type { RrdWriteResult } from '../rrd/writer.js';

export interface RunOptions {
  signal?: AbortSignal;
  /** Time allowed for the whole device, in ms. */
  deadlineMs?: number;
}

export interface ModuleResult {
  module: string;
  status: 'ok' | 'error' | 'skipped';
  /** Entities found (ports, processors...). */
  items: number;
  snmpMs: number;
  dbMs: number;
  rrdMs: number;
  error?: string;
}

export interface RunResult {
  kind: 'poll' | 'discovery';
  deviceId: number;
  hostname: string;
  /**
   * 'up' when the device answered; 'down' (reason 'snmp', or 'icmp' when ping fails too) when it
   * did not; 'aborted' when cancelled.
   */
  status: 'up' | 'down' | 'aborted';
  reason: '' | 'snmp' | 'icmp';
  /** The device's failure in one line, when down or aborted. */
  error?: string;
  startedAt: string;
  seconds: number;
  snmpRequests: number;
  rebooted: boolean;
  modules: ModuleResult[];
  rrd?: Omit<RrdWriteResult, 'errors'> & { errors: number };
}
export type PollResult = RunResult;
export type DiscoveryResult = RunResult;

/** The RRD directory of a device: its hostname, plus the port when not 161 (simulated devices share one address). */
export function rrdHost(d: Pick<DeviceRow, 'hostname' | 'port'>): string {
  return d.port === 161 ? d.hostname : `${d.hostname}_${d.port}`;
}

/** Milliseconds to one decimal. */
export const round1 = (x: number): number => Math.round(x * 10) / 10;
