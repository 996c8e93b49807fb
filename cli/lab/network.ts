// The lab's links: bridge nmslab0 in the machine's namespace and, per host, a named network
// namespace joined to the bridge by a veth pair. Hosts get an address and one route: to the
// simulated devices' network (198.19.0.0/16) through the devices host, which answers for all of
// it (a `local` route) and drops what `nms lab device down|snmp-down` names (an nftables set).
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import {
  BRIDGE,
  BRIDGE_CIDR,
  DEVICE_NETWORK,
  DEVICES_ADDRESS,
  PREFIX,
  STATE_DIR,
  netnsName,
  vethName,
} from './plan.js';
import { must, run } from './sys.js';

export async function createBridge(): Promise<void> {
  const exists = await run('ip', ['link', 'show', BRIDGE]);
  if (exists.code !== 0) await must('ip', ['link', 'add', BRIDGE, 'type', 'bridge'], 'creating the lab bridge');
  const addr = await run('ip', ['-4', '-o', 'addr', 'show', 'dev', BRIDGE]);
  if (!addr.stdout.includes(BRIDGE_CIDR))
    await must('ip', ['addr', 'add', BRIDGE_CIDR, 'dev', BRIDGE], 'addressing the lab bridge');
  await must('ip', ['link', 'set', BRIDGE, 'up'], 'bringing the lab bridge up');
  // The machine reaches the devices too (lab up's own SNMP probes, tests); gone with the bridge.
  await must(
    'ip',
    ['route', 'replace', DEVICE_NETWORK, 'via', DEVICES_ADDRESS, 'dev', BRIDGE, 'onlink'],
    'routing the device network',
  );
}

/** The nftables table of the devices host: addresses in @down get nothing, in @snmpdown no SNMP. */
export const DEVICE_FILTER_TABLE = 'nmslab';
const DEVICE_FILTER = `table ip ${DEVICE_FILTER_TABLE} {
  set down { type ipv4_addr; }
  set snmpdown { type ipv4_addr; }
  chain input {
    type filter hook input priority 0; policy accept;
    ip daddr @down drop
    ip daddr @snmpdown udp dport 161 drop
  }
}
`;

/**
 * `ip netns add` makes /run/netns a mount point the first time it runs on a machine. When the
 * lab is what made it, `down` removes it again so /proc/mounts is as before; this mark (in the
 * state dir, so it survives a crash) says so.
 */
const NETNS_MOUNT_MARK = `${STATE_DIR}/netns-mount-made-by-lab`;

function netnsMountCount(): number {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .filter((l) => l.split(' ')[1] === '/run/netns').length;
}

/** Call before the lab's first `ip netns add`. */
export function noteNetnsMount(): void {
  if (netnsMountCount() === 0 && !existsSync(NETNS_MOUNT_MARK)) writeFileSync(NETNS_MOUNT_MARK, 'made by nms lab up\n');
}

/** Unmounts /run/netns when the lab made it and nothing is left in it. */
async function releaseNetnsMount(): Promise<void> {
  if (!existsSync(NETNS_MOUNT_MARK)) return;
  let entries: string[] = [];
  try {
    entries = readdirSync('/run/netns');
  } catch {
    // gone already
  }
  if (entries.length > 0) return; // someone else's namespaces live there now: leave it
  for (let i = 0; i < 5 && netnsMountCount() > 0; i++) await run('umount', ['/run/netns']);
  rmSync(NETNS_MOUNT_MARK, { force: true });
}

// Namespaces are created one at a time: concurrent first-ever `ip netns add` calls can each
// mount /run/netns, stacking mounts that no one removes.
let netnsQueue: Promise<unknown> = Promise.resolve();

/** Creates the host's network namespace and veth, addressed and up; no default route. */
export function createHostNetwork(host: string, address: string, devicesHost = false): Promise<void> {
  const next = netnsQueue.then(() => createHostNetworkNow(host, address, devicesHost));
  netnsQueue = next.catch(() => undefined);
  return next;
}

async function createHostNetworkNow(host: string, address: string, devicesHost: boolean): Promise<void> {
  const ns = netnsName(host);
  const veth = vethName(address);
  await must('ip', ['netns', 'add', ns], `creating network namespace ${ns}`);
  await must(
    'ip',
    ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns],
    `creating the veth of ${host}`,
  );
  await must('ip', ['link', 'set', veth, 'master', BRIDGE, 'up'], `attaching ${host} to the bridge`);
  await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up'], `bringing up loopback in ${host}`);
  await must('ip', ['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0'], `addressing ${host}`);
  await must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up'], `bringing up eth0 in ${host}`);
  if (devicesHost) {
    await must(
      'ip',
      ['-n', ns, 'route', 'add', 'local', DEVICE_NETWORK, 'dev', 'lo'],
      `giving ${host} the device network`,
    );
    await must('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], `the device filter in ${host}`, { input: DEVICE_FILTER });
  } else {
    await must(
      'ip',
      ['-n', ns, 'route', 'add', DEVICE_NETWORK, 'via', DEVICES_ADDRESS],
      `routing ${host} to the devices`,
    );
  }
}

/** Named network namespaces of the lab (from /run/netns, where `ip netns` keeps them). */
export function labNetns(): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(`${PREFIX}-`));
  } catch {
    return [];
  }
}

/** Links in the machine's namespace that belong to the lab (the bridge and veth ends). */
export async function labLinks(): Promise<string[]> {
  const r = await run('ip', ['-o', 'link', 'show']);
  const names: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^\d+: ([^:@\s]+)/.exec(line);
    if (m && m[1].startsWith(PREFIX)) names.push(m[1]);
  }
  return names;
}

/** Deletes every lab namespace and link; returns what it removed. Safe when none exist. */
export async function removeNetwork(): Promise<{ netns: string[]; links: string[] }> {
  const netns = labNetns();
  for (const ns of netns) await run('ip', ['netns', 'del', ns]);
  // Deleting a namespace takes its veth end with it; the peers and the bridge remain.
  const links = await labLinks();
  for (const link of links.filter((l) => l !== BRIDGE)) await run('ip', ['link', 'del', link]);
  if (links.includes(BRIDGE)) await run('ip', ['link', 'del', BRIDGE]);
  await releaseNetnsMount();
  return { netns, links };
}
