// Bounded waits for BullMQ, which waits for ever for a Redis that is down
// (maxRetriesPerRequest: null): a stop, a scrape or a status read must not.

/** Waits for `p` at most `ms`; resolves 'timeout' instead of hanging. */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Closes BullMQ queues or workers politely for `ms`, then drops their connections. */
export async function closeOrDisconnect(
  items: { close(): Promise<void>; disconnect(): Promise<void> }[],
  ms = 1000,
): Promise<void> {
  await Promise.all(
    items.map(async (q) => {
      if (
        (await within(
          q.close().catch(() => undefined),
          ms,
        )) === 'timeout'
      )
        await within(
          q.disconnect().catch(() => undefined),
          ms,
        );
    }),
  );
}
