// Read-only view of queue depths (for poller_cluster_stats, /metrics and doctor). Opens one
// BullMQ Queue per name lazily and never adds jobs.
import { Queue, type ConnectionOptions } from 'bullmq';
import type { CoordKeys } from './keys.js';
import { closeOrDisconnect, within } from './bounded.js';

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export class QueueStats {
  private readonly queues = new Map<string, Queue>();
  constructor(
    private readonly connection: ConnectionOptions,
    private readonly keys: CoordKeys,
    private readonly onError: (err: Error) => void,
  ) {}

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.keys.bullPrefix, skipMetasUpdate: true });
      q.on('error', this.onError);
      this.queues.set(name, q);
    }
    return q;
  }

  /** Counts per queue; rejects after `timeoutMs` (Redis down) instead of waiting for it. */
  async counts(names: string[], timeoutMs = 3000): Promise<Record<string, QueueCounts>> {
    const out: Record<string, QueueCounts> = {};
    const all = Promise.all(
      names.map(async (name) => {
        const c = await this.queue(name).getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
        out[name] = {
          waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
          active: c.active ?? 0,
          delayed: c.delayed ?? 0,
          failed: c.failed ?? 0,
        };
      }),
    );
    if ((await within(all, timeoutMs)) === 'timeout')
      throw new Error(`queue counts: no answer from Redis within ${timeoutMs} ms`);
    return out;
  }

  async close(): Promise<void> {
    await closeOrDisconnect([...this.queues.values()]);
    this.queues.clear();
  }
}
