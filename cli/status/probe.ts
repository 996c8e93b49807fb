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

export async function runProbe(o: ProbeOptions): Promise<ProbeReport> {
  const inv = await loadInventory(o.inventory);
  const first = inv.devices[0];
  const ref = o.device ?? (first ? `${first.hostname}:${first.port}` : undefined);
  if (!ref)
    throw new UsageError(`the inventory ${inv.name} has no devices to probe`, {
      hint: 'name one: `nms status --probe HOST[:PORT]`, or add one with `nms device add`',
    });
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
    hops.push({
      from: master.name,
      to: 'mariadb',
      what: `look up device ${device.device_id}`,
      ms: Date.now() - t,
      ok: true,
    });
    const candidates = pollersOf(inv, device.poller_group);
    if (!candidates.length)
      throw new NmsError(`no host in the inventory serves poller group ${device.poller_group}`, {
        hint: `add one: \`nms add-poller NAME --address ADDR --group ${device.poller_group}\``,
      });
    const node = candidates.find((h) => h.name !== master.name) ?? candidates[0];
    const n = await connect(node);
    t = Date.now();
    const r = await n.run(`${AGENT_CMD} poll ${device.device_id} --json </dev/null`);
    const cmdMs = Date.now() - t;
    let runs: Array<Record<string, unknown>> | null = null;
    try {
      const parsed = JSON.parse(r.stdout) as unknown;
      // `nms-agent poll --json` prints its runs in order: a discovery first when the device never had one
      runs = (Array.isArray(parsed) ? parsed : [parsed]) as Array<Record<string, unknown>>;
    } catch {
      runs = null;
    }
    if (!runs || runs.length === 0) {
      hops.push({
        from: node.name,
        to: `${device.hostname}:${device.port}`,
        what: 'nms-agent poll',
        ms: cmdMs,
        ok: false,
        detail: (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ') || `exit ${r.code}`,
      });
    } else {
      const seconds = runs.reduce((s, x) => s + (typeof x.seconds === 'number' ? x.seconds : 0), 0);
      hops.push({
        from: node.name,
        to: 'nms-agent',
        what: 'agent start (node runtime, config, connections)',
        ms: Math.max(0, cmdMs - Math.round(seconds * 1000)),
        ok: true,
      });
      for (const run of runs) {
        const kind = String(run.kind ?? 'poll');
        const modules = (Array.isArray(run.modules) ? run.modules : []) as ModuleTimes[];
        const sum = (k: keyof ModuleTimes) =>
          Math.round(modules.reduce((acc, x) => acc + (typeof x[k] === 'number' ? (x[k] as number) : 0), 0));
        const up = run.status === 'up';
        hops.push({
          from: node.name,
          to: `${device.hostname}:${device.port}`,
          what: `${kind}: SNMP (${run.snmpRequests ?? '?'} requests)`,
          ms: sum('snmpMs'),
          ok: up,
          ...(up ? {} : { detail: String(run.error ?? run.status) }),
        });
        hops.push({
          from: node.name,
          to: 'mariadb',
          what: `${kind}: write device and entities`,
          ms: sum('dbMs'),
          ok: true,
        });
        const rrd = run.rrd as { errors?: number; sent?: number } | undefined;
        if (kind === 'poll')
          hops.push({
            from: node.name,
            to: 'rrdcached',
            what: `${kind}: write RRD updates${rrd?.sent !== undefined ? ` (${rrd.sent} commands)` : ''}`,
            ms: sum('rrdMs'),
            ok: !rrd?.errors,
            ...(rrd?.errors ? { detail: `${rrd.errors} refused` } : {}),
          });
      }
    }
    t = Date.now();
    const after = await lookup(m, String(device.device_id));
    const fresh = !!after?.last_polled && (!device.last_polled || after.last_polled !== device.last_polled);
    hops.push({
      from: master.name,
      to: 'mariadb',
      what: 'read back last_polled',
      ms: Date.now() - t,
      ok: fresh,
      detail: after?.last_polled ?? 'never polled',
    });
    return {
      schema: PROBE_SCHEMA,
      ok: hops.every((h) => h.ok),
      device,
      node: node.name,
      hops,
      total_ms: Date.now() - t0,
      runs,
    };
  } finally {
    for (const c of conns.values()) c.close();
  }
}

export function formatProbe(p: ProbeReport): string {
  const l = [
    `probe of ${p.device.hostname}:${p.device.port} (device ${p.device.device_id}, group ${p.device.poller_group}) from ${p.node}: ${p.ok ? 'ok' : 'FAILED'} in ${p.total_ms} ms`,
  ];
  const w = Math.max(...p.hops.map((h) => `${h.from} → ${h.to}`.length));
  for (const h of p.hops)
    l.push(
      `  ${h.ok ? 'ok  ' : 'FAIL'} ${`${h.from} → ${h.to}`.padEnd(w)}  ${String(h.ms).padStart(6)} ms  ${h.what}${h.detail ? `: ${h.detail}` : ''}`,
    );
  return l.join('\n') + '\n';
}
