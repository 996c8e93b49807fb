// `nms status --probe [DEVICE]`: polls one device now, from a node that serves its group, and
// shows the time spent at each hop: the workstation's SSH to that node, the node's SNMP
// requests to the device, its writes to MariaDB and rrdcached, and the master reading back the
// device's new last_polled.
import type { DeviceLookup, ClusterView } from '../../lib/contracts/cluster-view.js';
import { NmsError, UsageError } from '../../lib/errors.js';
import { loadInventory } from '../inventory/load.js';
import type { HostSpec, Inventory } from '../inventory/types.js';
import type { SshHost } from '../ssh/connection.js';
import { shq } from '../ssh/connection.js';
import { AGENT_CMD, parseAgentJson, sshFor } from './collect.js';
import { masterOf } from './status.js';

export const PROBE_SCHEMA = 'nms-probe/1';

export interface ProbeHop {
  from: string;
  to: string;
  what: string;
  ms: number;
  ok: boolean;
  detail?: string;
}

export interface ProbeReport {
  schema: typeof PROBE_SCHEMA;
  ok: boolean;
  device: DeviceLookup;
  node: string;
  hops: ProbeHop[];
  total_ms: number;
  /** The agent's own runs (nms-agent poll --json: a discovery first when there was none, then the poll). */
  runs: Array<Record<string, unknown>> | null;
}

export interface ProbeOptions {
  inventory: string;
  /** Device id, hostname or hostname:port; default the inventory's first device. */
  device?: string;
  strictHostKeys?: boolean;
  onNewHostKey?: (host: string, fingerprint: string) => void;
}

interface ModuleTimes {
  module?: string;
  snmpMs?: number;
  dbMs?: number;
  rrdMs?: number;
}

async function lookup(ssh: SshHost, ref: string): Promise<DeviceLookup | null> {
  const r = await ssh.run(`${AGENT_CMD} cluster-status --json --timeout 2000 --device ${shq(ref)} </dev/null`);
  return parseAgentJson<ClusterView>(r, 'nms-agent-cluster/1', 'nms-agent cluster-status').device ?? null;
}

/** The nodes that poll a group: poller role and the group in distributed_poller_group. */
export function pollersOf(inv: Inventory, group: number): HostSpec[] {
  return inv.hosts.filter((h) => h.roles.includes('poller') && h.agent.distributed_poller_group.includes(group));
}

/** The runs `nms-agent poll --json` printed in order (a discovery first when the device never had one). */
function parseRuns(stdout: string): Array<Record<string, unknown>> | null {
  try {
    const parsed = JSON.parse(stdout) as unknown;
    return (Array.isArray(parsed) ? parsed : [parsed]) as Array<Record<string, unknown>>;
  } catch {
    return null;
  }
}

/** The hops of one agent run: SNMP to the device, then writes to MariaDB and (polls) rrdcached. */
function runHops(node: string, device: DeviceLookup, run: Record<string, unknown>): ProbeHop[] {
  const kind = String(run.kind ?? 'poll');
  const modules = (Array.isArray(run.modules) ? run.modules : []) as ModuleTimes[];
  const sum = (k: keyof ModuleTimes) =>
    Math.round(modules.reduce((acc, x) => acc + (typeof x[k] === 'number' ? (x[k] as number) : 0), 0));
  const up = run.status === 'up';
  const hops: ProbeHop[] = [
    {
      from: node,
      to: `${device.hostname}:${device.port}`,
      what: `${kind}: SNMP (${run.snmpRequests ?? '?'} requests)`,
      ms: sum('snmpMs'),
      ok: up,
      ...(up ? {} : { detail: String(run.error ?? run.status) }),
    },
    { from: node, to: 'mariadb', what: `${kind}: write device and entities`, ms: sum('dbMs'), ok: true },
  ];
  const rrd = run.rrd as { errors?: number; sent?: number } | undefined;
  if (kind === 'poll')
    hops.push({
      from: node,
      to: 'rrdcached',
      what: `${kind}: write RRD updates${rrd?.sent !== undefined ? ` (${rrd.sent} commands)` : ''}`,
      ms: sum('rrdMs'),
      ok: !rrd?.errors,
      ...(rrd?.errors ? { detail: `${rrd.errors} refused` } : {}),
    });
  return hops;
}

/** Runs `nms-agent poll` for the device on `node`; its runs and the hops they took. */
async function pollOn(ssh: SshHost, node: string, device: DeviceLookup) {
  const t = Date.now();
  const r = await ssh.run(`${AGENT_CMD} poll ${device.device_id} --json </dev/null`);
  const cmdMs = Date.now() - t;
  const runs = parseRuns(r.stdout);
  if (!runs || runs.length === 0) {
    const detail = (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ') || `exit ${r.code}`;
    const to = `${device.hostname}:${device.port}`;
    return { runs, hops: [{ from: node, to, what: 'nms-agent poll', ms: cmdMs, ok: false, detail }] };
  }
  const seconds = runs.reduce((s, x) => s + (typeof x.seconds === 'number' ? x.seconds : 0), 0);
  const start: ProbeHop = {
    from: node,
    to: 'nms-agent',
    what: 'agent start (node runtime, config, connections)',
    ms: Math.max(0, cmdMs - Math.round(seconds * 1000)),
    ok: true,
  };
  return { runs, hops: [start, ...runs.flatMap((run) => runHops(node, device, run))] };
}

/** The device to probe: named, or the inventory's first. */
function deviceRef(inv: Inventory, given: string | undefined): string {
  const first = inv.devices[0];
  const ref = given ?? (first ? `${first.hostname}:${first.port}` : undefined);
  if (!ref)
    throw new UsageError(`the inventory ${inv.name} has no devices to probe`, {
      hint: 'name one: `nms status --probe HOST[:PORT]`, or add one with `nms device add`',
    });
  return ref;
}

/** The node to poll from: one that serves the device's group, not the master when another does. */
function pollingNode(inv: Inventory, master: HostSpec, device: DeviceLookup): HostSpec {
  const candidates = pollersOf(inv, device.poller_group);
  if (!candidates.length)
    throw new NmsError(`no host in the inventory serves poller group ${device.poller_group}`, {
      hint: `add one: \`nms add-poller NAME --address ADDR --group ${device.poller_group}\``,
    });
  return candidates.find((h) => h.name !== master.name) ?? candidates[0];
}

export async function runProbe(o: ProbeOptions): Promise<ProbeReport> {
  const inv = await loadInventory(o.inventory);
  const ref = deviceRef(inv, o.device);
  const master = masterOf(inv);
  const hops: ProbeHop[] = [];
  const t0 = Date.now();
  const conns = new Map<string, SshHost>();
  const connect = async (h: HostSpec): Promise<SshHost> => {
    let c = conns.get(h.name);
    if (c) return c;
    c = sshFor(inv, h, o);
    const t = Date.now();
    await c.start();
    conns.set(h.name, c);
    hops.push({ from: 'workstation', to: h.name, what: 'ssh connect', ms: Date.now() - t, ok: true });
    return c;
  };
  try {
    const m = await connect(master);
    let t = Date.now();
    const device = await lookup(m, ref);
    if (!device)
      throw new UsageError(`no device ${JSON.stringify(ref)} in the cluster's database`, {
        hint: "list them with `nms device list`; deploy adds the inventory's devices",
      });
    const what = `look up device ${device.device_id}`;
    hops.push({ from: master.name, to: 'mariadb', what, ms: Date.now() - t, ok: true });
    const node = pollingNode(inv, master, device);
    const polled = await pollOn(await connect(node), node.name, device);
    hops.push(...polled.hops);
    t = Date.now();
    const after = await lookup(m, String(device.device_id));
    const fresh = !!after?.last_polled && (!device.last_polled || after.last_polled !== device.last_polled);
    const detail = after?.last_polled ?? 'never polled';
    hops.push({
      from: master.name,
      to: 'mariadb',
      what: 'read back last_polled',
      ms: Date.now() - t,
      ok: fresh,
      detail,
    });
    const ok = hops.every((h) => h.ok);
    return { schema: PROBE_SCHEMA, ok, device, node: node.name, hops, total_ms: Date.now() - t0, runs: polled.runs };
  } finally {
    for (const c of conns.values()) c.close();
  }
}

export function formatProbe(p: ProbeReport): string {
  const d = p.device;
  const l = [
    `probe of ${d.hostname}:${d.port} (device ${d.device_id}, group ${d.poller_group}) from ${p.node}: ` +
      `${p.ok ? 'ok' : 'FAILED'} in ${p.total_ms} ms`,
  ];
  const w = Math.max(...p.hops.map((h) => `${h.from} → ${h.to}`.length));
  for (const h of p.hops) {
    const where = `${h.from} → ${h.to}`.padEnd(w);
    const what = `${h.what}${h.detail ? `: ${h.detail}` : ''}`;
    l.push(`  ${h.ok ? 'ok  ' : 'FAIL'} ${where}  ${String(h.ms).padStart(6)} ms  ${what}`);
  }
  return l.join('\n') + '\n';
}
