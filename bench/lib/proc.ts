// Process measurements for the benchmarks, read from /proc so that every process (ours, the
// simulator, rrdcached, snmp_exporter) is measured the same way.
import { readFileSync, writeFileSync } from 'node:fs';

const TICKS = 100; // USER_HZ on Linux

/** User + system CPU seconds of a process (and of its children it has waited for). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name may contain spaces: fields start after the last ')'
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields after ')' start at field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17
  const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  return ticks / TICKS;
}

/** Peak resident set size (VmHWM) in MiB; 0 when the process is gone. */
export function peakRssMiB(pid: number): number {
  return memStatus(pid)?.hwm ?? 0;
}

/** Resets a process's VmHWM to its current RSS (Linux clear_refs 5; needs the right to write it). */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** CPU seconds used by this process so far (user + system). */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** A CPU meter over a set of pids: start(), then stop() returns the seconds each used. */
export class CpuMeter {
  private readonly before = new Map<number, number>();
  private machine0: MachineCpu = { busy: 0, softirq: 0 };
  /** The whole machine's CPU over the span, set by stop(). */
  machine?: MachineCpu;
  constructor(private readonly pids: number[]) {}
  start(): this {
    for (const p of this.pids) this.before.set(p, cpuSeconds(p));
    this.machine0 = machineCpu();
    return this;
  }
  stop(): Map<number, number> {
    const out = new Map<number, number>();
    for (const p of this.pids) out.set(p, cpuSeconds(p) - (this.before.get(p) ?? 0));
    const m = machineCpu();
    this.machine = { busy: m.busy - this.machine0.busy, softirq: m.softirq - this.machine0.softirq };
    return out;
  }
}

/** CPU seconds of the whole machine (all cores) since boot: busy (user, system, irq, softirq, steal), softirq alone. */
export interface MachineCpu {
  busy: number;
  softirq: number;
}

export function machineCpu(): MachineCpu {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return { busy: (user + nice + system + irq + softirq + steal) / TICKS, softirq: softirq / TICKS };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** CPU seconds of this process's children that have ended and been reaped (cutime + cstime). */
export function reapedChildrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / TICKS;
}

/**
 * Resident memory of a process from /proc/PID/status, MiB: total, anonymous (heap, malloc),
 * file-backed (code, libraries).
 */
export interface MemStatus {
  rss: number;
  anon: number;
  file: number;
  hwm: number;
}

/** The process's resident memory now; undefined when it is gone. */
export function memStatus(pid: number): MemStatus | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem'), hwm: kb('VmHWM') };
}

/**
 * Samples a process's resident memory on a timer and keeps the peaks per named phase
 * (discovery, warm-up, cycle): VmHWM alone says how high but not when, nor whether it was
 * anonymous memory (V8 heap, malloc) or mapped files.
 */
export class MemSampler {
  private timer?: NodeJS.Timeout;
  private current = 'start';
  readonly peaks = new Map<string, MemStatus>();

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 200,
  ) {}

  start(): this {
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Closes the phase running (with one last sample) and starts the next. */
  phase(name: string): void {
    this.sample();
    this.current = name;
  }

  stop(): Map<string, MemStatus> {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    return this.peaks;
  }

  private sample(): void {
    const m = memStatus(this.pid);
    if (!m) return;
    const p = this.peaks.get(this.current);
    if (!p) this.peaks.set(this.current, { ...m });
    else {
      p.rss = Math.max(p.rss, m.rss);
      p.anon = Math.max(p.anon, m.anon);
      p.file = Math.max(p.file, m.file);
      p.hwm = Math.max(p.hwm, m.hwm);
    }
  }
}
