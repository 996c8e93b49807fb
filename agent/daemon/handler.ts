// What the daemon runs for each job: a handler made by a factory once per start (the real
// poller in poller-handler.ts, the rehearsal in dry-run.ts), which owns what it opens.
import type { Redis } from 'ioredis';
import type { NodeConfig } from '../../lib/node-config.js';
import type { Logger } from '../../lib/log.js';
import type { Db } from '../db/index.js';
import type { JobHandler } from '../coord/worker-pool.js';

/** What a handler factory returns: the job handler and what it owns. */
export interface HandlerHandle {
  handle: JobHandler;
  close(): Promise<void>;
  /** Bytes of RRD updates spooled on local disk (for /metrics), when the handler spools. */
  spoolBytes?(): number;
}

/**
 * What a handler gets: `redis` and `keyPrefix` (the command connection and CoordKeys.prefix) for
 * cluster-wide order.
 */
export type HandlerFactory = (ctx: {
  db: Db;
  config: NodeConfig;
  log: Logger;
  redis?: Redis;
  keyPrefix?: string;
}) => Promise<HandlerHandle>;
