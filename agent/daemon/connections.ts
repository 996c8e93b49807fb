// Connection settings shared by the daemon, doctor and the cluster view: one place decides how the
// agent talks to Redis (reconnect for ever, queue commands while down, BullMQ's
// maxRetriesPerRequest: null).
import { Redis, type RedisOptions } from 'ioredis';
import type { NodeEnv } from '../../lib/node-config.js';

/** Options for every Redis connection of the agent (BullMQ opens its own from these). */
export function redisOptions(env: NodeEnv): RedisOptions {
  return {
    ...where(env),
    password: env.REDIS_PASSWORD || undefined,
    db: env.REDIS_DB,
    // BullMQ requires null: a command waits for the reconnect instead of failing after N tries.
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    connectTimeout: 5000,
    // Back off to 2 s and never give up: a Redis restart must not need an agent restart.
    retryStrategy: (times) => Math.min(100 * times, 2000),
    connectionName: 'nms-agent',
  };
}

/**
 * Sentinels (asked for the current master at each connect, so a reconnect after a failover finds
 * the promoted replica) or the one Redis.
 */
function where(env: NodeEnv): RedisOptions {
  if (!env.REDIS_SENTINEL) return { host: env.REDIS_HOST, port: env.REDIS_PORT };
  const sentinels = env.REDIS_SENTINEL.split(',').map((s) => {
    const [host, port] = s.trim().split(':');
    return { host, port: Number(port) };
  });
  return {
    sentinels,
    name: env.REDIS_SENTINEL_SERVICE,
    sentinelRetryStrategy: (n) => Math.min(100 * n, 1000),
    connectTimeout: 3000,
  };
}

/**
 * The command connection for locks and small reads. Unlike BullMQ's, its commands fail after a
 * few seconds while Redis is down, so a dispatcher tick or a device lock never hangs.
 */
export function openCommandRedis(env: NodeEnv, onError: (err: Error) => void): Redis {
  // Auto-pipelining: the commands of the jobs running at once (claims, releases, the RRD order
  // book) that are issued in the same tick go out in one write instead of one write each.
  const r = new Redis({
    ...redisOptions(env),
    maxRetriesPerRequest: 2,
    commandTimeout: 5000,
    enableAutoPipelining: true,
  });
  r.on('error', onError);
  return r;
}
