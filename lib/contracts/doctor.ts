// The report of `nms-agent doctor --json` (schema `nms-agent-doctor/1`): one node's view of its own
// health, read by `nms status` and `nms add-poller` over SSH. Documented in
// docs/agent-coordination.md.
import type { NodeEntry } from './registry.js';

export const DOCTOR_SCHEMA = 'nms-agent-doctor/1';

/** Every check the doctor knows, in the order a report lists them. */
export const DOCTOR_CHECK_NAMES = [
  'config',
  'app_key',
  'mariadb',
  'redis',
  'memcached',
  'rrdcached',
  'clock',
  'supervisor',
  'registered',
  'working',
  'syslog',
] as const;
export type DoctorCheckName = (typeof DOCTOR_CHECK_NAMES)[number];

export interface DoctorCheck {
  name: DoctorCheckName;
  ok: boolean;
  /** What was found (always present). "not checked: ..." when a check it needs failed. */
  detail: string;
  /** The next step when `ok` is false. */
  fix?: string;
  ms: number;
}

export interface DoctorReport {
  schema: typeof DOCTOR_SCHEMA;
  healthy: boolean;
  checked_at: string;
  version: string;
  node_id: string | null;
  poller_name: string | null;
  groups: number[];
  app_key_fingerprint: string | null;
  /** Database clock minus this node's clock, in ms (null when not measured). */
  clock_skew_ms: number | null;
  /** This node's registry entry as read from memcached (null when absent). */
  registry: NodeEntry | null;
  /** Who holds the dispatcher lock, as seen from here (null when none or Redis unreachable). */
  dispatcher: string | null;
  checks: DoctorCheck[];
}
