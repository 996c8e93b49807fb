// `nms-agent probe`: discovery and one poll of a device that need not be in the database,
// writing nowhere. Runs every collector of the list (COLLECTORS) once as discovery does, with
// the OS detected from the definitions and its modules (os, processors, mempools, storage,
// sensors: what they would store) after system; then a poll of ports (with LibreNMS's
// _prev/_delta/_rate from the two readings) and ucd-diskio. Each module's findings are rows of
// LibreNMS's tables; a collector without a mapping to them (`tables`) is shown as its record.
import {
  COLLECTORS,
  portsCollector,
  portStatsCollector,
  runCollector,
  type Collector,
  type PortRecord,
  type SystemRecord,
} from '../collectors/index.js';
import { definitions } from '../definitions/loader.js';
import { sessionReader } from '../definitions/reader.js';
import type { OsDefinition } from '../definitions/types.js';
import { namedPorts } from '../modules/port-names.js';
import { definitionRows } from '../modules/probe-rows.js';
import { ucdDiskioCollector } from '../collectors/ucd-diskio.js';
import { SnmpError } from '../snmp/errors.js';
import { SnmpSession } from '../snmp/session.js';
import type { SnmpTarget } from '../snmp/types.js';
import { PORT_COUNTERS } from '../collectors/port-counters.js';
import { unorderedWalk } from '../modules/tables.js';

export interface ProbeModule {
  module: string;
  phase: 'discovery' | 'poll';
  status: 'ok' | 'error';
  /** SNMP time plus processing, ms. */
  ms: number;
  varbinds: number;
  /** Rows by LibreNMS table name. */
  tables?: Record<string, unknown[]>;
  /** The collector's own record, for collectors that give no tables. */
  record?: unknown;
  error?: string;
}

export interface ProbeResult {
  target: { host: string; port: number; version: string };
  status: 'up' | 'down';
  error?: string;
  seconds: number;
  snmpRequests: number;
  modules: ProbeModule[];
}

export interface ProbeOptions {
  timeoutMs?: number;
  retries?: number;
  /** Seconds between the discovery reading and the poll's (rates need some). Default 0. */
  intervalS?: number;
}

export async function runProbe(target: SnmpTarget, o: ProbeOptions = {}): Promise<ProbeResult> {
  const t0 = performance.now();
  const res: ProbeResult = {
    target: { host: target.host, port: target.port ?? 161, version: target.version },
    status: 'up',
    seconds: 0,
    snmpRequests: 0,
    modules: [],
  };
  const session = new SnmpSession(target, { timeoutMs: o.timeoutMs ?? 2000, retries: o.retries ?? 1 });
  try {
    const ports = await discovery(session, res.modules);
    if ((o.intervalS ?? 0) > 0) await new Promise((r) => setTimeout(r, o.intervalS! * 1000));
    const bits = ports.some((p) => p.counterBits === 64) ? 64 : 32;
    const polled = await probeModule(session, portStatsCollector(bits), 'poll');
    res.modules.push({
      ...polled,
      record: undefined,
      tables:
        polled.status === 'ok'
          ? { ports: pollRows(ports, polled.record as PortRecord[], o.intervalS ?? 0) }
          : undefined,
    });
    res.modules.push(
      withTables(ucdDiskioCollector as Collector<unknown>, await probeModule(session, ucdDiskioCollector, 'poll')),
    );
  } catch (err) {
    if (!(err instanceof SnmpError)) throw err;
    res.status = 'down';
    res.error = err.message;
  } finally {
    res.snmpRequests = session.requests;
    session.close();
  }
  res.seconds = Math.round(performance.now() - t0) / 1000;
  return res;
}

/**
 * Discovery as the poller runs it: system, the OS and the definition modules (os, processors,
 * mempools, storage, sensors), then the other collectors, ports named as the OS names them.
 * Returns the ports found.
 */
async function discovery(session: SnmpSession, out: ProbeModule[]): Promise<PortRecord[]> {
  const found = new Map<string, unknown>();
  let def: OsDefinition | undefined;
  for (const c of COLLECTORS) {
    const m = await probeModule(
      session,
      c.name === 'ports' ? namedPorts(portsCollector, def, definitions()) : c,
      'discovery',
    );
    if (m.status === 'ok') found.set(c.name, m.record);
    out.push(withTables(c, m));
    if (c.name === 'system' && m.status === 'ok') {
      const d = await definitionRows(sessionReader(session), m.record as SystemRecord, isFatal);
      def = d.def;
      out.push(...d.rows.map((r) => ({ ...r, phase: 'discovery' as const })));
    }
  }
  const ports = (found.get('ports') ?? []) as PortRecord[];
  onKnownPorts(out, ports);
  return ports;
}

/** The device's silence or refusal ends the probe; any other failure is the module's own. */
const isFatal = (err: unknown) => err instanceof SnmpError && DEVICE_FAILURES.has(err.failure);

async function probeModule(
  session: SnmpSession,
  c: Collector<unknown>,
  phase: ProbeModule['phase'],
): Promise<ProbeModule> {
  const t = performance.now();
  try {
    const run = await runCollector(session, c).catch(async (err: unknown) => {
      // a table served out of order: the same fallback as discovery's (GETNEXT, any order)
      if (!(err instanceof SnmpError) || err.failure !== 'walk') throw err;
      const columns = await unorderedWalk(async (oid) => (await session.getNext([oid]))[0] ?? null, c.columns ?? []);
      let varbinds = 0;
      for (const rows of columns.values()) varbinds += rows.size;
      const record = c.process({ scalars: new Map(), columns });
      return { record, snmpMs: performance.now() - t, processMs: 0, varbinds };
    });
    return {
      module: c.name,
      phase,
      status: 'ok',
      ms: round1(run.snmpMs + run.processMs),
      varbinds: run.varbinds,
      record: run.record,
    };
  } catch (err) {
    // the device's silence or refusal ends the probe; a module's own failure (a walk that
    // loops, a value process() cannot read) is reported and the others still run
    if (isFatal(err)) throw err;
    return {
      module: c.name,
      phase,
      status: 'error',
      ms: round1(performance.now() - t),
      varbinds: 0,
      error: (err as Error).message,
    };
  }
}

const DEVICE_FAILURES = new Set(['timeout', 'aborted', 'auth']);

function withTables(c: Collector<unknown>, m: ProbeModule): ProbeModule {
  if (m.status !== 'ok') return m;
  // the mappings below know these collectors' records as they are today: a record of another
  // shape (a collector rewritten without `tables`) is shown as it is
  const legacy = LEGACY[c.name];
  const rowLike = (x: unknown) => typeof x === 'object' && x !== null && ('index' in x || 'ifIndex' in x);
  const known = Array.isArray(m.record) ? m.record.every(rowLike) : c.name === 'system';
  const tables = c.tables?.(m.record) ?? (legacy && known ? legacy(m.record) : undefined);
  return tables ? { ...m, record: undefined, tables } : m;
}

/** LibreNMS's rows for the collectors that predate `tables` (their records' own field names). */
const LEGACY: Partial<Record<string, (r: unknown) => Record<string, unknown[]>>> = {
  system: (r) => {
    const s = r as SystemRecord;
    const sysObjectID = s.sysObjectID ? `.${s.sysObjectID}` : null;
    const { sysName, sysDescr, sysContact, sysLocation: location, uptime } = s;
    return { devices: [{ sysName, sysDescr, sysObjectID, sysContact, location, uptime }] };
  },
  ports: (r) => ({ ports: (r as PortRecord[]).map(portRow) }),
};

function portRow(p: PortRecord): Record<string, unknown> {
  const { counters, counterBits: _bits, ...rest } = p;
  return { ...rest, ...Object.fromEntries(PORT_COUNTERS.map((c) => [c, counters[c]])) };
}

/** The poll's ports rows: each counter with LibreNMS's _prev, _delta and _rate against discovery's reading. */
function pollRows(before: PortRecord[], after: PortRecord[], seconds: number): Record<string, unknown>[] {
  const prev = new Map(before.map((p) => [p.ifIndex, p]));
  return after.map((p) => {
    const b = prev.get(p.ifIndex);
    const row: Record<string, unknown> = {
      ifIndex: p.ifIndex,
      ifAdminStatus: p.ifAdminStatus,
      ifOperStatus: p.ifOperStatus,
      ifSpeed: p.ifSpeed,
    };
    for (const c of PORT_COUNTERS) {
      const now = p.counters[c] ?? b?.counters[c] ?? null;
      const was = b?.counters[c] ?? null;
      const delta = now !== null && was !== null && now >= was ? now - was : null;
      const rate = delta !== null && seconds > 0 ? delta / BigInt(Math.round(seconds)) : null;
      Object.assign(row, { [c]: now, [`${c}_prev`]: was, [`${c}_delta`]: delta, [`${c}_rate`]: rate });
    }
    return row;
  });
}

/** IPv4 addresses on interfaces that are not ports are left out, as discovery leaves them out of the database. */
function onKnownPorts(modules: ProbeModule[], ports: PortRecord[]): void {
  const known = new Set(ports.map((p) => p.ifIndex));
  for (const m of modules) {
    const rows = m.tables?.ipv4_addresses as { ifIndex: number }[] | undefined;
    if (rows) m.tables!.ipv4_addresses = rows.filter((r) => known.has(r.ifIndex));
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** JSON of a probe result: bigints as numbers while exact, digits beyond. */
export function probeJson(r: ProbeResult): string {
  const exact = (v: bigint) => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString());
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? exact(v) : v), 2);
}

export function formatProbe(r: ProbeResult): string {
  const t = r.target;
  const head =
    `probe of ${t.host}:${t.port} (${t.version}): ${r.status} in ${r.seconds.toFixed(2)} s, ` +
    `${r.snmpRequests} SNMP requests\n`;
  const lines = r.modules.map((m) => {
    const counts =
      m.tables &&
      Object.entries(m.tables)
        .map(([name, rows]) => `${name}: ${rows.length} rows`)
        .join(', ');
    const what = counts ?? (m.status === 'ok' ? 'record (no table mapping)' : '');
    const error = m.error ? `  ${m.error}` : '';
    return `  ${m.phase.padEnd(9)} ${m.module.padEnd(19)} ${m.status.padEnd(5)} ${what}${error}\n`;
  });
  const sys = r.modules.find((m) => m.module === 'system')?.tables?.devices?.[0] as Record<string, unknown> | undefined;
  const descr = String(sys?.sysDescr).split('\n')[0];
  const id = sys
    ? `  sysName ${String(sys.sysName)}, sysObjectID ${String(sys.sysObjectID)}\n` + `  sysDescr ${descr}\n`
    : '';
  const os = r.modules.find((m) => m.module === 'os')?.tables?.devices?.[0] as Record<string, unknown> | undefined;
  const show = (v: unknown) => (v === null || v === undefined || v === '' ? '-' : String(v));
  const osLine = os
    ? `  os ${show(os.os)}, hardware ${show(os.hardware)}, version ${show(os.version)}, serial ${show(os.serial)}\n`
    : '';
  return head + id + osLine + lines.join('') + (r.error ? `  error: ${r.error}\n` : '');
}
