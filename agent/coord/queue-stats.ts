// Read-only view of queue depths (for poller_cluster_stats, /metrics and doctor). Opens one
// BullMQ Queue per name lazily and never adds jobs.
import { Queue, type ConnectionOptions } from 'bullmq';
import type { CoordKeys } from './keys.js';

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

  async counts(names: string[]): Promise<Record<string, QueueCounts>> {
    const out: Record<string, QueueCounts> = {};
    await Promise.all(
      names.map(async (name) => {
        const c = await this.queue(name).getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
        out[name] = { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
      }),
    );
    return out;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
