// The lab's commands as plain async functions that return data (cli/commands/lab.ts prints):
// up, down, status, add-host and exec. See docs/lab.md for what a lab host is made of.
import { spawn } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LabError, UsageError } from '../../lib/errors.js';
import { repoRoot } from '../../lib/repo-root.js';
import { cleanupLab, findLeftovers, labProcesses, removeHost, type Leftovers } from './cleanup.js';
import { mkdirLike, nsenterArgs, startHost, tcpOpen, waitForSsh, writeInitScript, type HostRecord } from './host.js';
import { applyDeviceAction, type DeviceAction, type LabDevicesResult } from './devices.js';
import { knownHostsText, writeInventory } from './inventory.js';
import { createBridge, noteNetnsMount } from './network.js';
import {
  ALL_KNOWN_HOSTS,
  KEY_PATH,
  STATE_DIR,
  checkHostName,
  checkShape,
  nextExtraAddress,
  planHosts,
  type HostPlan,
} from './plan.js';
import { simulatorMissing, stageSimulator, startSimulator } from './simulator.js';
import { readState, sameProcess, withLock, writeState, type LabState } from './state.js';
import { checkRequirements, must, nsInode } from './sys.js';

export interface LabUpOptions {
  /** Number of poller hosts (poller1…pollerN). Default 2. */
  pollers?: number;
  /** Number of simulated SNMP devices on the devices host. Default 20. */
  devices?: number;
  /** Where to write the inventory. Default `<repo>/inventories/lab`. */
  inventory?: string;
}
export const DEFAULT_LAB_UP: Required<Omit<LabUpOptions, 'inventory'>> = { pollers: 2, devices: 20 };

/** Reports the steps of a long command; the CLI renders them (listr2 or plain lines). */
export interface Progress {
  step<T>(title: string, fn: () => Promise<T>): Promise<T>;
  note(text: string): void;
}
const quiet: Progress = { step: (_t, fn) => fn(), note: () => undefined };

export interface LabUpResult {
  /** True when the lab was already up and nothing was done. */
  already: boolean;
  pollers: number;
  devices: number;
  inventory: string;
  hosts: { name: string; address: string }[];
  simulator: { running: boolean; devices: number; note?: string };
  /** What an earlier, crashed or interrupted lab had left and this run removed. */
  cleaned: Leftovers;
  seconds: number;
}

/** True when every recorded host's init is the very process `up` started, in its namespace. */
function running(state: LabState): boolean {
  return state.hosts.every(
    (h) => sameProcess(h.initPid, h.initStart) && nsInode(`/run/netns/${h.netns}`) === h.netnsInode,
  );
}

const INVENTORY_FILES = ['hosts.yaml', 'devices.yaml', 'secrets.yaml', 'known_hosts'];

/**
 * A running lab keeps its secrets: asked for its inventory somewhere else (another clone), or
 * after the files were removed, `up` copies the one it wrote, or writes it anew if it is gone.
 * Returns true when the state's inventory path changed.
 */
function ensureInventory(state: LabState, inventory: string): boolean {
  if (INVENTORY_FILES.every((f) => existsSync(join(inventory, f)))) {
    if (inventory === state.inventory) return false;
  } else if (inventory !== state.inventory && INVENTORY_FILES.every((f) => existsSync(join(state.inventory, f)))) {
    mkdirSync(inventory, { recursive: true });
    for (const f of INVENTORY_FILES) copyFileSync(join(state.inventory, f), join(inventory, f));
    chmodSync(join(inventory, 'secrets.yaml'), 0o600);
  } else {
    writeInventory(inventory, state.hosts, state.devices);
  }
  state.inventory = inventory;
  return true;
}

async function sshAnswers(state: LabState): Promise<boolean> {
  return (await Promise.all(state.hosts.map((h) => tcpOpen(h.address, 22, 1000)))).every(Boolean);
}

async function ensureKey(): Promise<string> {
  if (!existsSync(KEY_PATH))
    await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'nms-lab', '-f', KEY_PATH], 'making the lab key');
  return readFileSync(`${KEY_PATH}.pub`, 'utf8');
}

export async function labUp(options: LabUpOptions = {}, progress: Progress = quiet): Promise<LabUpResult> {
  const pollers = options.pollers ?? DEFAULT_LAB_UP.pollers;
  const devices = options.devices ?? DEFAULT_LAB_UP.devices;
  checkShape(pollers, devices);
  checkRequirements();
  const inventory = resolve(options.inventory ?? join(repoRoot(), 'inventories', 'lab'));
  const began = Date.now();
  return withLock(async () => {
    const previous = readState();
    if (previous && running(previous) && (await sshAnswers(previous))) {
      if (previous.pollers !== pollers || previous.devices !== devices) {
        throw new LabError(`the lab is already up with ${previous.pollers} pollers and ${previous.devices} devices`, {
          hint: 'run `nms lab down` first to build it with another size',
        });
      }
      const sim = previous.simulator;
      if (sim && !sameProcess(sim.pid, sim.start)) {
        // A stopped simulator (a test may kill it on purpose) is restarted; the hosts are kept.
        const host = previous.hosts.find((h) => h.kind === 'devices')!;
        previous.simulator = await progress.step(`Restarting the simulator: ${sim.devices} devices`, () =>
          startSimulator(host, sim.devices, sim.bundle),
        );
        writeState(previous);
      }
      if (ensureInventory(previous, inventory)) writeState(previous);
      return result(previous, true, { processes: [], netns: [], links: [], mounts: [] }, began);
    }
    const cleaned = await progress.step('Removing what an earlier lab left', () => cleanupLab());
    mkdirSync(STATE_DIR, { recursive: true, mode: 0o755 });
    const labKey = await progress.step('Lab key', ensureKey);
    writeInitScript();
    noteNetnsMount();
    await progress.step('Bridge nmslab0 198.18.0.1/24', createBridge);
    const plan = planHosts(pollers);
    const bundle = join(repoRoot(), 'dist', 'nms-simulator.mjs');
    const missing = simulatorMissing(bundle);
    const withSimulator = devices > 0 && !missing;
    if (withSimulator) stageSimulator(bundle, mkdirLike);
    const state: LabState = { version: 1, createdAt: new Date().toISOString(), pollers, devices, inventory, hosts: [] };
    // Recorded as soon as hosts exist, so an interrupted run is found and cleaned next time.
    state.hosts = await progress.step(`Hosts ${plan.map((h) => h.name).join(', ')}`, () =>
      Promise.all(plan.map((h) => startHost(h, labKey, plan))),
    );
    writeState(state);
    await progress.step('sshd in every host', () => Promise.all(state.hosts.map((h) => waitForSsh(h))));
    let simulatorNote: string | undefined;
    if (withSimulator) {
      const host = state.hosts.find((h) => h.kind === 'devices')!;
      state.simulator = await progress.step(
        `Simulator: ${devices} devices on 198.19.0.0/16 (each its own address)`,
        () => startSimulator(host, devices, bundle),
      );
      writeState(state);
    } else if (devices > 0 && missing) {
      simulatorNote = missing;
      progress.note(simulatorNote);
    }
    await progress.step(`Inventory ${inventory}`, async () => {
      writeInventory(inventory, state.hosts, devices);
      writeFileSync(ALL_KNOWN_HOSTS, knownHostsText(state.hosts));
    });
    const out = result(state, false, cleaned, began);
    if (simulatorNote) out.simulator.note = simulatorNote;
    return out;
  });
}

function result(state: LabState, already: boolean, cleaned: Leftovers, began: number): LabUpResult {
  return {
    already,
    pollers: state.pollers,
    devices: state.devices,
    inventory: state.inventory,
    hosts: state.hosts.map((h) => ({ name: h.name, address: h.address })),
    simulator: { running: !!state.simulator, devices: state.simulator?.devices ?? 0 },
    cleaned,
    seconds: Math.round((Date.now() - began) / 100) / 10,
  };
}

export interface LabDownResult {
  /** False when there was nothing to remove. */
  removed: boolean;
  found: Leftovers;
}

export async function labDown(): Promise<LabDownResult> {
  checkRequirements();
  return withLock(async () => {
    const found = await cleanupLab();
    const removed = found.processes.length + found.netns.length + found.links.length + found.mounts.length > 0;
    return { removed, found };
  });
}

export interface HostStatus {
  name: string;
  address: string;
  kind: string;
  netns: string;
  netnsInode: number;
  initPid: number;
  running: boolean;
  ssh: boolean;
}

export interface LabStatus {
  up: boolean;
  /** Up with every host running and answering ssh (and the simulator running, if any). */
  healthy: boolean;
  pollers?: number;
  devices?: number;
  inventory?: string;
  keyPath: string;
  hosts: HostStatus[];
  simulator?: { running: boolean; pid: number; devices: number; rssKiB?: number };
  /** Resident memory of every process in the lab (hosts' inits, sshd, services, simulator). */
  rssKiB: number;
  /** Lab processes, namespaces, links and mounts on the machine (all of them, ours or stray). */
  present: Leftovers;
}

function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export async function labStatus(): Promise<LabStatus> {
  checkRequirements();
  const state = readState();
  const present = await findLeftovers();
  const hosts: HostStatus[] = await Promise.all(
    (state?.hosts ?? []).map(async (h) => {
      const alive = sameProcess(h.initPid, h.initStart) && nsInode(`/run/netns/${h.netns}`) === h.netnsInode;
      return {
        name: h.name,
        address: h.address,
        kind: h.kind,
        netns: h.netns,
        netnsInode: h.netnsInode,
        initPid: h.initPid,
        running: alive,
        ssh: alive && (await tcpOpen(h.address, 22, 1000)),
      };
    }),
  );
  const sim = state?.simulator;
  const simulator = sim && {
    running: sameProcess(sim.pid, sim.start),
    pid: sim.pid,
    devices: sim.devices,
    rssKiB: rssKiB(sim.pid),
  };
  const up = !!state && hosts.length > 0;
  return {
    up,
    healthy: up && hosts.every((h) => h.running && h.ssh) && (!simulator || simulator.running),
    pollers: state?.pollers,
    devices: state?.devices,
    inventory: state?.inventory,
    keyPath: KEY_PATH,
    hosts,
    simulator,
    rssKiB: labProcesses().reduce((sum, p) => sum + rssKiB(p.pid), 0),
    present,
  };
}

function upState(): LabState {
  const state = readState();
  if (!state || !running(state)) throw new LabError('the lab is not up', { hint: 'run `nms lab up` first' });
  return state;
}

/** Adds a host that is not in the inventory (for add-poller and firewall tests). */
export async function labAddHost(name: string, progress: Progress = quiet): Promise<HostRecord> {
  checkHostName(name);
  checkRequirements();
  return withLock(async () => {
    const state = upState();
    if (state.hosts.some((h) => h.name === name)) throw new UsageError(`the lab already has a host named ${name}`);
    const plan: HostPlan = { name, address: nextExtraAddress(state.hosts.map((h) => h.address)), kind: 'extra' };
    const labKey = readFileSync(`${KEY_PATH}.pub`, 'utf8');
    const record = await progress.step(`Host ${name} at ${plan.address}`, () =>
      startHost(plan, labKey, [...state.hosts, plan]),
    );
    state.hosts.push(record);
    writeState(state);
    await progress.step(`sshd in ${name}`, () => waitForSsh(record));
    appendFileSync(ALL_KNOWN_HOSTS, knownHostsText([record]));
    return record;
  });
}

/** Removes an extra host made by add-host: its processes, namespace, link and layers. */
export async function labRemoveHost(name: string): Promise<{ removed: string; processes: number }> {
  checkRequirements();
  return withLock(async () => {
    const state = upState();
    const record = state.hosts.find((h) => h.name === name);
    if (!record) throw new UsageError(`the lab has no host named ${name}`);
    if (record.kind !== 'extra')
      throw new UsageError(`${name} is part of the lab's plan, not an extra host`, {
        hint: 'use `nms lab down` to remove the whole lab',
      });
    const processes = await removeHost(record);
    state.hosts = state.hosts.filter((h) => h !== record);
    writeState(state);
    writeFileSync(ALL_KNOWN_HOSTS, knownHostsText(state.hosts));
    return { removed: name, processes };
  });
}

/** Runs argv inside a host with the caller's terminal; resolves to its exit code. */
export async function labExec(host: string, argv: string[]): Promise<number> {
  if (argv.length === 0)
    throw new UsageError('nothing to run: give a command after --, e.g. nms lab exec master -- hostname');
  checkRequirements();
  const record = upState().hosts.find((h) => h.name === host);
  if (!record)
    throw new UsageError(`the lab has no host named ${host}`, { hint: 'see `nms lab status` for its hosts' });
  return new Promise((resolveCode, reject) => {
    const child = spawn('nsenter', nsenterArgs(record, argv), { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      resolveCode(
        code ?? 128 + (signal ? (({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1) : 1),
      ),
    );
  });
}

/** `nms lab device ACTION n…`: makes simulated devices unreachable or SNMP-silent (cli/lab/devices.ts). */
export async function labDevice(action: DeviceAction, refs: string[]): Promise<LabDevicesResult> {
  checkRequirements();
  const state = upState();
  if (!state.simulator)
    throw new LabError('the lab has no simulated devices', { hint: 'run `nms lab down` and `nms lab up --devices N`' });
  return applyDeviceAction(action, refs, state.devices);
}
