// Finds and removes everything a lab left on this machine, whether `up` finished, crashed or
// ran from another clone: processes (found by their namespaces, never by name), namespaces,
// links, mounts under the state dir and the hosts' layers.
import { readFileSync, rmSync } from 'node:fs';
import type { HostRecord } from './host.js';
import { HOSTS_DIR, STATE_DIR, hostDir, vethName } from './plan.js';
import { labLinks, labNetns, removeNetwork } from './network.js';
import { readState, removeState } from './state.js';
import { listProcesses, nsInode, run, sleep, type ProcInfo } from './sys.js';

export interface Leftovers {
  processes: number[];
  netns: string[];
  links: string[];
  mounts: string[];
}

/** Inodes of the lab's network namespaces: named ones plus those the state file remembers. */
function labNetnsInodes(): Set<number> {
  const inodes = new Set<number>();
  for (const ns of labNetns()) {
    const ino = nsInode(`/run/netns/${ns}`);
    if (ino !== undefined) inodes.add(ino);
  }
  for (const h of readState()?.hosts ?? []) inodes.add(h.netnsInode);
  return inodes;
}

/** Processes in a lab network namespace, or in a mount namespace that holds a lab overlay. */
export function labProcesses(procs: ProcInfo[] = listProcesses()): ProcInfo[] {
  const netns = labNetnsInodes();
  const ownMnt = nsInode('/proc/self/ns/mnt');
  const labMnt = new Map<number, boolean>();
  const found: ProcInfo[] = [];
  for (const p of procs) {
    if (p.pid === process.pid) continue;
    let lab = p.netns !== undefined && netns.has(p.netns);
    if (!lab && p.mntns !== undefined && p.mntns !== ownMnt) {
      let known = labMnt.get(p.mntns);
      if (known === undefined) {
        try {
          known = readFileSync(`/proc/${p.pid}/mountinfo`, 'utf8').includes(`upperdir=${HOSTS_DIR}/`);
        } catch {
          known = false;
        }
        labMnt.set(p.mntns, known);
      }
      lab = known;
    }
    if (lab) found.push(p);
  }
  return found;
}

/** Mount points in this mount namespace at or below the state dir. */
export function labMounts(): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m): m is string => m !== undefined && (m === STATE_DIR || m.startsWith(`${STATE_DIR}/`)));
}

export async function findLeftovers(): Promise<Leftovers> {
  return {
    processes: labProcesses().map((p) => p.pid),
    netns: labNetns(),
    links: await labLinks(),
    mounts: labMounts(),
  };
}

/** Kills the lab's processes (hosts' inits first: that ends their whole PID namespace). */
async function killLabProcesses(): Promise<number[]> {
  const killed = new Set<number>();
  const deadline = Date.now() + 15_000;
  for (;;) {
    const procs = labProcesses();
    if (procs.length === 0) break;
    if (Date.now() > deadline) break;
    for (const p of procs) {
      try {
        process.kill(p.pid, 'SIGKILL');
        killed.add(p.pid);
      } catch {
        // gone already
      }
    }
    await sleep(100);
  }
  return [...killed];
}

/** Removes one host: processes in its network namespace, the namespace (and veth), its layers. */
export async function removeHost(host: HostRecord): Promise<number> {
  let killed = 0;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const procs = listProcesses().filter((p) => p.netns === host.netnsInode && p.pid !== process.pid);
    if (procs.length === 0 || Date.now() > deadline) break;
    for (const p of procs) {
      try {
        process.kill(p.pid, 'SIGKILL');
        killed++;
      } catch {
        // gone already
      }
    }
    await sleep(100);
  }
  await run('ip', ['netns', 'del', host.netns]);
  await run('ip', ['link', 'del', vethName(host.address)]);
  rmSync(hostDir(host.name), { recursive: true, force: true });
  return killed;
}

/** Removes every trace of a lab; returns what it found. Safe to run when there is none. */
export async function cleanupLab(options: { keepLayers?: boolean } = {}): Promise<Leftovers> {
  const processes = await killLabProcesses();
  const mounts = labMounts();
  for (const m of mounts.reverse()) await run('umount', ['-l', m]);
  const { netns, links } = await removeNetwork();
  if (!options.keepLayers) rmSync(HOSTS_DIR, { recursive: true, force: true });
  removeState();
  return { processes, netns, links, mounts };
}
