// The lab's state file (what `up` built) and a lock so two lab commands never build or tear
// down at the same time. Both live under the fixed state dir, outside any repository.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { LabError } from '../../lib/errors.js';
import type { HostRecord } from './host.js';
import { STATE_DIR, STATE_FILE } from './plan.js';
import { isAlive, sleep, startTime } from './sys.js';

export interface SimulatorRecord {
  pid: number;
  start: number;
  devices: number;
  bundle: string;
}

export interface LabState {
  version: 1;
  createdAt: string;
  pollers: number;
  devices: number;
  /** Where `up` wrote the inventory. */
  inventory: string;
  hosts: HostRecord[];
  simulator?: SimulatorRecord;
}

export function readState(): LabState | undefined {
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

export function writeState(state: LabState): void {
  mkdirSync(STATE_DIR, { recursive: true, mode: 0o755 });
  writeFileSync(`${STATE_FILE}.tmp`, JSON.stringify(state, null, 2) + '\n');
  renameSync(`${STATE_FILE}.tmp`, STATE_FILE);
}

export function removeState(): void {
  rmSync(STATE_FILE, { force: true });
}

/** True while the recorded process is the very one we started (pid and start time agree). */
export function sameProcess(pid: number, start: number): boolean {
  return isAlive(pid) && startTime(pid) === start;
}

const LOCK = `${STATE_DIR}/lock`;

/** Takes the lab lock (waiting up to waitMs); a lock left by a dead process is taken over. */
export async function withLock<T>(fn: () => Promise<T>, waitMs = 120_000): Promise<T> {
  mkdirSync(STATE_DIR, { recursive: true, mode: 0o755 });
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx', 0o644);
      writeSync(fd, `${process.pid} ${startTime(process.pid)}`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // pid and start time: a pid reused by an unrelated process after a crash is no owner
      const [owner, start] = readFileSafe(LOCK).split(' ').map(Number);
      if (!owner || !sameProcess(owner, start)) {
        rmSync(LOCK, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new LabError(`another lab command (pid ${owner}) is still running`, { hint: 'wait for it to finish' });
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    if (existsSync(LOCK) && readFileSafe(LOCK).split(' ')[0] === String(process.pid)) rmSync(LOCK, { force: true });
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}
