// The per-device guard behind the queue's de-duplication. A worker *claims* a device before it
// runs a job: the claim fails when another worker holds the device's lock (running it now) or
// when the job is stale: queued from a due-read taken before the device's last run finished
// (the dispatcher read the row, the run ended and its job was removed, then the add landed and
// the new job waited behind a backlog). Both times come from Redis's own clock (TIME), so node
// clocks do not matter. After a successful run the worker *finishes*: records the end time and
// releases the lock.
import type { Redis } from 'ioredis';
import type { CoordKeys, JobType } from './keys.js';
import { LuaScript } from './script.js';

/**
 * KEYS[1] device lock; KEYS[2] done marker (epoch ms of the last successful run's end).
 * ARGV[1] owner token; ARGV[2] lock ttl ms; ARGV[3] epoch ms of the due-read (0: unknown).
 * Result: 1 claimed, 0 busy (locked by another), -1 stale (a run ended after the read).
 */
const CLAIM = new LuaScript(
  `local readAt = tonumber(ARGV[3])
if readAt > 0 then
  local done = tonumber(redis.call('GET', KEYS[2]) or '0')
  if done >= readAt then return -1 end
end
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 1 end
return 0`,
  2,
);

/**
 * KEYS[1] device lock; KEYS[2] done marker. ARGV[1] owner token; ARGV[2] marker ttl ms.
 * Sets the marker to Redis's time now and deletes the lock if it is still the caller's.
 * Result: 1 when the lock was released, 0 when it was no longer the caller's.
 */
const FINISH = new LuaScript(
  `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[2], now, 'PX', ARGV[2])
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`,
  2,
);

export type ClaimResult = 'claimed' | 'busy' | 'stale';

export async function claimDevice(
  redis: Redis,
  keys: CoordKeys,
  type: JobType,
  deviceId: number,
  token: string,
  lockMs: number,
  readAt: number,
): Promise<ClaimResult> {
  const r = await CLAIM.run(
    redis,
    keys.deviceLock(type, deviceId),
    keys.deviceDone(type, deviceId),
    token,
    Math.max(1, Math.round(lockMs)),
    Math.max(0, Math.round(readAt)),
  );
  return r === 1 ? 'claimed' : r === -1 ? 'stale' : 'busy';
}

/** Marks a successful run done (kept `markerMs`, longer than a job can wait in a queue) and releases the lock. */
export async function finishDevice(
  redis: Redis,
  keys: CoordKeys,
  type: JobType,
  deviceId: number,
  token: string,
  markerMs: number,
): Promise<void> {
  await FINISH.run(
    redis,
    keys.deviceLock(type, deviceId),
    keys.deviceDone(type, deviceId),
    token,
    Math.max(1000, Math.round(markerMs)),
  );
}

/** Redis's clock in epoch ms: the dispatcher stamps each due-read with it. */
export async function redisNow(redis: Redis): Promise<number> {
  const [sec, usec] = await redis.time();
  return Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
}
