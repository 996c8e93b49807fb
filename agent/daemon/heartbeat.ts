// The heartbeat: this node's registry entry in memcached, rewritten every interval with a ttl
// of three intervals, so a dead agent disappears by itself (docs/agent-coordination.md). A
// failed write is logged (throttled) and never stops the agent.
import type { Logger } from '../../lib/log.js';
import { throttled } from '../../lib/throttle.js';
import type { NodeEntry, Registry } from '../registry/registry.js';

/** Longest interval between two heartbeats; a node is stale after three (docs/agent-coordination.md). */
export const HEARTBEAT_MAX_MS = 2000;

/** 2 s (1 s with a poller frequency under 10 s): a dead agent is stale within 3 of them (≤ 10 s). */
export function heartbeatMs(pollerFrequencySeconds: number): number {
  return Math.min(HEARTBEAT_MAX_MS, Math.max(1000, (pollerFrequencySeconds * 1000) / 5));
}

export interface HeartbeatOptions {
  registry: Registry;
  log: Logger;
  /** Interval between two writes in ms (see heartbeatMs). */
  intervalMs: number;
  /** The entry as it is now, read at every beat. */
  entry: () => Omit<NodeEntry, 'heartbeat_at' | 'heartbeat_interval_ms'>;
}

export class Heartbeat {
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly warn: (err: Error) => void;

  constructor(private readonly o: HeartbeatOptions) {
    this.warn = throttled((err, n) => o.log.warn('heartbeat_failed', { err, repeats: n }));
  }

  start(): void {
    if (this.timer || this.closed) return;
    this.beat();
    this.timer = setInterval(() => this.beat(), this.o.intervalMs);
  }

  /** Writes the entry now (after a state change, so the registry never lags behind the log). */
  beat(): void {
    if (this.closed) return;
    this.o.registry
      .heartbeat({ ...this.o.entry(), heartbeat_at: Date.now(), heartbeat_interval_ms: this.o.intervalMs })
      .catch(this.warn);
  }

  /** Stops writing; the entry expires on its own (or the owner deregisters it). Safe twice. */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
