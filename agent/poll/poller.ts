// The Poller: runs one device's collectors (discovery or poll) and writes the results to
// MariaDB and rrdcached. A device's own failure (no answer, wrong credentials, an agent that
// loops) never escapes as an exception: the device is marked down with status_reason 'snmp'
// and an eventlog entry, and the result says why. Only our side failing (database gone, wrong
// APP_KEY, unknown device) throws. Many polls may run at once; `maxConcurrent` bounds them.
import { AppKeyMismatchError, PollError } from '../../lib/errors.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { DEFAULT_NODE_SETTINGS, serviceOf } from '../../lib/node-config.js';
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
  WriteBatch,
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
import { moduleEnabled, parseAttribs, type ModuleAttribs, type ModuleContext } from '../modules/index.js';
import { namedPorts } from '../modules/port-names.js';
import { SnmpError } from '../snmp/errors.js';
import { logPortChanges } from '../db/status.js';
import { SnmpSession } from '../snmp/session.js';
import { readTimes } from '../snmp/column-rows.js';
import type { WalkOptions } from '../snmp/walk.js';
import { rrdFiles } from '../rrd/layout.js';
import type { RrdPoint, RrdWriter } from '../rrd/writer.js';
import { portPoints } from './points.js';
import { Semaphore } from './semaphore.js';
import { osModule, runModules, writeRrd } from './steps.js';
import { StoredRows } from '../modules/stored.js';
import {
  rrdHost,
  round1,
  type DiscoveryResult,
  type ModuleResult,
  type PollResult,
  type RunOptions,
  type RunResult,
} from './result.js';

export { rrdHost };
export type { DiscoveryResult, ModuleResult, PollResult, RunOptions, RunResult };

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
  /** Deadline of one device when the caller gives none, in ms. Default 210000 (0.7 × 300 s: serviceOf). */
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

/** From the node settings' defaults: what a Poller built without them does. */
export const DEFAULT_POLLER_OPTIONS = {
  snmpTimeoutMs: DEFAULT_NODE_SETTINGS.snmp_timeout_ms,
  snmpRetries: DEFAULT_NODE_SETTINGS.snmp_retries,
  maxConcurrent: DEFAULT_NODE_SETTINGS.service_poller_workers,
  defaultDeadlineMs: serviceOf(DEFAULT_NODE_SETTINGS, 'poller').deviceDeadlineMs,
};

/** What a run reads of its device before it starts. */
type DeviceState = Awaited<ReturnType<typeof getDeviceState>>;

export class Poller {
  private readonly o: Required<Omit<PollerOptions, 'rrd' | 'walk' | 'logger' | 'icmpCheck'>> &
    Pick<PollerOptions, 'rrd' | 'walk' | 'icmpCheck'>;
  private readonly log: Logger;
  private readonly sem: Semaphore;
  private keyChecked?: Promise<void>;
  /** OIDs whose values were invalid for their type, per device: each is logged once per process. */
  private readonly invalid = new Map<number, Set<string>>();
  /** The module rows polls read back, kept until the device is discovered again. */
  private readonly stored = new StoredRows();

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
    const state = await getDeviceState(this.o.db, ref);
    const { device } = state;
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
    const points: RrdPoint[] = [];
    // a poll's writes, sent in one round trip with the device row
    const writes = kind === 'poll' ? new WriteBatch(this.o.db) : undefined;
    const sys = await this.collect(res, state, points, opts, writes).catch(async (err) => {
      await writes?.flush().catch(() => undefined);
      throw err;
    });
    if (res.status === 'down') await this.icmpReason(res, device, opts.signal);
    res.seconds = (performance.now() - t0) / 1000;
    if (res.status === 'aborted') {
      await writes?.flush();
      return res; // cancelled by us: says nothing about the device
    }
    await this.recordRun(res, device, started, sys, writes);
    if (kind === 'poll' && res.status === 'up' && this.o.rrd) {
      const host = rrdHost(device);
      const now = Date.now() / 1000;
      points.push({ def: rrdFiles.pollerPerf(host), time: now, values: [res.seconds] });
      if (sys?.uptime !== null && sys?.uptime !== undefined)
        points.push({ def: rrdFiles.uptime(host), time: now, values: [sys.uptime] });
      if (points.length) await writeRrd(this.o.rrd, res, points, this.log);
    }
    this.log.debug('device_done', { kind, device_id: device.device_id, status: res.status, seconds: res.seconds });
    return res;
  }

  /**
   * The SNMP part of a run: the system group, then discovery's or the poll's modules. A device
   * that stops answering ends it (status 'down' or 'aborted' in `res`); our own failures throw.
   */
  private async collect(
    res: RunResult,
    { device, entities, attribs }: DeviceState,
    points: RrdPoint[],
    opts: RunOptions,
    writes?: WriteBatch,
  ): Promise<SystemRecord | undefined> {
    const switches = parseAttribs(attribs);
    const target = snmpTargetOf(device, this.o.appKey);
    let session: SnmpSession | undefined;
    let sys: SystemRecord | undefined;
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
        stored: this.stored,
        writes,
      };
      if (res.kind === 'discovery') {
        if (moduleEnabled('os', res.kind, def, switches)) ctx.def = def = await osModule(res, ctx, sys);
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
    return sys;
  }

  /**
   * No SNMP answer: does it answer ping? A check that cannot run tells nothing (reason snmp). A
   * device already down for icmp stays so even when it answers now: the SNMP failure came first,
   * so it does not show "ICMP yes, SNMP no" at one time (a recovery under way); the next poll
   * or ping round decides.
   */
  private async icmpReason(res: RunResult, device: DeviceRow, signal?: AbortSignal): Promise<void> {
    const icmp = this.o.icmpCheck;
    if (!icmp) return;
    const answered = await icmp(device.hostname, signal).catch(() => undefined);
    if (answered === false || (device.status === 0 && device.status_reason === 'icmp')) res.reason = 'icmp';
  }

  /** The device row (status, times, system fields) and a reboot's eventlog entry. */
  private async recordRun(
    res: RunResult,
    device: DeviceRow,
    started: Date,
    sys: SystemRecord | undefined,
    writes?: WriteBatch,
  ): Promise<void> {
    const up = res.status === 'up';
    const system =
      up && sys
        ? {
            sysName: sys.sysName,
            sysDescr: sys.sysDescr,
            sysObjectID: dotted(sys.sysObjectID),
            location: sys.sysLocation,
            uptime: sys.uptime ?? undefined,
          }
        : {};
    const outcome = { startedAt: started, seconds: res.seconds, up, reason: res.reason, detail: res.error };
    await recordPoll(this.o.db, device, { ...outcome, ...system }, res.kind, writes);
    if (up && sys && detectReboot(device.uptime, sys.uptime)) {
      res.rebooted = true;
      const text = `Device rebooted after ${device.uptime} s`;
      await logEvent(this.o.db, device.device_id, 'reboot', text, Severity.warning);
    }
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
    await runModules(res, ctx, 'discovery', switches);
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
          if (counts.ports > 0) await logPortChanges(this.o.db, id, ctx.writes);
          // read times by position in the walk's rows (no Map of the octets column built a poll)
          const hcAt = readTimes(data.columns.get(IF_HC_IN_OCTETS));
          const inAt = readTimes(data.columns.get(IF_IN_OCTETS));
          points.push(
            ...portPoints(host, r, ids, (ifIndex) => {
              const key = String(ifIndex);
              return hcAt(key) ?? inAt(key) ?? now;
            }),
          );
          return r.length;
        }),
      );
    }
    await runModules(res, ctx, 'poll', switches);
    return points;
  }
}

const IF_HC_IN_OCTETS = '1.3.6.1.2.1.31.1.1.1.6';
const IF_IN_OCTETS = '1.3.6.1.2.1.2.2.1.10';

export { AppKeyMismatchError };
