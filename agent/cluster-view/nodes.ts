// The nodes of the cluster view: registry entries (memcached) and poller_cluster rows (MariaDB)
// merged by node id. Pure, like the analysis that uses it.
import type { ClusterNode } from '../../lib/contracts/cluster-view.js';
import type { ClusterFacts } from './types.js';

/** A poller_cluster row older than this is a node that was retired, not one that is down. */
export const FORGOTTEN_AFTER_S = 86_400;

/** Registry entries and poller_cluster rows merged by node id; retired rows are dropped. */
export function buildNodes(f: ClusterFacts): ClusterNode[] {
  const byId = new Map<string, ClusterNode>();
  for (const r of f.reports ?? []) {
    if (r.age_s > FORGOTTEN_AFTER_S) continue;
    byId.set(r.node_id, {
      node_id: r.node_id,
      poller_name: r.poller_name,
      groups: r.groups,
      roles: [],
      registered: false,
      state: null,
      heartbeat_age_ms: null,
      stale: true,
      dispatcher: false,
      jobs_ok: null,
      jobs_failed: null,
      uptime_s: null,
      last_report_age_s: r.age_s,
      polled_last_period: r.polled,
      version: r.version,
    });
  }
  for (const e of f.registry ?? []) {
    const age = Math.max(0, f.now - e.heartbeat_at);
    const prev = byId.get(e.node_id);
    byId.set(e.node_id, {
      node_id: e.node_id,
      poller_name: e.poller_name,
      groups: e.groups,
      roles: e.roles,
      registered: true,
      state: e.state,
      heartbeat_age_ms: age,
      stale: age > 3 * e.heartbeat_interval_ms,
      dispatcher: e.dispatcher,
      jobs_ok: e.jobs_ok,
      jobs_failed: e.jobs_failed,
      uptime_s: Math.max(0, Math.round((f.now - e.started_at) / 1000)),
      last_report_age_s: prev?.last_report_age_s ?? null,
      polled_last_period: prev?.polled_last_period ?? null,
      version: e.version,
    });
  }
  return [...byId.values()].sort((a, b) => a.poller_name.localeCompare(b.poller_name));
}
