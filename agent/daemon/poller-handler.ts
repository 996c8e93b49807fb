// The real job handler: agent/poll's Poller on the daemon's database pool, writing RRD through
// rrdcached with the disk spool behind it. A device that does not answer is not an error here
// (the Poller marks it down and the due rule retries it); a poll cut short by our signal is.
import { PollError } from '../../lib/errors.js';
import { serviceOf } from '../../lib/node-config.js';
import { buildPollContext } from '../poll/context.js';
import { RrdWriter } from '../rrd/writer.js';
import type { HandlerFactory } from './handler.js';
import { fping } from '../availability/fping.js';
import { pingGroup } from '../availability/ping.js';
import { checkGroupServices } from '../availability/services.js';

export function pollerHandler(): HandlerFactory {
  return async ({ db, config, log, redis, keyPrefix }) => {
    const s = config.settings;
    const groups = Math.max(1, s.distributed_poller_group.length);
    const ctx = buildPollContext({
      db,
      config,
      log,
      redis,
      keyPrefix,
      // BullMQ's concurrency already bounds the work; the Poller's own limit must not be tighter.
      maxConcurrent: Math.max(1, (s.service_poller_workers + s.service_discovery_workers) * groups),
      icmpCheck: async (host, signal) => ((await fping([host], { signal })).get(host)?.rcv ?? 0) > 0,
    });
    ctx.writer.start();
    const { poller, spool } = ctx;
    const roundsRrd = new RrdWriter({ client: ctx.rrdClient, spool, step: ctx.writer.step });
    const rounds = { db, rrd: roundsRrd, log };
    return {
      handle: async (type, deviceId, signal) => {
        // for ping and services the id is a poller group: its round
        if (type === 'ping') return void (await pingGroup(rounds, deviceId, signal));
        const services = { ...rounds, workers: s.service_services_workers };
        if (type === 'services') return void (await checkGroupServices(services, deviceId, signal));
        const opts = { signal, deadlineMs: serviceOf(s, type).deviceDeadlineMs };
        const r =
          type === 'poller' ? await poller.pollDevice(deviceId, opts) : await poller.discoverDevice(deviceId, opts);
        if (r.status === 'aborted')
          throw new PollError(`${type} of device ${deviceId} aborted: ${r.error ?? 'cancelled'}`);
      },
      spoolBytes: () => spool?.size ?? 0,
      close: () => ctx.close(),
    };
  };
}
