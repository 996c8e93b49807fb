// Small system helpers for the lab: run a program, check what the machine offers, and tell
// which processes live in which namespaces (read from /proc, so no guessing by process name).
import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { LabError } from '../../lib/errors.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell; never throws for a non-zero exit (see {@link must}). */
export function run(
  cmd: string,
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as NodeJS.ErrnoException).code === 'number'
            ? Number((err as NodeJS.ErrnoException).code)
            : 127
          : 0;
        resolve({
          code: err && code === 0 ? 1 : code,
          stdout: String(stdout),
          stderr: String(stderr || (err && !stderr ? err.message : '')),
        });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs a program and throws LabError with its stderr when it fails. */
export async function must(
  cmd: string,
  args: string[],
  what: string,
  options: { input?: string; timeoutMs?: number } = {},
): Promise<string> {
  const r = await run(cmd, args, options);
  if (r.code !== 0) throw new LabError(`${what} failed (${cmd}): ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout;
}

const REQUIRED_PROGRAMS: [string, string][] = [
  ['/usr/sbin/sshd', 'openssh-server'],
  ['/usr/bin/ssh-keygen', 'openssh-client'],
  ['/usr/bin/nsenter', 'util-linux'],
  ['/usr/bin/unshare', 'util-linux'],
  ['/usr/bin/ip', 'iproute2'],
];

/** Refuses, with the reason and the fix, when this machine cannot host the lab. */
export function checkRequirements(): void {
  if (process.platform !== 'linux')
    throw new LabError(`the lab needs Linux (namespaces, overlayfs); this is ${process.platform}`);
  if (process.getuid?.() !== 0) {
    throw new LabError('the lab needs root (it creates namespaces, links and mounts)', {
      hint: 'run it as root, e.g. sudo npx nms lab up',
    });
  }
  for (const ns of ['net', 'mnt', 'uts', 'pid', 'ipc']) {
    try {
      readlinkSync(`/proc/self/ns/${ns}`);
    } catch {
      throw new LabError(`this kernel has no ${ns} namespaces (/proc/self/ns/${ns} is missing)`);
    }
  }
  if (!/\toverlay$/m.test(readFileSync('/proc/filesystems', 'utf8'))) {
    throw new LabError('this kernel offers no overlay filesystem', {
      hint: 'load it with `modprobe overlay`, then run again',
    });
  }
  for (const [path, pkg] of REQUIRED_PROGRAMS) {
    try {
      accessSync(path, constants.X_OK);
    } catch {
      throw new LabError(`${path} is missing`, {
        hint: `install it: apt-get install ${pkg} (or bash scripts/install-deps.sh)`,
      });
    }
  }
}

/** Inode of a namespace, from /proc/PID/ns/KIND or a bind mount such as /run/netns/NAME. */
export function nsInode(path: string): number | undefined {
  try {
    if (path.startsWith('/proc/')) {
      const m = /\[(\d+)\]$/.exec(readlinkSync(path));
      return m ? Number(m[1]) : undefined;
    }
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

export interface ProcInfo {
  pid: number;
  netns?: number;
  mntns?: number;
  pidns?: number;
}

/** Every process with its namespaces (a process that exits while we look is left out). */
export function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const netns = nsInode(`/proc/${pid}/ns/net`);
    if (netns === undefined) continue;
    out.push({ pid, netns, mntns: nsInode(`/proc/${pid}/ns/mnt`), pidns: nsInode(`/proc/${pid}/ns/pid`) });
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Start time of a process in clock ticks since boot: with the pid it names one process for good. */
export function startTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
