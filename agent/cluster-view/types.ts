// What the cluster view is made of before analysis (agent-internal; the view itself, the wire
// type, is in lib/contracts/cluster-view.ts).
import type { NodeEntry } from '../../lib/contracts/registry.js';
import type {
  AlertSummary,
  ClusterView,
  DeviceCounts,
  DeviceLookup,
  EventRow,
  OverdueDevice,
  QueueDepth,
} from '../../lib/contracts/cluster-view.js';

/** What gather() collected before analysis; the pure analysis turns it into a ClusterView. */
export interface ClusterFacts {
  now: number;
  pollerFrequency: number;
  downRetry: number;
  graceSeconds: number;
  masterName: string;
  sources: ClusterView['sources'];
  /** Registry entries (null when memcached was unreadable). */
  registry: NodeEntry[] | null;
  /** poller_cluster rows with their age and last poller-period device count. */
  reports: Array<{
    node_id: string;
    poller_name: string;
    groups: number[];
    age_s: number;
    polled: number | null;
    version: string;
  }> | null;
  dispatcherHolder: string | null;
  dispatcherTick: { poller_name?: string; at?: number; due?: number; queued?: number } | null;
  /** Devices per group (enabled ones). */
  groupDevices: Array<{ group: number; devices: number }> | null;
  queues: Record<number, QueueDepth> | null;
  devices: DeviceCounts | null;
  overdue: OverdueDevice[];
  errors: EventRow[];
  device?: DeviceLookup | null;
  alerts?: AlertSummary[];
}
