// Owner-token locks in Redis: SET NX PX to take, Lua compare-and-pexpire to renew and
// compare-and-delete to release, so only the holder can extend or drop its lock. Used for the
// dispatcher election and for the per-device second guard.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LuaScript } from './script.js';

/**
 * KEYS[1] lock key; ARGV[1] owner token; ARGV[2] ttl in ms.
 * Result: 1 when the caller owns the lock and its ttl was set, 0 otherwise.
 */
const RENEW = new LuaScript(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`,
  1,
);

/**
 * KEYS[1] lock key; ARGV[1] owner token.
 * Result: 1 when the caller owned the lock and it was deleted, 0 otherwise.
 */
const RELEASE = new LuaScript(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`,
  1,
);

/** A fresh owner token: readable in `redis-cli GET` (who holds it) and unique per holder. */
export function ownerToken(name: string): string {
  return `${name}-${randomUUID()}`;
}

/**
 * KEYS[1] lock key; ARGV[1] owner token; ARGV[2] ttl in ms.
 * Result: 1 extended (still ours), 2 taken again (the key had vanished, e.g. Redis restarted
 * empty), 0 someone else holds it.
 */
const RENEW_OR_RETAKE = new LuaScript(
  `local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0`,
  1,
);

/** Takes the lock when free. True when the caller holds it now (also when it already did). */
export async function acquireLock(redis: Redis, key: string, token: string, ttlMs: number): Promise<boolean> {
  const res = await redis.set(key, token, 'PX', Math.max(1, Math.round(ttlMs)), 'NX');
  if (res === 'OK') return true;
  // Already ours (e.g. a renewal raced a re-acquire): extend it rather than report failure.
  return renewLock(redis, key, token, ttlMs);
}

/** Extends the lock's ttl when the caller still owns it. */
export async function renewLock(redis: Redis, key: string, token: string, ttlMs: number): Promise<boolean> {
  const res = await RENEW.run(redis, key, token, Math.max(1, Math.round(ttlMs)));
  return res === 1;
}

/** Drops the lock when the caller owns it; someone else's lock is left alone. */
export async function releaseLock(redis: Redis, key: string, token: string): Promise<boolean> {
  const res = await RELEASE.run(redis, key, token);
  return res === 1;
}

/**
 * Keeps a lock for work that is still running: extends it, or takes it again when the key is
 * gone (Redis lost its data), so a job re-queued after a Redis restart cannot run beside it.
 */
export async function renewOrRetakeLock(
  redis: Redis,
  key: string,
  token: string,
  ttlMs: number,
): Promise<'renewed' | 'retaken' | 'lost'> {
  const res = await RENEW_OR_RETAKE.run(redis, key, token, Math.max(1, Math.round(ttlMs)));
  return res === 1 ? 'renewed' : res === 2 ? 'retaken' : 'lost';
}
