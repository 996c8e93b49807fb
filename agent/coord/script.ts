// A Lua script run by its SHA1 (EVALSHA): Redis gets 40 bytes a call instead of the whole text to
// hash again. When Redis does not know the script (first call, after a restart or SCRIPT FLUSH)
// it answers NOSCRIPT and the call is made once with EVAL, which also loads it.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

type Arg = string | number;

export class LuaScript {
  readonly sha: string;

  constructor(
    readonly lua: string,
    readonly numberOfKeys: number,
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, ...keysAndArgs: Arg[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, this.numberOfKeys, ...keysAndArgs);
    } catch (err) {
      if (!String((err as Error)?.message).startsWith('NOSCRIPT')) throw err;
      return await redis.eval(this.lua, this.numberOfKeys, ...keysAndArgs);
    }
  }
}
