// Whether the agent process a registry entry names still runs on this node. The entry outlives a
// killed agent by its TTL (three heartbeats); the doctor runs on the same node (same PID
// namespace) as the agent it checks, so /proc answers at once. A pid reused by another program
// within those few seconds would pass; the heartbeat age catches that one a moment later.
import { readFileSync } from 'node:fs';

/**
 * true: the process runs; false: no such process, or a zombie (killed, not yet reaped);
 * undefined: cannot tell (no /proc).
 */
export function agentProcessAlive(pid: number, proc = '/proc'): boolean | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    readFileSync(`${proc}/self/stat`);
  } catch {
    return undefined;
  }
  let stat: string;
  try {
    stat = readFileSync(`${proc}/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // `pid (comm) state ...`: comm may hold spaces and parentheses, the state follows the last ')'
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}
