// One deadline for a promise, for checks that ask a service and must not wait for ever.
import { NmsError } from './errors.js';

/**
 * Settles as `p` does, or rejects with an NmsError naming `what` and `ms` when `p` has not
 * settled within `ms` milliseconds. The timer is cleared either way (it never holds the process).
 */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NmsError(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
