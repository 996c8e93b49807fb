// Watches `devices.last_polled` (when each successful poll started, second resolution) every few
// seconds, and turns what it saw into per-device poll times: the bench's record of which device
// was polled when, read from what the agents store rather than from what they say.
import type { RowDataPacket } from 'mysql2/promise';
import type { Db } from '../../agent/db/index.js';

export class PollWatch {
  /** device_id → poll start times (unix seconds), ascending, distinct. */
  readonly polls = new Map<number, number[]>();
  /** device_id → poll start time → the poll's wall time in seconds (`last_polled_timetaken`). */
  readonly took = new Map<number, Map<number, number>>();
  private timer?: NodeJS.Timeout;
  private since = 0;
  private longSince = 0;
  private samples = 0;
  private busy = false;

  /**
   * `longestPollS`: the longest a poll may take (the agent's per-device deadline, 0.7 × the
   * frequency). The row is written when the poll ends but holds when it started, so a sample
   * reading only the last few seconds of `last_polled` never sees a poll that took longer than
   * that: every `longEvery`-th sample reads back `longestPollS` further (rows written since the
   * last such sample: a start time plus its time taken at or after its cutoff).
   */
  constructor(
    private readonly db: Db,
    private readonly everyMs = 3000,
    private readonly longestPollS = 240,
    private readonly longEvery = 20,
  ) {}

  start(): this {
    this.timer = setInterval(() => void this.sample(), this.everyMs);
    return this;
  }

  async sample(long = this.samples % this.longEvery === 0): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.samples++;
    try {
      const nowS = Math.floor(Date.now() / 1000);
      const cutoff = long ? this.longSince : this.since;
      this.since = nowS - 5;
      if (long) this.longSince = nowS - 5;
      // the index on last_polled bounds the read; the written-since test drops rows seen before
      const [rows] = await this.db.query<RowDataPacket[]>(
        'SELECT device_id, UNIX_TIMESTAMP(last_polled) AS t, last_polled_timetaken AS took FROM devices ' +
          'WHERE last_polled >= FROM_UNIXTIME(?) ' +
          'AND UNIX_TIMESTAMP(last_polled) + COALESCE(last_polled_timetaken, 0) >= ?',
        [Math.max(0, cutoff - (long ? this.longestPollS : 0)), cutoff],
      );
      for (const r of rows) this.record(Number(r.device_id), Number(r.t), Number(r.took));
    } finally {
      this.busy = false;
    }
  }

  private record(id: number, t: number, took: number): void {
    let times = this.took.get(id);
    if (!times) this.took.set(id, (times = new Map()));
    if (Number.isFinite(took)) times.set(t, took);
    const list = this.polls.get(id) ?? [];
    if (!list.includes(t)) {
      list.push(t);
      list.sort((a, b) => a - b);
    }
    this.polls.set(id, list);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 50));
    await this.sample(true);
  }
}

export interface PollCounts {
  /** Polls inside the timed span. */
  polls: number;
  onTime: number;
  late: number;
  missed: number;
  doubled: number;
  /** Devices with a missed poll (any interval of 2 x the frequency or more, or no poll in the span). */
  missedDevices: number[];
  /** Per cycle window [t0 + k·F, t0 + (k+1)·F): polls, first to last poll in seconds, and late polls. */
  cycles: { polls: number; spread: number; late: number }[];
}

/**
 * Judges each interval between two consecutive polls of a device inside [t0, t1]: on time when
 * it is at most 1.1 × the frequency, late up to 2 ×, then one missed poll per whole frequency
 * beyond the first; doubled when under half the frequency. A device with no poll in the span
 * counts its whole span as missed; one overdue at the end of the span is late (or missed).
 */
export function countPolls(
  polls: Map<number, number[]>,
  ids: number[],
  t0: number,
  t1: number,
  freq: number,
): PollCounts {
  const out: PollCounts = { polls: 0, onTime: 0, late: 0, missed: 0, doubled: 0, missedDevices: [], cycles: [] };
  const windows = Math.max(1, Math.round((t1 - t0) / freq));
  const cyc = Array.from({ length: windows }, () => ({ polls: 0, first: Infinity, last: -Infinity, late: 0 }));
  const windowOf = (t: number) => cyc[Math.max(0, Math.min(windows - 1, Math.floor((t - t0) / freq)))];
  for (const id of ids) {
    const missedBefore = out.missed;
    const all = polls.get(id) ?? [];
    const inSpan = all.filter((t) => t >= t0 && t < t1);
    out.polls += inSpan.length;
    if (inSpan.length === 0) out.missed += windows;
    // the interval into the span counts too: from the last poll before t0
    const before = all.filter((t) => t < t0).pop();
    const seq = before === undefined ? inSpan : [before, ...inSpan];
    for (let i = 1; i < seq.length; i++) {
      const gap = seq[i] - seq[i - 1];
      if (gap < freq / 2) out.doubled++;
      else if (gap <= freq * 1.1) out.onTime++;
      else if (gap < freq * 2) {
        out.late++;
        windowOf(seq[i]).late++;
      } else out.missed += Math.floor(gap / freq) - 1;
    }
    // overdue at the end of the span: the poll that should have come is late, or missed
    const tail = inSpan.length ? t1 - inSpan[inSpan.length - 1] : 0;
    if (tail > freq * 1.1 && tail < freq * 2) out.late++;
    else if (tail >= freq * 2) out.missed += Math.floor(tail / freq) - 1;
    if (out.missed > missedBefore) out.missedDevices.push(id);
    for (const t of inSpan) {
      const w = windowOf(t);
      w.polls++;
      w.first = Math.min(w.first, t);
      w.last = Math.max(w.last, t);
    }
  }
  out.cycles = cyc.map((w) => ({ polls: w.polls, spread: w.polls ? w.last - w.first : 0, late: w.late }));
  return out;
}

/**
 * Waits until every device (n of them) has a poll that started at or after `since` (unix s), e.g.
 * the agents' first round, looking every `everyMs`; returns the seconds it took.
 */
export async function waitAllPolled(
  db: Db,
  n: number,
  since: number,
  limitS: number,
  everyMs: number,
): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const [r] = await db.query<RowDataPacket[]>(
      'SELECT COUNT(*) AS n FROM devices WHERE last_polled >= FROM_UNIXTIME(?)',
      [since],
    );
    const done = Number(r[0].n);
    if (done >= n) return (Date.now() - t0) / 1000;
    if ((Date.now() - t0) / 1000 > limitS) throw new Error(`only ${done}/${n} devices polled after ${limitS} s`);
    await new Promise((res) => setTimeout(res, everyMs));
  }
}

export interface PollTimes {
  /** A poll's wall time (s): mean, 95th percentile, longest. */
  mean: number;
  p95: number;
  max: number;
  /** Polls in flight on average over the span: the polls' wall time summed over the span's length. */
  inFlight: number;
  /** How long after it was due (frequency - 1 s after the device's previous poll) a poll started (s). */
  delay: { median: number; p95: number; max: number };
  /** Polls started a second: over the span, and in its busiest minute. */
  rate: { mean: number; peakMinute: number };
}

const pct = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0;

/** The wall time of the polls that started inside [t0, t1], and how late after being due they started. */
export function pollTimes(watch: PollWatch, ids: number[], t0: number, t1: number, freq: number): PollTimes {
  const took: number[] = [];
  const delay: number[] = [];
  const perMinute = new Array<number>(Math.max(1, Math.ceil((t1 - t0) / 60))).fill(0);
  for (const id of ids) {
    const all = watch.polls.get(id) ?? [];
    const times = watch.took.get(id);
    for (let i = 0; i < all.length; i++) {
      if (all[i] < t0 || all[i] >= t1) continue;
      perMinute[Math.floor((all[i] - t0) / 60)]++;
      const w = times?.get(all[i]);
      if (w !== undefined) took.push(w);
      if (i > 0) delay.push(Math.max(0, all[i] - all[i - 1] - (freq - 1)));
    }
  }
  took.sort((a, b) => a - b);
  delay.sort((a, b) => a - b);
  const sum = took.reduce((a, b) => a + b, 0);
  const started = perMinute.reduce((a, b) => a + b, 0);
  return {
    mean: took.length ? sum / took.length : 0,
    p95: pct(took, 0.95),
    max: took.at(-1) ?? 0,
    inFlight: sum / Math.max(1, t1 - t0),
    delay: { median: pct(delay, 0.5), p95: pct(delay, 0.95), max: delay.at(-1) ?? 0 },
    rate: { mean: started / Math.max(1, t1 - t0), peakMinute: Math.max(...perMinute) / 60 },
  };
}
