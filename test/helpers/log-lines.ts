// Reads an agent's structured log (one JSON object per line on stderr) as it is written.
import type { Readable } from 'node:stream';

/** Calls `fn` for each complete line: with the parsed record, or `undefined` when it is not JSON. */
export function onLogLine<T = Record<string, unknown>>(
  stream: Readable,
  fn: (record: T | undefined, line: string) => void,
): void {
  let buf = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let record: T | undefined;
      try {
        record = JSON.parse(line) as T;
      } catch {
        record = undefined;
      }
      fn(record, line);
    }
  });
}
