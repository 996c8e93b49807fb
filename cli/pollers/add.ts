// `nms add-poller`: grow the cluster by one host. The host goes into the inventory first
// (validated, with a generated db password), then SSH and its host key are checked, then the
// deploy engine runs for the new host and the master hosts (its database account and the
// firewall there), and finally the master is watched until the new agent registers and polls.
// A host that fails validation or SSH is taken out of the inventory again; a failed deploy
// leaves it in and says how to finish or undo.
import { DeployError, InventoryError, NmsError, UsageError } from '../../lib/errors.js';
import { loadInventory, type RawHost } from '../inventory/load.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOSTS_FILE, SECRETS_FILE } from '../inventory/load.js';
import { addHost, writeFileAtomic } from '../inventory/write.js';
import type { HostSpec, Inventory, Role } from '../inventory/types.js';
import { deploy, type HostResult } from '../deploy/runner.js';
import { AGENT_CMD, parseAgentJson, sshFor } from '../status/collect.js';
import type { DoctorReport } from '../../lib/contracts/doctor.js';
import { waitForJoin, type WaitResult } from './wait.js';

export interface AddPollerOptions {
  inventory: string;
  name: string;
  address: string;
  /** Poller groups it serves. Default [0]. */
  groups?: number[];
  /** Agent roles. Default ['poller', 'discovery']. */
  roles?: Role[];
  sshUser?: string;
  sshPort?: number;
  sshKey?: string;
  /** Do not wait for the agent to register and poll. Default false. */
  noWait?: boolean;
  /** How long to wait for the first poll. Default: the host's poller frequency + 120 s. */
  waitTimeoutMs?: number;
  strictHostKeys?: boolean;
  /** Progress lines for a person. */
  onProgress?: (message: string) => void;
  /** Path of the agent bundle to push (tests); default as `nms deploy`. */
  agentBundlePath?: string;
}

export interface AddPollerResult {
  name: string;
  address: string;
  groups: number[];
  /** Fingerprint of its host key when it was recorded now (null when already known). */
  newHostKey: string | null;
  deploy: Array<Pick<HostResult, 'host' | 'status' | 'changed' | 'error'>>;
  wait: WaitResult | null;
  /** Its groups have devices to poll. */
  hasDevices: boolean;
}

export const AGENT_ONLY_ROLES: readonly Role[] = ['poller', 'discovery', 'ping'];

/** The hosts that run the cluster's services: the ones a new poller needs changes on. */
export function masterHosts(inv: Inventory): string[] {
  return [...new Set(Object.values(inv.services).map((h) => h.name))];
}

/** Keeps hosts.yaml and secrets.yaml byte for byte; the returned function puts them back. */
export function snapshotInventory(dir: string): () => void {
  const hosts = readFileSync(join(dir, HOSTS_FILE), 'utf8');
  const secrets = readFileSync(join(dir, SECRETS_FILE), 'utf8');
  return () => {
    writeFileAtomic(join(dir, HOSTS_FILE), hosts);
    writeFileAtomic(join(dir, SECRETS_FILE), secrets, 0o600);
  };
}

export async function addPoller(o: AddPollerOptions): Promise<AddPollerResult> {
  const say = o.onProgress ?? (() => {});
  const roles = o.roles ?? ['poller', 'discovery'];
  const bad = roles.filter((r) => !AGENT_ONLY_ROLES.includes(r));
  if (bad.length)
    throw new UsageError(`--roles takes poller, discovery and ping only (got ${bad.join(', ')})`, {
      hint: 'the cluster services (web, mariadb, redis, ...) stay on the master',
    });
  const groups = o.groups ?? [0];
  // 1. the inventory, validated as a whole; undone (byte for byte) when it does not validate
  const { inv, host, restore } = await addToInventory(o, roles, groups);
  say(`${o.name} added to ${inv.name}/hosts.yaml (database password generated in secrets.yaml)`);
  // 2. SSH and the host key (accept-new: the fingerprint is shown)
  const newHostKey = await checkSsh(o, inv, host, restore, say);
  // 3. deploy the new host and what the master needs for it
  const limit = [...new Set([...masterHosts(inv), o.name])];
  const summary = await deployFor(o, inv, limit, say);
  // 4. wait for its agent to register and do its first job
  const hasDevices = inv.devices.some((d) => groups.includes(d.poller_group));
  const wait = o.noWait ? null : await waitForAgent(o, inv, host, { limit, hasDevices, say });
  return { name: o.name, address: host.address, groups, newHostKey, deploy: summary, wait, hasDevices };
}

async function addToInventory(
  o: AddPollerOptions,
  roles: Role[],
  groups: number[],
): Promise<{ inv: Inventory; host: HostSpec; restore: () => void }> {
  const before = await loadInventory(o.inventory);
  const raw: RawHost = { address: o.address, roles, agent: { distributed_poller_group: groups } };
  if (o.sshUser !== undefined || o.sshPort !== undefined || o.sshKey !== undefined)
    raw.ssh = {
      ...(o.sshUser !== undefined ? { user: o.sshUser } : {}),
      ...(o.sshPort !== undefined ? { port: o.sshPort } : {}),
      ...(o.sshKey !== undefined ? { key: o.sshKey } : {}),
    };
  const restore = snapshotInventory(before.dir);
  addHost(before.dir, o.name, raw);
  let inv: Inventory;
  try {
    inv = await loadInventory(o.inventory);
  } catch (err) {
    restore();
    if (err instanceof InventoryError)
      throw new InventoryError(err.problems.map((p) => ({ ...p, message: `${p.message} (${o.name} was not added)` })));
    throw err;
  }
  return { inv, host: inv.hosts.find((h) => h.name === o.name) as HostSpec, restore };
}

/** Connects once; the fingerprint of a newly recorded host key, or null when it was known. */
async function checkSsh(
  o: AddPollerOptions,
  inv: Inventory,
  host: HostSpec,
  restore: () => void,
  say: (m: string) => void,
): Promise<string | null> {
  let newHostKey: string | null = null;
  const ssh = sshFor(inv, host, {
    strictHostKeys: o.strictHostKeys,
    onNewHostKey: (_h, fp) => {
      newHostKey = fp;
      say(`new host key of ${o.name} (${host.address}) recorded in known_hosts: ${fp}`);
    },
  });
  try {
    await ssh.start();
    const r = await ssh.run('uname -sr');
    say(`ssh ${host.ssh.user}@${host.address}:${host.ssh.port} ok (${r.stdout.trim()})`);
  } catch (err) {
    restore();
    throw new NmsError(`cannot reach ${o.name} over SSH: ${(err as Error).message}`, {
      hint:
        `${o.name} was taken out of the inventory again; check the address, --ssh-user/--ssh-port/--ssh-key ` +
        'and that the key is in its authorized_keys',
      cause: err,
    });
  } finally {
    ssh.close();
  }
  return newHostKey;
}

type DeploySummary = AddPollerResult['deploy'];

async function deployFor(
  o: AddPollerOptions,
  inv: Inventory,
  limit: string[],
  say: (m: string) => void,
): Promise<DeploySummary> {
  say(`deploying ${limit.join(', ')} ...`);
  const res = await deploy({
    inventory: inv,
    limit,
    strictHostKeys: o.strictHostKeys,
    agentBundlePath: o.agentBundlePath,
    onEvent: (h, m) => say(`  [${h}] ${m}`),
  });
  const summary = summarise(res.hosts);
  const failed = res.hosts.filter((h) => h.status === 'failed' || h.status === 'unreachable');
  if (failed.length)
    throw new DeployError(
      `deploy for ${o.name} failed: ${failed.map((h) => `${h.host}: ${h.error ?? h.status}`).join('; ')}`,
      {
        hint:
          `${o.name} stays in the inventory: fix the cause and run ` +
          `\`nms deploy -i ${o.inventory} --limit ${limit.join(',')}\`, ` +
          `or undo with \`nms remove-poller ${o.name} --force -i ${o.inventory}\``,
      },
    );
  const done = summary.map((h) => `${h.host} ${h.status}${h.changed ? ` (${h.changed} changed)` : ''}`);
  say(`deploy done: ${done.join(', ')}`);
  return summary;
}

/** The deploy's result per host, as add-poller and remove-poller report it. */
export function summarise(hosts: HostResult[]): DeploySummary {
  return hosts.map((h) => ({
    host: h.host,
    status: h.status,
    changed: h.changed,
    ...(h.error ? { error: h.error } : {}),
  }));
}

/** Watches the master until the new agent registered (and polled, when it has devices). */
async function waitForAgent(
  o: AddPollerOptions,
  inv: Inventory,
  host: HostSpec,
  w: { limit: string[]; hasDevices: boolean; say: (m: string) => void },
): Promise<WaitResult> {
  const { say, hasDevices } = w;
  const timeoutMs = o.waitTimeoutMs ?? (host.agent.service_poller_frequency + 120) * 1000;
  const master = sshFor(inv, inv.services.web, { strictHostKeys: o.strictHostKeys });
  await master.start();
  let wait: WaitResult;
  try {
    const what = hasDevices ? ' and poll its first device' : '';
    say(`waiting up to ${Math.round(timeoutMs / 1000)} s for ${o.name}'s agent to register${what} ...`);
    wait = await waitForJoin(master, o.name, {
      timeoutMs,
      registeredIsEnough: !hasDevices,
      onStage: (stage, ms) =>
        say(
          stage === 'registered'
            ? `${o.name} registered after ${(ms / 1000).toFixed(1)} s`
            : `${o.name} polled its first device after ${(ms / 1000).toFixed(1)} s`,
        ),
    });
  } finally {
    master.close();
  }
  if (wait.refusing)
    throw new NmsError(`${o.name} registered but refuses work: ${wait.refusing}`, {
      hint: `read /var/log/nms/agent.log on ${o.name}; \`nms status -i ${o.inventory}\` names the fix`,
    });
  const goal = hasDevices ? 'polling' : 'registered';
  if (wait.stage !== goal && !(goal === 'registered' && wait.stage === 'polling')) {
    const why = await doctorFailures(inv, host, o.strictHostKeys);
    const state = wait.stage === 'waiting' ? 'its agent has not registered' : 'has not polled a device yet';
    const detail = `${wait.lastError ? ` (${wait.lastError})` : ''}${why ? `; its doctor says: ${why}` : ''}`;
    throw new NmsError(`${o.name} was deployed but ${state} after ${Math.round(timeoutMs / 1000)} s${detail}`, {
      hint:
        `it stays in the inventory; \`nms status -i ${o.inventory}\` says what is wrong, ` +
        `\`nms deploy -i ${o.inventory} --limit ${w.limit.join(',')}\` repairs settings, grants and firewall`,
    });
  }
  return wait;
}

/** The failing checks of `nms-agent doctor` on the host, in one line (empty when it cannot tell). */
async function doctorFailures(inv: Inventory, host: HostSpec, strictHostKeys?: boolean): Promise<string> {
  const ssh = sshFor(inv, host, { strictHostKeys });
  try {
    await ssh.start();
    const r = await ssh.run(`${AGENT_CMD} doctor --json --timeout 1500 </dev/null`);
    const d = parseAgentJson<DoctorReport>(r, 'nms-agent-doctor/1', 'nms-agent doctor');
    return d.checks
      .filter((c) => !c.ok && !c.detail.startsWith('not checked'))
      .map((c) => `${c.name}: ${c.detail}`)
      .join('; ');
  } catch {
    return '';
  } finally {
    ssh.close();
  }
}
