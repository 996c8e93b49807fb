// Helpers for end-to-end tests on the lab: run the built `nms`, run commands inside lab hosts,
// and snapshot what the lab may change on the machine (namespaces, links, mounts, processes).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../lib/repo-root.js';

export const REPO = repoRoot();
export const NMS = join(REPO, 'dist', 'nms.mjs');
export const LAB_KEY = '/var/lib/nms-lab/id_ed25519';

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program; never throws for a non-zero exit. */
export function sh(cmd: string, args: string[], timeoutMs = 60_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as NodeJS.ErrnoException).code === 'number'
          ? Number((err as NodeJS.ErrnoException).code)
          : 1
        : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Runs the built CLI (`node dist/nms.mjs …`; from source through tsx when NMS_TEST_FROM_SOURCE=1). */
export function nms(args: string[], timeoutMs = 300_000): Promise<Ran> {
  if (process.env.NMS_TEST_FROM_SOURCE === '1')
    return sh(process.execPath, ['--import', 'tsx', join(REPO, 'cli', 'main.ts'), ...args], timeoutMs);
  if (!existsSync(NMS)) throw new Error(`${NMS} is missing: run node scripts/build.mjs first`);
  return sh(process.execPath, [NMS, ...args], timeoutMs);
}

/** Runs a shell command inside a lab host through `nms lab exec`. */
export function inHost(host: string, script: string, timeoutMs = 60_000): Promise<Ran> {
  return nms(['lab', 'exec', host, '--', 'sh', '-c', script], timeoutMs);
}

export interface LabStatusJson {
  up: boolean;
  healthy: boolean;
  inventory?: string;
  hosts: { name: string; address: string; netns_inode: number; init_pid: number; running: boolean; ssh: boolean }[];
  simulator?: { running: boolean; devices: number };
  present: { processes: number[]; netns: string[]; links: string[]; mounts: string[] };
}

export async function labStatus(): Promise<LabStatusJson> {
  const r = await nms(['lab', 'status', '--json']);
  return JSON.parse(r.stdout) as LabStatusJson;
}

/**
 * Brings the lab up (or finds it up) with this shape and returns its status. A lab of another
 * shape is taken down and built again.
 */
export async function ensureLab(pollers = 2, devices = 10): Promise<LabStatusJson> {
  const up = () => nms(['lab', 'up', '--pollers', String(pollers), '--devices', String(devices), '--json']);
  let r = await up();
  if (r.code !== 0 && /already up with/.test(r.stderr)) {
    await nms(['lab', 'down']);
    r = await up();
  }
  if (r.code !== 0) throw new Error(`nms lab up failed (${r.code}): ${r.stderr}`);
  return labStatus();
}

/** What `nms lab down` must restore: namespaces, links, mounts. */
export interface MachineSnapshot {
  netns: string[];
  links: string[];
  mounts: string[];
}

export async function snapshot(): Promise<MachineSnapshot> {
  const netns = (await sh('ip', ['netns', 'list'])).stdout.split('\n').filter(Boolean).sort();
  const links = (await sh('ip', ['-o', 'link', 'show'])).stdout
    .split('\n')
    .map((l) => /^\d+: ([^:@\s]+)/.exec(l)?.[1])
    .filter((n): n is string => !!n)
    .sort();
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').filter(Boolean).sort();
  return { netns, links, mounts };
}

function nsOf(pid: string, kind: string): number | undefined {
  try {
    return Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/${kind}`))?.[1]);
  } catch {
    return undefined;
  }
}

/**
 * Processes that belong to a lab: in one of the given network namespaces, or in a mount
 * namespace holding an overlay whose upper layer is under /var/lib/nms-lab.
 */
export function labProcesses(netnsInodes: number[]): number[] {
  const ownMnt = nsOf('self', 'mnt');
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    const net = nsOf(pid, 'net');
    const mnt = nsOf(pid, 'mnt');
    let lab = net !== undefined && netnsInodes.includes(net);
    if (!lab && mnt !== undefined && mnt !== ownMnt) {
      try {
        lab = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').includes('upperdir=/var/lib/nms-lab/');
      } catch {
        // exited meanwhile
      }
    }
    if (lab) found.push(Number(pid));
  }
  return found;
}
