// Redis Sentinel (`cluster.redis.sentinel: true`): which hosts run the replica and the three
// sentinels. Deploy renders from it, `nms status` checks against it, and the rule below says
// when the inventory cannot hold it. One place picks the hosts so the three always agree.
import type { InventoryProblem } from '../../lib/errors.js';
import { problemAt } from './source.js';
import type { LoadContext } from './load-context.js';
import type { HostSpec, Inventory } from './types.js';

/** The port every sentinel listens on (Redis's own default). */
export const SENTINEL_PORT = 26379;
/** The name the sentinels monitor the master under (REDIS_SENTINEL_SERVICE). */
export const SENTINEL_SERVICE = 'nms';
/** Sentinels that must agree the master is down before a failover. */
export const SENTINEL_QUORUM = 2;

export interface SentinelTopology {
  /** The host with role redis: the master at the first deploy. */
  master: HostSpec;
  /** The first poller that is not the Redis host. */
  replica: HostSpec;
  /** The Redis host and the first two other pollers, in that order. */
  sentinels: HostSpec[];
}

/** Pollers other than the Redis host, in inventory order. */
function candidates(hosts: HostSpec[], redisHost: string | undefined): HostSpec[] {
  return hosts.filter((h) => h.name !== redisHost && h.roles.includes('poller'));
}

/** The topology, or undefined when sentinel is off. */
export function sentinelTopology(inv: Inventory): SentinelTopology | undefined {
  if (!inv.cluster.redis.sentinel) return undefined;
  const master = inv.services.redis;
  const pollers = candidates(inv.hosts, master.name);
  // the inventory rule guarantees two; a hand-built Inventory in a test may not
  if (pollers.length < 2) return undefined;
  return { master, replica: pollers[0], sentinels: [master, pollers[0], pollers[1]] };
}

/** What a host runs for Sentinel: a Redis replica, a sentinel, both or neither. */
export function sentinelRoles(inv: Inventory, host: HostSpec): { replica: boolean; sentinel: boolean } {
  const t = sentinelTopology(inv);
  return {
    replica: !!t && t.replica.name === host.name,
    sentinel: !!t && t.sentinels.some((s) => s.name === host.name),
  };
}

/** The agents' REDIS_SENTINEL value: `address:port` of every sentinel, '' when sentinel is off. */
export function sentinelAddresses(inv: Inventory): string {
  const t = sentinelTopology(inv);
  return t ? t.sentinels.map((h) => `${h.address}:${SENTINEL_PORT}`).join(',') : '';
}

/** Rule: sentinel needs two pollers besides the Redis host (the replica and the third sentinel). */
export function sentinelProblems(ctx: LoadContext): InventoryProblem[] {
  if (!ctx.raw.cluster?.redis?.sentinel) return [];
  const redisHost = ctx.hosts.find((h) => h.roles.includes('redis'));
  const pollers = candidates(ctx.hosts, redisHost?.name);
  if (pollers.length >= 2) return [];
  const have = pollers.length ? ` (only ${pollers.map((h) => h.name).join(', ')})` : ' (none)';
  return [
    problemAt(
      ctx.hostsSrc,
      ['cluster', 'redis', 'sentinel'],
      `Redis Sentinel needs at least 2 hosts with role poller besides the Redis host${have}: ` +
        'they hold the replica and two of the three sentinels; add pollers or set sentinel: false',
    ),
  ];
}
