// One deadline for a promise: the checks of `nms-agent doctor` and the sources of the cluster view
// each get a bounded wait, so one silent service never holds up the whole answer.
import { NmsError } from './errors.js';

/**
 * Settles like `p`, or rejects with "`what`: no answer within `ms` ms" when `p` takes longer.
 * `p` itself is not cancelled: its owner closes what it opened.
 */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new NmsError(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(t));
}
