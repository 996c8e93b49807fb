// The cluster as the master sees it (`nms-agent cluster-status --json`, read by `nms status`,
// `nms add-poller` and `nms status --probe`): the facts gathered from MariaDB, Redis and memcached,
// and the problems found in them, each with the next step to take. Schema `nms-agent-cluster/1`;
// documented in docs/status.md.
import type { Problem } from './problem.js';

export const CLUSTER_VIEW_SCHEMA = 'nms-agent-cluster/1';

export interface SourceState {
  ok: boolean;
  /** Why not, when `ok` is false. */
  error?: string;
  ms: number;
}

export interface ClusterNode {
  node_id: string;
  poller_name: string;
  groups: number[];
  roles: string[];
  /** A live registry entry in memcached. */
  registered: boolean;
  /** Registry state: 'working' or why it refuses work; null when not registered. */
  state: string | null;
  heartbeat_age_ms: number | null;
  /** Not registered, or its heartbeat is older than three intervals. */
  stale: boolean;
  dispatcher: boolean;
  /** Jobs done since the agent started (registry). */
  jobs_ok: number | null;
  jobs_failed: number | null;
  /** Seconds the agent has been running (registry). */
  uptime_s: number | null;
  /** Age of its poller_cluster row (null when it has none). */
  last_report_age_s: number | null;
  /** Devices it polled in its last reported period (poller_cluster_stats). */
  polled_last_period: number | null;
  version: string | null;
}

export interface QueueDepth {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface GroupView {
  group: number;
  devices: number;
  /** Names of live, working nodes with the poller role that serve this group. */
  pollers: string[];
  served: boolean;
  /** Depth of the group's poller queue (null when Redis was not readable). */
  queue: QueueDepth | null;
}

export interface OverdueDevice {
  device_id: number;
  hostname: string;
  port: number;
  poller_group: number;
  /** ISO time of the last successful poll start, or null. */
  last_polled: string | null;
  /** Seconds past the time it should have been polled by. */
  late_s: number;
}

export interface EventRow {
  datetime: string | null;
  device_id: number | null;
  hostname: string | null;
  type: string | null;
  message: string;
  severity: number;
}

export interface DispatcherView {
  /** Value of the dispatcher lock (null when nobody holds it or Redis is unreadable). */
  holder: string | null;
  poller_name: string | null;
  /** Age of the last dispatch tick; null when there is none. */
  last_tick_age_ms: number | null;
  due: number | null;
  queued: number | null;
}

export interface DeviceCounts {
  total: number;
  up: number;
  down: number;
  disabled: number;
  never_polled: number;
  overdue: number;
}

export interface ClusterView {
  schema: typeof CLUSTER_VIEW_SCHEMA;
  healthy: boolean;
  checked_at: string;
  /** The frequency and grace the overdue rule used, in seconds. */
  poller_frequency_s: number;
  overdue_grace_s: number;
  sources: { mariadb: SourceState; redis: SourceState; memcached: SourceState };
  dispatcher: DispatcherView;
  nodes: ClusterNode[];
  groups: GroupView[];
  devices: DeviceCounts;
  /** The most overdue devices (at most 20). */
  overdue: OverdueDevice[];
  /**
   * The last events of the eventlog: warnings and errors, and every availability, service,
   * interface, poller and reboot event (last hour, at most 10).
   */
  errors: EventRow[];
  problems: Problem[];
  /** The device asked for with `--device` (null when not found); absent when not asked. */
  device?: DeviceLookup | null;
  /** Active alerts (alerting or acknowledged, newest first, at most 20); absent without alert tables. */
  alerts?: AlertSummary[];
}

/** One active alert (agent/alerts; the API has the full rows). */
export interface AlertSummary {
  id: number;
  rule: string;
  severity: string;
  state: string;
  device_id: number;
  hostname: string;
  entity: string;
  message: string;
  since: string;
}

/** One device looked up by id, hostname or hostname:port (for `nms status --probe`). */
export interface DeviceLookup {
  device_id: number;
  hostname: string;
  port: number;
  poller_group: number;
  status: number;
  last_polled: string | null;
}
