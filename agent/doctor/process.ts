// Whether the agent process a registry entry names still runs on this node. The entry outlives a
// killed agent by its TTL (three heartbeats); the doctor runs on the same node (same PID
// namespace) as the agent it checks, so /proc answers at once.
import { readFileSync } from 'node:fs';

/**
 * true: a process with this pid runs and its command line names nms-agent; false: no such process,
 * or another program took the pid; undefined: cannot tell (no /proc).
 */
export function agentProcessAlive(pid: number, proc = '/proc'): boolean | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    readFileSync(`${proc}/self/stat`);
  } catch {
    return undefined;
  }
  let cmdline: string;
  try {
    cmdline = readFileSync(`${proc}/${pid}/cmdline`, 'utf8');
  } catch {
    return false;
  }
  // a zombie (killed, not yet reaped) has an empty command line: it no longer runs
  return cmdline.split('\0').some((a) => /(^|\/)nms-agent(\.m?js)?$/.test(a));
}
