// One line for a burst of the same background failure (a server down fails every request):
// the first is logged, the next ones within the interval only counted.
/** Logs a repeating background error at most once per interval, with how many were folded in. */
export function throttled(fn: (err: Error, repeats: number) => void, intervalMs = 10_000): (err: Error) => void {
  let last = 0;
  let folded = 0;
  return (err) => {
    const now = Date.now();
    if (now - last >= intervalMs) {
      fn(err, folded);
      last = now;
      folded = 0;
    } else folded++;
  };
}
