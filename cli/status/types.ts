// The report of `nms status` (schema `nms-status/1`, docs/status.schema.json): each node's own
// view (nms-agent doctor), the cluster's view from the master (nms-agent cluster-status), the
// HTTPS API through nginx, and every problem found with the next step to take.
import type { DoctorCheck, DoctorReport } from '../../lib/contracts/doctor.js';
import type { ClusterView } from '../../lib/contracts/cluster-view.js';
import type { Problem } from '../../lib/contracts/problem.js';
import type { RedisTopology } from './redis-types.js';

export const STATUS_SCHEMA = 'nms-status/1';

export const STATUS_EXIT = { healthy: 0, unhealthy: 1, unreachable: 4 } as const;

export interface NodeStatus {
  name: string;
  address: string;
  roles: string[];
  /** The SSH connection worked. */
  reachable: boolean;
  /** Why not, or why doctor could not run. */
  error?: string;
  /** doctor's verdict (null when it did not run). */
  healthy: boolean | null;
  checks: DoctorCheck[];
  groups: number[];
  /** Registry state seen by the cluster view ('working', 'app_key_mismatch', ...), null when unknown. */
  state: string | null;
  jobs_ok: number | null;
  jobs_failed: number | null;
  dispatcher: boolean;
  app_key_fingerprint: string | null;
  /** Milliseconds from connecting to the last answer of this node. */
  ms: number;
}

export interface ApiStatus {
  ok: boolean;
  url: string;
  /** HTTP status code (null when curl got none). */
  http_status: number | null;
  error?: string;
  ms: number;
}

export interface StatusReport {
  schema: typeof STATUS_SCHEMA;
  inventory: string;
  healthy: boolean;
  exit_code: number;
  checked_at: string;
  duration_ms: number;
  /** The host the cluster view and the API were checked on. */
  master: string;
  nodes: NodeStatus[];
  api: ApiStatus | null;
  cluster: ClusterView | null;
  problems: Problem[];
  /** Redis Sentinel's view (cluster.redis.sentinel only): master, replicas with their lag, sentinels. */
  redis?: RedisTopology;
}

/** What one node answered: raw material for the analysis (collect.ts → analyse.ts). */
export interface NodeAnswers {
  name: string;
  reachable: boolean;
  sshError?: string;
  doctor?: DoctorReport;
  doctorError?: string;
  cluster?: ClusterView;
  clusterError?: string;
  api?: { httpStatus: number | null; body: string; error?: string; ms: number };
  ms: number;
}
