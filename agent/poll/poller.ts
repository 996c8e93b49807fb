// The Poller: runs one device's collectors (discovery or poll) and writes the results to
// MariaDB and rrdcached. A device's own failure (no answer, wrong credentials, an agent that
// loops) never escapes as an exception: the device is marked down with status_reason 'snmp'
// and an eventlog entry, and the result says why. Only our side failing (database gone, wrong
// APP_KEY, unknown device) throws. Many polls may run at once; `maxConcurrent` bounds them.
import { AppKeyMismatchError, PollError } from '../../lib/errors.js';
import { createLogger, type Logger } from '../../lib/log.js';
import {
  checkAppKey,
  getDeviceState,
  logEvent,
  recordPoll,
  Severity,
  snmpTargetOf,
  syncPorts,
  type Db,
  type DeviceRow,
  type EntityState,
} from '../db/index.js';
import {
  detectReboot,
  portsCollector,
  portStatsCollector,
  runCollector,
  systemCollector,
  type CollectedData,
  type Collector,
  type SystemRecord,
} from '../collectors/index.js';
import { definitions } from '../definitions/loader.js';
import { dotted } from '../definitions/detect.js';
import { sessionReader } from '../definitions/reader.js';
import type { OsDefinition } from '../definitions/types.js';
import {
  DEVICE_MODULES,
  moduleEnabled,
  parseAttribs,
  type ModuleAttribs,
  type ModuleContext,
} from '../modules/index.js';
import { discoverOs, saveOs } from '../modules/os.js';
import { namedPorts } from '../modules/port-names.js';
import { SnmpError } from '../snmp/errors.js';
import { logPortChanges } from '../db/status.js';
import { SnmpSession } from '../snmp/session.js';
import type { WalkOptions } from '../snmp/walk.js';
import { rrdFiles } from '../rrd/layout.js';
import type { RrdPoint, RrdWriter, RrdWriteResult } from '../rrd/writer.js';
import { portPoints } from './points.js';
import { Semaphore } from './semaphore.js';

export interface PollerOptions {
  db: Db;
  /** This node's APP_KEY: decrypts credentials; checked against the cluster's before any work. */
  appKey: string;
  /** Where RRD points go; without one nothing is written to RRD (discovery needs none). */
  rrd?: RrdWriter;
  /** SNMP request timeout in ms when the device has none. Default 1500. */
  snmpTimeoutMs?: number;
  /** SNMP retries when the device has none. Default 1. */
  snmpRetries?: number;
  /** Devices worked on at once; more wait. Default 24 (service_poller_workers). */
  maxConcurrent?: number;
  /** Deadline of one device when the caller gives none, in ms. Default 240000 (0.8 × 300 s). */
  defaultDeadlineMs?: number;
  /** GETBULK sizes and walk limits. Default DEFAULT_WALK_OPTIONS. */
  walk?: WalkOptions;
  /**
   * Asked when a device does not answer SNMP: does it answer ICMP? false makes the reason
   * 'icmp' instead of 'snmp'. Default: none (the reason stays 'snmp').
   */
  icmpCheck?: (hostname: string, signal?: AbortSignal) => Promise<boolean>;
  logger?: Logger;
}

export const DEFAULT_POLLER_OPTIONS = {
  snmpTimeoutMs: 1500,
  snmpRetries: 1,
  maxConcurrent: 24,
  defaultDeadlineMs: 240_000,
};

export interface RunOptions {
  signal?: AbortSignal;
  /** Time allowed for the whole device, in ms. */
  deadlineMs?: number;
}

export interface ModuleResult {
  module: string;
  status: 'ok' | 'error' | 'skipped';
  /** Entities found (ports, processors...). */
  items: number;
  snmpMs: number;
  dbMs: number;
  rrdMs: number;
  error?: string;
}

export interface RunResult {
  kind: 'poll' | 'discovery';
  deviceId: number;
  hostname: string;
  /**
   * 'up' when the device answered; 'down' (reason 'snmp', or 'icmp' when ping fails too) when it
   * did not; 'aborted' when cancelled.
   */
  status: 'up' | 'down' | 'aborted';
  reason: '' | 'snmp' | 'icmp';
  /** The device's failure in one line, when down or aborted. */
  error?: string;
  startedAt: string;
  seconds: number;
  snmpRequests: number;
  rebooted: boolean;
  modules: ModuleResult[];
  rrd?: Omit<RrdWriteResult, 'errors'> & { errors: number };
}
export type PollResult = RunResult;
export type DiscoveryResult = RunResult;

/** The RRD directory of a device: its hostname, plus the port when not 161 (simulated devices share an address). */
export function rrdHost(d: Pick<DeviceRow, 'hostname' | 'port'>): string {
  return d.port === 161 ? d.hostname : `${d.hostname}_${d.port}`;
}

export class Poller {
  private readonly o: Required<Omit<PollerOptions, 'rrd' | 'walk' | 'logger' | 'icmpCheck'>> &
    Pick<PollerOptions, 'rrd' | 'walk' | 'icmpCheck'>;
  private readonly log: Logger;
  private readonly sem: Semaphore;
  private keyChecked?: Promise<void>;
  /** OIDs whose values were invalid for their type, per device: each is logged once per process. */
  private readonly invalid = new Map<number, Set<string>>();

  constructor(options: PollerOptions) {
    this.o = { ...DEFAULT_POLLER_OPTIONS, ...options };
    for (const k of ['snmpTimeoutMs', 'maxConcurrent', 'defaultDeadlineMs'] as const) {
      if (!(this.o[k] >= 1)) throw new PollError(`PollerOptions.${k} must be at least 1 (got ${this.o[k]})`);
    }
    this.log = options.logger ?? createLogger('poller');
    this.sem = new Semaphore(this.o.maxConcurrent);
  }

  private invalidOf(deviceId: number): Set<string> {
    let set = this.invalid.get(deviceId);
    if (!set) {
      if (this.invalid.size >= 100_000) this.invalid.clear(); // bounded: at worst a value is logged again
      set = new Set();
      this.invalid.set(deviceId, set);
    }
    return set;
  }

  /** Checks APP_KEY against the cluster's; AppKeyMismatchError (one line) when it differs. */
  start(): Promise<void> {
    this.keyChecked ??= checkAppKey(this.o.db, this.o.appKey).catch((err) => {
      this.keyChecked = undefined;
      throw err;
    });
    return this.keyChecked;
  }

  async close(): Promise<void> {
    // the Poller owns no socket or timer of its own: sessions close with each device
  }

  /** Devices being worked on right now. */
  get busy(): number {
    return this.sem.busy;
  }

  pollDevice(ref: number | string, opts: RunOptions = {}): Promise<PollResult> {
    return this.sem.run(() => this.run('poll', ref, opts));
  }

  discoverDevice(ref: number | string, opts: RunOptions = {}): Promise<DiscoveryResult> {
    return this.sem.run(() => this.run('discovery', ref, opts));
  }

  private async run(kind: RunResult['kind'], ref: number | string, opts: RunOptions): Promise<RunResult> {
    await this.start();
    const started = new Date();
    const t0 = performance.now();
    const { device, entities, attribs } = await getDeviceState(this.o.db, ref);
    const switches = parseAttribs(attribs);
    const target = snmpTargetOf(device, this.o.appKey);
    const res: RunResult = {
      kind,
      deviceId: device.device_id,
      hostname: device.hostname,
      status: 'up',
      reason: '',
      startedAt: started.toISOString(),
      seconds: 0,
      snmpRequests: 0,
      rebooted: false,
      modules: [],
    };
    let session: SnmpSession | undefined;
    let sys: SystemRecord | undefined;
    const points: RrdPoint[] = [];
    try {
      // inside the try: a device configured with an unknown v3 algorithm is that device's failure
      session = new SnmpSession(target, {
        timeoutMs: this.o.snmpTimeoutMs,
        retries: this.o.snmpRetries,
        signal: opts.signal,
        deadline: Date.now() + (opts.deadlineMs ?? this.o.defaultDeadlineMs),
      });
      sys = await this.module(res, session, systemCollector, async () => 1);
      const set = definitions();
      let def = set.byOs.get(device.os ?? '') ?? set.byOs.get('generic')!;
      const ctx: ModuleContext = {
        db: this.o.db,
        reader: sessionReader(session, this.o.walk),
        device,
        set,
        def,
        host: rrdHost(device),
        points,
        log: this.log,
        invalid: this.invalidOf(device.device_id),
      };
      if (kind === 'discovery') {
        if (moduleEnabled('os', kind, def, switches)) ctx.def = def = await this.osModule(res, ctx, sys);
        await this.discover(res, session, ctx, entities, switches);
      } else points.push(...(await this.poll(res, session, ctx, entities, switches)));
    } catch (err) {
      if (!(err instanceof SnmpError)) throw err;
      res.status = err.failure === 'aborted' ? 'aborted' : 'down';
      res.reason = res.status === 'down' ? 'snmp' : '';
      res.error = err.message;
    } finally {
      res.snmpRequests = session?.requests ?? 0;
      session?.close();
    }
    // no SNMP answer: does it answer ping? A check that cannot run tells nothing (reason snmp). A
    // device already down for icmp stays so even when it answers now: the SNMP failure came first,
    // so it does not show "ICMP yes, SNMP no" at one time (a recovery under way); the next poll
    // or ping round decides.
    const icmp = this.o.icmpCheck;
    if (res.status === 'down' && icmp) {
      const answered = await icmp(device.hostname, opts.signal).catch(() => undefined);
      if (answered === false || (device.status === 0 && device.status_reason === 'icmp')) res.reason = 'icmp';
    }
    res.seconds = (performance.now() - t0) / 1000;
    if (res.status === 'aborted') return res; // cancelled by us: says nothing about the device
    const up = res.status === 'up';
    await recordPoll(
      this.o.db,
      device,
      {
        startedAt: started,
        seconds: res.seconds,
        up,
        reason: res.reason,
        detail: res.error,
        ...(up && sys
          ? {
              sysName: sys.sysName,
              sysDescr: sys.sysDescr,
              sysObjectID: dotted(sys.sysObjectID),
              location: sys.sysLocation,
              uptime: sys.uptime ?? undefined,
            }
          : {}),
      },
      kind,
    );
    if (up && sys && detectReboot(device.uptime, sys.uptime)) {
      res.rebooted = true;
      await logEvent(
        this.o.db,
        device.device_id,
        'reboot',
        `Device rebooted after ${device.uptime} s`,
        Severity.warning,
      );
    }
    if (kind === 'poll' && up && this.o.rrd) {
      const host = rrdHost(device);
      const now = Date.now() / 1000;
      points.push({ def: rrdFiles.pollerPerf(host), time: now, values: [res.seconds] });
      if (sys?.uptime !== null && sys?.uptime !== undefined)
        points.push({ def: rrdFiles.uptime(host), time: now, values: [sys.uptime] });
      await this.writeRrd(res, points);
    }
    this.log.debug('device_done', { kind, device_id: device.device_id, status: res.status, seconds: res.seconds });
    return res;
  }

  /** Runs one collector, times it, and lets `save` write what it found (returning the count). */
  private async module<R>(
    res: RunResult,
    session: SnmpSession,
    c: Collector<R>,
    save: (r: R, data: CollectedData) => Promise<number>,
  ): Promise<R> {
    const m: ModuleResult = { module: c.name, status: 'ok', items: 0, snmpMs: 0, dbMs: 0, rrdMs: 0 };
    res.modules.push(m);
    try {
      const run = await runCollector(session, c, this.o.walk);
      m.snmpMs = round1(run.snmpMs + run.processMs);
      const t = performance.now();
      m.items = await save(run.record, run.data);
      m.dbMs = round1(performance.now() - t);
      return run.record;
    } catch (err) {
      m.status = 'error';
      m.error = (err as Error).message;
      throw err;
    }
  }

  /**
   * Runs a module whose own failure (a value the database refuses, our bug) must not stop the
   * rest of the device: recorded in its result (by module()) and logged; SNMP failures still end the run.
   */
  private async tolerant(deviceId: number, name: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (err instanceof SnmpError) throw err;
      this.log.warn('module_failed', { device_id: deviceId, module: name, error: (err as Error).message });
    }
  }

  /** The os module: detects the OS and stores its fields; returns the definition the other modules use. */
  private async osModule(res: RunResult, ctx: ModuleContext, sys: SystemRecord): Promise<OsDefinition> {
    const m: ModuleResult = { module: 'os', status: 'ok', items: 1, snmpMs: 0, dbMs: 0, rrdMs: 0 };
    res.modules.push(m);
    const t0 = performance.now();
    const { def, record } = await discoverOs(ctx.set, sys, ctx.reader);
    const t1 = performance.now();
    await saveOs(this.o.db, ctx.device.device_id, record);
    m.snmpMs = round1(t1 - t0);
    m.dbMs = round1(performance.now() - t1);
    return def;
  }

  /**
   * Runs the generic device modules (DEVICE_MODULES) that are switched on. A module's own
   * failure is recorded in its result and the next one runs; a device that stops answering
   * (SnmpError) ends the run.
   */
  private async runModules(
    res: RunResult,
    ctx: ModuleContext,
    kind: 'poll' | 'discovery',
    switches: ModuleAttribs,
  ): Promise<void> {
    for (const mod of DEVICE_MODULES) {
      const fn = kind === 'poll' ? mod.poll : mod.discover;
      if (!fn) continue;
      const m: ModuleResult = { module: mod.name, status: 'ok', items: 0, snmpMs: 0, dbMs: 0, rrdMs: 0 };
      res.modules.push(m);
      if (!moduleEnabled(mod.name, kind, ctx.def, switches)) {
        m.status = 'skipped';
        continue;
      }
      const t = performance.now();
      try {
        m.items = await fn.call(mod, ctx);
      } catch (err) {
        if (err instanceof SnmpError) throw err;
        m.status = 'error';
        m.error = (err as Error).message;
        this.log.warn('module_failed', { device_id: ctx.device.device_id, module: mod.name, error: m.error });
      }
      m.snmpMs = round1(performance.now() - t);
    }
  }

  private async discover(
    res: RunResult,
    session: SnmpSession,
    ctx: ModuleContext,
    e: EntityState,
    switches: ModuleAttribs,
  ): Promise<void> {
    const id = ctx.device.device_id;
    const now = Math.floor(Date.now() / 1000);
    if (moduleEnabled('ports', 'discovery', ctx.def, switches)) {
      await this.tolerant(id, 'ports', () =>
        this.module(
          res,
          session,
          namedPorts(portsCollector, ctx.def, ctx.set),
          async (r) => (await syncPorts(this.o.db, id, r, now, true, e.ids.ports)).size,
        ),
      );
    }
    await this.runModules(res, ctx, 'discovery', switches);
  }

  /** Runs the poll modules and returns the RRD points they made (written once, with the rest). */
  private async poll(
    res: RunResult,
    session: SnmpSession,
    ctx: ModuleContext,
    counts: EntityState,
    switches: ModuleAttribs,
  ): Promise<RrdPoint[]> {
    const id = ctx.device.device_id;
    const host = ctx.host;
    const points: RrdPoint[] = [];
    // never discovered ports (or all gone): walk the full tables so new ones are seen
    const ports =
      counts.ports > 0 ? portStatsCollector(counts.counterBits) : namedPorts(portsCollector, ctx.def, ctx.set);
    if (moduleEnabled('ports', 'poll', ctx.def, switches)) {
      await this.tolerant(id, 'ports', () =>
        this.module(res, session, ports, async (r, data) => {
          const now = Date.now();
          const ids = await syncPorts(this.o.db, id, r, Math.round(now / 1000), false, counts.ids.ports);
          if (counts.ports > 0) await logPortChanges(this.o.db, id);
          const octets = [data.columns.get(IF_HC_IN_OCTETS), data.columns.get(IF_IN_OCTETS)];
          points.push(
            ...portPoints(
              host,
              r,
              ids,
              (ifIndex) => octets[0]?.get(String(ifIndex))?.at ?? octets[1]?.get(String(ifIndex))?.at ?? now,
            ),
          );
          return r.length;
        }),
      );
    }
    await this.runModules(res, ctx, 'poll', switches);
    return points;
  }

  private async writeRrd(res: RunResult, points: RrdPoint[]): Promise<void> {
    if (!this.o.rrd || points.length === 0) return;
    const t = performance.now();
    const w = await this.o.rrd.write(points);
    res.rrd = { sent: w.sent, spooled: w.spooled, dropped: w.dropped, errors: w.errors.length };
    if (w.errors.length)
      this.log.warn('rrd_errors', { device_id: res.deviceId, count: w.errors.length, first: w.errors[0] });
    const ms = round1(performance.now() - t);
    res.modules.push({
      module: 'rrd',
      status: w.errors.length ? 'error' : 'ok',
      items: points.length,
      snmpMs: 0,
      dbMs: 0,
      rrdMs: ms,
      ...(w.errors.length ? { error: w.errors[0] } : {}),
    });
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const IF_HC_IN_OCTETS = '1.3.6.1.2.1.31.1.1.1.6';
const IF_IN_OCTETS = '1.3.6.1.2.1.2.2.1.10';

export { AppKeyMismatchError };
