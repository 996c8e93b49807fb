// Builds what polling needs on a node from its configuration: the rrdcached client, the disk
// spool, the RRD writer and the Poller, on a database pool. The daemon's handler builds it on
// its own pool; the one-shot commands open one with a pool of their own. close() releases all
// of it, each step even when one fails.
import type { Redis } from 'ioredis';
import { serviceOf, rrdStepOf, type NodeConfig } from '../../lib/node-config.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { RrdcachedClient } from '../../lib/rrdcached.js';
import { openDb, type Db } from '../db/index.js';
import { CoordKeys } from '../coord/keys.js';
import { RedisSpoolOrder } from '../rrd/order.js';
import { RrdSpool } from '../rrd/spool.js';
import { RrdWriter } from '../rrd/writer.js';
import { Poller, type PollerOptions } from './poller.js';

export interface PollContextOptions {
  /** The pool the Poller works on; closed by close() only when `ownsDb`. */
  db: Db;
  config: NodeConfig;
  log: Logger;
  /** Devices worked on at once (the Poller's own bound). */
  maxConcurrent: number;
  /** Redis command connection and key prefix: spooled RRD updates keep one order across pollers. */
  redis?: Redis;
  keyPrefix?: string;
  icmpCheck?: PollerOptions['icmpCheck'];
  /** close() also ends the pool. Default false. */
  ownsDb?: boolean;
}

export interface PollContext {
  db: Db;
  rrdClient: RrdcachedClient;
  /** Where RRD updates wait while rrdcached is unreachable; none when its directory is unusable. */
  spool?: RrdSpool;
  writer: RrdWriter;
  poller: Poller;
  close(): Promise<void>;
}

/** The one place a node's settings become a Poller and its RRD path. */
export function buildPollContext(o: PollContextOptions): PollContext {
  const s = o.config.settings;
  const rrdClient = new RrdcachedClient({ address: s.rrdcached });
  let spool: RrdSpool | undefined;
  try {
    spool = new RrdSpool({ dir: s.spool_dir, maxBytes: s.spool_max_bytes });
  } catch (err) {
    o.log.warn('spool_unavailable', {
      dir: s.spool_dir,
      err: (err as Error).message,
      hint: 'RRD updates are lost while rrdcached is unreachable',
    });
  }
  // a device's spooled updates may sit on several pollers: Redis keeps their order cluster-wide
  const order =
    o.redis && spool
      ? new RedisSpoolOrder({
          redis: o.redis,
          keys: new CoordKeys(o.keyPrefix),
          nodeId: o.config.env.NODE_ID,
          logger: o.log.child('rrd'),
        })
      : undefined;
  const step = rrdStepOf(s);
  const writer = new RrdWriter({ client: rrdClient, spool, order, step, logger: o.log.child('rrd') });
  const poller = new Poller({
    db: o.db,
    appKey: o.config.env.APP_KEY,
    rrd: writer,
    snmpTimeoutMs: s.snmp_timeout_ms,
    snmpRetries: s.snmp_retries,
    maxConcurrent: o.maxConcurrent,
    defaultDeadlineMs: serviceOf(s, 'poller').deviceDeadlineMs,
    icmpCheck: o.icmpCheck,
    logger: o.log,
  });
  const close = async () => {
    const steps = [() => writer.close(), () => poller.close(), () => rrdClient.close()];
    if (o.ownsDb) steps.push(() => o.db.end());
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        o.log.warn('close_step_failed', { err: (err as Error).message });
      }
    }
  };
  return { db: o.db, rrdClient, spool, writer, poller, close };
}

/** Opens a database pool of its own and builds the context on it (the one-shot commands). */
export async function openPollContext(
  config: NodeConfig,
  options: { maxConcurrent?: number } = {},
): Promise<PollContext> {
  const db = await openDb(config.env);
  return buildPollContext({
    db,
    config,
    log: createLogger('poll'),
    maxConcurrent: options.maxConcurrent ?? config.settings.service_poller_workers,
    ownsDb: true,
  });
}
