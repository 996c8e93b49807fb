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
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
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
  constructor(private readonly pids: number[]) {}
  start(): this {
    for (const p of this.pids) this.before.set(p, cpuSeconds(p));
    return this;
  }
  stop(): Map<number, number> {
    const out = new Map<number, number>();
    for (const p of this.pids) out.set(p, cpuSeconds(p) - (this.before.get(p) ?? 0));
    return out;
  }
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
