// Debian's fping, run once for many targets: `fping -q -c COUNT` prints one summary line per
// target on stderr, which is all we read. fping needs CAP_NET_RAW (Debian's package gives the
// binary the file capability; docs/availability.md says what deploy checks), never root.
import { spawn } from 'node:child_process';
import { NmsError } from '../../lib/errors.js';

export interface FpingOptions {
  /** The fping binary. Default /usr/bin/fping. */
  binary?: string;
  /** Pings per target (LibreNMS fping_options.count). Default 3. */
  count?: number;
  /** Milliseconds between pings to one target (fping -p; LibreNMS fping_options.interval). Default 500. */
  periodMs?: number;
  /** Milliseconds to wait for a reply (fping -t; LibreNMS fping_options.timeout). Default 500. */
  timeoutMs?: number;
  /** Milliseconds between any two packets sent (fping -i). Default 1. */
  intervalMs?: number;
  signal?: AbortSignal;
}

export const DEFAULT_FPING_OPTIONS = {
  binary: '/usr/bin/fping',
  count: 3,
  periodMs: 500,
  timeoutMs: 500,
  intervalMs: 1,
};

/** One target's round: packets sent and received, loss in %, latencies in ms (0 when none came back). */
export interface PingResult {
  xmt: number;
  rcv: number;
  loss: number;
  min: number;
  avg: number;
  max: number;
}

const LINE = /^(\S+)\s+: xmt\/rcv\/%loss = (\d+)\/(\d+)\/(\d+)%(?:, min\/avg\/max = ([\d.]+)\/([\d.]+)\/([\d.]+))?/;

/** Reads fping's summary lines; targets it said nothing about are not in the map. */
export function parseFpingSummary(text: string): Map<string, PingResult> {
  const out = new Map<string, PingResult>();
  for (const line of text.split('\n')) {
    const m = LINE.exec(line.trim());
    if (!m) continue;
    out.set(m[1], { xmt: +m[2], rcv: +m[3], loss: +m[4], min: +(m[5] ?? 0), avg: +(m[6] ?? 0), max: +(m[7] ?? 0) });
  }
  return out;
}

/** fping's arguments for a round (targets go on stdin, so thousands never hit the argv limit). */
export function fpingArgs(o: Required<Omit<FpingOptions, 'signal' | 'binary'>>): string[] {
  const n = (v: number) => String(v);
  return ['-q', '-4', '-c', n(o.count), '-p', n(o.periodMs), '-t', n(o.timeoutMs), '-i', n(o.intervalMs), '-r', '0'];
}

/**
 * Pings every target once per round; a target with no reply (or one fping could not resolve)
 * gets xmt = count, rcv = 0, loss 100. Rejects only when fping itself cannot run.
 */
export function fping(targets: string[], options: FpingOptions = {}): Promise<Map<string, PingResult>> {
  const o = { ...DEFAULT_FPING_OPTIONS, ...options };
  const unique = [...new Set(targets)];
  if (unique.length === 0) return Promise.resolve(new Map());
  return new Promise((resolve, reject) => {
    const child = spawn(o.binary, fpingArgs(o), { stdio: ['pipe', 'ignore', 'pipe'], signal: o.signal });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const missing = "install Debian's fping package; the agent needs it with cap_net_raw";
    child.on('error', (e) => reject(new NmsError(`cannot run ${o.binary}: ${e.message}`, { hint: missing })));
    child.on('close', (code) => {
      // 0 all answered, 1 some did not, 2 a name did not resolve; 3 and 4 are fping's own failures
      if (code !== null && code > 2) {
        const why = err.trim().split('\n').slice(-2).join(' | ');
        const hint = 'fping needs cap_net_raw: getcap /usr/bin/fping';
        reject(new NmsError(`fping failed (exit ${code}): ${why}`, { hint }));
        return;
      }
      const got = parseFpingSummary(err);
      for (const t of unique) if (!got.has(t)) got.set(t, { xmt: o.count, rcv: 0, loss: 100, min: 0, avg: 0, max: 0 });
      resolve(got);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(unique.join('\n') + '\n');
  });
}
