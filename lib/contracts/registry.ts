// A node's entry in the registry (memcached), as every agent writes it on each heartbeat and as
// `nms-agent doctor` and the cluster view pass it on to `nms status`.

export interface NodeEntry {
  node_id: string;
  poller_name: string;
  version: string;
  pid: number;
  groups: number[];
  roles: string[];
  /** Queues this node's workers take jobs from. */
  queues: string[];
  /** This node holds the dispatcher lock. */
  dispatcher: boolean;
  /** 'working', or why the node refuses work (e.g. 'app_key_mismatch'). */
  state: string;
  started_at: number;
  /** Epoch ms of this heartbeat. */
  heartbeat_at: number;
  heartbeat_interval_ms: number;
  jobs_ok: number;
  jobs_failed: number;
}
