// Waiting for something a test expects to happen, with a deadline that fails the test and says
// what was awaited (and the last error, when the check itself threw).

type Maybe<T> = T | undefined | null | false;

/**
 * Calls `fn` every `pauseMs` until it returns a truthy value (returned) or `timeoutMs` passes
 * (throws naming `what`). An exception from `fn` counts as "not yet".
 */
export async function waitFor<T>(
  what: string,
  fn: () => Maybe<T> | Promise<Maybe<T>>,
  timeoutMs: number,
  pauseMs = 200,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= end) break;
    await new Promise((r) => setTimeout(r, pauseMs));
  }
  const why = lastError === undefined ? '' : ` (last error: ${(lastError as Error)?.message ?? String(lastError)})`;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
}
