// Watching the cluster from the master while a poller joins or leaves: `nms-agent
// cluster-status --json` over one SSH connection, asked again until a condition holds.
import type { ClusterNode, ClusterView } from '../../lib/contracts/cluster-view.js';
import type { SshHost } from '../ssh/connection.js';
import { AGENT_CMD, parseAgentJson } from '../status/collect.js';

export async function clusterView(master: SshHost): Promise<ClusterView> {
  const r = await master.run(`${AGENT_CMD} cluster-status --json --timeout 2000 </dev/null`);
  return parseAgentJson<ClusterView>(r, 'nms-agent-cluster/1', 'nms-agent cluster-status');
}

export type JoinStage = 'waiting' | 'registered' | 'polling';

/** How far a node has got: registered and working, then at least one job done. */
export function joinStage(v: ClusterView, name: string): { stage: JoinStage; node?: ClusterNode; refusing?: string } {
  const n = v.nodes.find((x) => x.poller_name === name && x.registered && !x.stale);
  if (!n) return { stage: 'waiting' };
  if (n.state !== 'working')
    return { stage: 'waiting', node: n, ...(n.state && n.state !== 'starting' ? { refusing: n.state } : {}) };
  return { stage: (n.jobs_ok ?? 0) > 0 ? 'polling' : 'registered', node: n };
}

export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Pause between looks. Default 2000 ms. */
  intervalMs?: number;
  /** Stop at 'registered' (its groups have no devices to poll). */
  registeredIsEnough?: boolean;
  onStage?: (stage: JoinStage, afterMs: number) => void;
}

export interface WaitResult {
  stage: JoinStage;
  registeredAfterMs: number | null;
  pollingAfterMs: number | null;
  jobsOk: number | null;
  /** Why the node refuses work, when it does (e.g. app_key_mismatch). */
  refusing?: string;
  lastError?: string;
}

export async function waitForJoin(master: SshHost, name: string, o: WaitOptions): Promise<WaitResult> {
  const t0 = Date.now();
  const res: WaitResult = { stage: 'waiting', registeredAfterMs: null, pollingAfterMs: null, jobsOk: null };
  const interval = o.intervalMs ?? 2000;
  for (;;) {
    try {
      const s = joinStage(await clusterView(master), name);
      res.jobsOk = s.node?.jobs_ok ?? null;
      delete res.lastError;
      if (s.refusing) {
        res.refusing = s.refusing;
        return res;
      }
      if (s.stage !== 'waiting' && res.registeredAfterMs === null) {
        res.registeredAfterMs = Date.now() - t0;
        o.onStage?.('registered', res.registeredAfterMs);
      }
      if (s.stage === 'polling' && res.pollingAfterMs === null) {
        res.pollingAfterMs = Date.now() - t0;
        o.onStage?.('polling', res.pollingAfterMs);
      }
      res.stage = s.stage;
      if (s.stage === 'polling' || (s.stage === 'registered' && o.registeredIsEnough)) return res;
    } catch (err) {
      res.lastError = (err as Error).message;
    }
    if (Date.now() - t0 + interval > o.timeoutMs) return res;
    await new Promise((r) => setTimeout(r, interval));
  }
}
