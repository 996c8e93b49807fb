// The real job handler: agent/poll's Poller on the daemon's database pool, writing RRD through
// rrdcached with the disk spool behind it. A device that does not answer is not an error here
// (the Poller marks it down and the due rule retries it); a poll cut short by our signal is.
import { PollError } from '../../lib/errors.js';
import { RrdcachedClient } from '../../lib/rrdcached.js';
import { Poller } from '../poll/poller.js';
import { rrdStepOf } from '../poll/context.js';
import { RrdSpool } from '../rrd/spool.js';
import { RrdWriter } from '../rrd/writer.js';
import { RedisSpoolOrder } from '../rrd/order.js';
import { CoordKeys } from '../coord/keys.js';
import type { HandlerFactory } from './agent.js';
import { fping } from '../availability/fping.js';
import { pingGroup } from '../availability/ping.js';
import { checkGroupServices } from '../availability/services.js';

/** The Poller's own deadline, as a fraction of the frequency: under the worker's 0.75 so it ends cleanly first. */
const POLLER_DEADLINE_FRACTION = 0.7;

export function pollerHandler(): HandlerFactory {
  return async ({ db, config, log, redis, keyPrefix }) => {
    const s = config.settings;
    const rrdClient = new RrdcachedClient({ address: s.rrdcached });
    let spool: RrdSpool | undefined;
    try {
      spool = new RrdSpool({ dir: s.spool_dir, maxBytes: s.spool_max_bytes });
    } catch (err) {
      log.warn('spool_unavailable', {
        dir: s.spool_dir,
        err: (err as Error).message,
        hint: 'RRD updates are lost while rrdcached is unreachable',
      });
    }
    const groups = Math.max(1, s.distributed_poller_group.length);
    // a device's spooled updates may sit on several pollers: Redis keeps their order cluster-wide
    const order =
      redis && spool
        ? new RedisSpoolOrder({
            redis,
            keys: new CoordKeys(keyPrefix),
            nodeId: config.env.NODE_ID,
            logger: log.child('rrd'),
          })
        : undefined;
    const writer = new RrdWriter({
      client: rrdClient,
      spool,
      order,
      step: rrdStepOf(config),
      logger: log.child('rrd'),
    });
    writer.start();
    const poller = new Poller({
      db,
      appKey: config.env.APP_KEY,
      rrd: writer,
      snmpTimeoutMs: s.snmp_timeout_ms,
      snmpRetries: s.snmp_retries,
      // BullMQ's concurrency already bounds the work; the Poller's own limit must not be tighter.
      maxConcurrent: Math.max(1, (s.service_poller_workers + s.service_discovery_workers) * groups),
      icmpCheck: async (host, signal) => ((await fping([host], { signal })).get(host)?.rcv ?? 0) > 0,
      logger: log,
    });
    const rounds = { db, rrd: new RrdWriter({ client: rrdClient, spool, step: rrdStepOf(config) }), log };
    return {
      handle: async (type, deviceId, signal) => {
        // for ping and services the id is a poller group: its round
        if (type === 'ping') return void (await pingGroup(rounds, deviceId, signal));
        const services = { ...rounds, workers: s.service_services_workers };
        if (type === 'services') return void (await checkGroupServices(services, deviceId, signal));
        const freq = type === 'poller' ? s.service_poller_frequency : s.service_discovery_frequency;
        const opts = { signal, deadlineMs: Math.max(1000, freq * 1000 * POLLER_DEADLINE_FRACTION) };
        const r =
          type === 'poller' ? await poller.pollDevice(deviceId, opts) : await poller.discoverDevice(deviceId, opts);
        if (r.status === 'aborted')
          throw new PollError(`${type} of device ${deviceId} aborted: ${r.error ?? 'cancelled'}`);
      },
      spoolBytes: () => spool?.size ?? 0,
      close: async () => {
        writer.close();
        await poller.close().catch(() => {});
        await rrdClient.close().catch(() => {});
      },
    };
  };
}
