// Builds what polling needs on a node from its configuration: the database pool, the
// rrdcached client, the disk spool, the RRD writer and the Poller. The one-shot commands use
// it, and the daemon may too; close() releases all of it, each step even when one fails.
import type { NodeConfig } from '../../lib/node-config.js';
import { createLogger } from '../../lib/log.js';
import { RrdcachedClient } from '../../lib/rrdcached.js';
import { openDb, type Db } from '../db/index.js';
import { RrdSpool } from '../rrd/spool.js';
import { RrdWriter } from '../rrd/writer.js';
import { Poller } from './poller.js';

export interface PollContext {
  db: Db;
  rrdClient: RrdcachedClient;
  writer: RrdWriter;
  poller: Poller;
  close(): Promise<void>;
}

/** The RRD step: `rrd_step` in config.yaml when set, else the poller frequency (LibreNMS keeps them equal). */
export function rrdStepOf(config: NodeConfig): number {
  const explicit = (config.settings as unknown as Record<string, unknown>).rrd_step;
  return typeof explicit === 'number' && explicit >= 1 ? explicit : config.settings.service_poller_frequency;
}

export async function openPollContext(
  config: NodeConfig,
  options: { maxConcurrent?: number } = {},
): Promise<PollContext> {
  const log = createLogger('poll');
  const s = config.settings;
  const db = await openDb(config.env);
  const rrdClient = new RrdcachedClient({ address: s.rrdcached });
  let spool: RrdSpool | undefined;
  try {
    spool = new RrdSpool({ dir: s.spool_dir, maxBytes: s.spool_max_bytes });
  } catch (err) {
    log.warn('spool_unavailable', {
      dir: s.spool_dir,
      error: (err as Error).message,
      hint: 'RRD updates are lost while rrdcached is unreachable',
    });
  }
  const writer = new RrdWriter({ client: rrdClient, spool, step: rrdStepOf(config) });
  const poller = new Poller({
    db,
    appKey: config.env.APP_KEY,
    rrd: writer,
    snmpTimeoutMs: s.snmp_timeout_ms,
    snmpRetries: s.snmp_retries,
    maxConcurrent: options.maxConcurrent ?? s.service_poller_workers,
    defaultDeadlineMs: Math.max(1000, s.service_poller_frequency * 800),
  });
  const close = async () => {
    for (const step of [() => poller.close(), () => rrdClient.close(), () => db.end()]) {
      try {
        await step();
      } catch (err) {
        log.warn('close_step_failed', { error: (err as Error).message });
      }
    }
  };
  return { db, rrdClient, writer, poller, close };
}
