// The steps of a device's run that need nothing of the Poller but the run's context: the os
// module, the generic device modules in order, and the one RRD write at the end. Each step
// records its result (items, time, error) in the run's result.
import { discoverOs, saveOs } from '../modules/os.js';
import {
  DEVICE_MODULES,
  moduleEnabled,
  type DeviceModule,
  type ModuleAttribs,
  type ModuleContext,
} from '../modules/index.js';
import type { PollStep } from '../modules/types.js';
import { getStored } from '../modules/table.js';
import type { Cell } from '../snmp/types.js';
import type { OsDefinition } from '../definitions/types.js';
import type { SystemRecord } from '../collectors/index.js';
import { SnmpError } from '../snmp/errors.js';
import type { RrdPoint, RrdWriter } from '../rrd/writer.js';
import type { Logger } from '../../lib/log.js';
import { round1, type ModuleResult, type RunResult } from './result.js';

/** The os module: detects the OS and stores its fields; returns the definition the other modules use. */
export async function osModule(res: RunResult, ctx: ModuleContext, sys: SystemRecord): Promise<OsDefinition> {
  const m: ModuleResult = { module: 'os', status: 'ok', items: 1, snmpMs: 0, dbMs: 0, rrdMs: 0 };
  res.modules.push(m);
  const t0 = performance.now();
  const { def, record } = await discoverOs(ctx.set, sys, ctx.reader);
  const t1 = performance.now();
  await saveOs(ctx.db, ctx.device.device_id, record);
  m.snmpMs = round1(t1 - t0);
  m.dbMs = round1(performance.now() - t1);
  return def;
}

/**
 * Runs the generic device modules (DEVICE_MODULES) that are switched on. A module's own
 * failure is recorded in its result and the next one runs; a device that stops answering
 * (SnmpError) ends the run. A poll runs the modules that split their poll (pollStep) around
 * one GET round for all of them; the others run after, in order.
 */
export async function runModules(
  res: RunResult,
  ctx: ModuleContext,
  kind: 'poll' | 'discovery',
  switches: ModuleAttribs,
): Promise<void> {
  const split: { mod: DeviceModule; m: ModuleResult }[] = [];
  const rest: { mod: DeviceModule; m: ModuleResult }[] = [];
  for (const mod of DEVICE_MODULES) {
    const fn = kind === 'poll' ? mod.poll : mod.discover;
    if (!fn) continue;
    const m: ModuleResult = { module: mod.name, status: 'ok', items: 0, snmpMs: 0, dbMs: 0, rrdMs: 0 };
    res.modules.push(m);
    if (!moduleEnabled(mod.name, kind, ctx.def, switches)) m.status = 'skipped';
    else (kind === 'poll' && mod.pollStep ? split : rest).push({ mod, m });
  }
  if (split.length) await sharedPoll(ctx, split);
  for (const { mod, m } of rest) {
    const t = performance.now();
    await isolated(ctx, m, async () => {
      m.items = await (kind === 'poll' ? mod.poll! : mod.discover!).call(mod, ctx);
    });
    m.snmpMs = round1(performance.now() - t);
  }
  // discovery rewrote the rows polls keep
  if (kind === 'discovery') ctx.stored?.forget(ctx.device.device_id);
}

/** Runs `fn`; a failure other than the device's (SnmpError) is the module's, recorded and logged. */
async function isolated(ctx: ModuleContext, m: ModuleResult, fn: () => Promise<void>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (err) {
    if (err instanceof SnmpError) throw err;
    m.status = 'error';
    m.error = (err as Error).message;
    ctx.log.warn('module_failed', { device_id: ctx.device.device_id, module: m.module, error: m.error });
    return false;
  }
}

/**
 * The split modules' poll: each reads its rows and names its OIDs, one GET round reads them all
 * (in PDUs of the reader's size), then each computes and writes from the shared values. The
 * GET's time is shared out among the modules that asked.
 */
async function sharedPoll(ctx: ModuleContext, mods: { mod: DeviceModule; m: ModuleResult }[]): Promise<void> {
  const steps: { m: ModuleResult; step: PollStep }[] = [];
  for (const { mod, m } of mods) {
    const t = performance.now();
    await isolated(ctx, m, async () => {
      const step = await mod.pollStep!.call(mod, ctx);
      if (step) steps.push({ m, step });
    });
    m.dbMs = round1(performance.now() - t);
  }
  if (steps.length === 0) return;
  const t = performance.now();
  let values: Map<string, Cell> | undefined;
  const first = steps[0].m;
  await isolated(ctx, first, async () => {
    values = await getStored(
      ctx.reader,
      steps.flatMap((s) => s.step.oids),
    );
  });
  const getMs = round1((performance.now() - t) / steps.length);
  for (const { m, step } of steps) {
    m.snmpMs = getMs;
    if (!values) {
      Object.assign(m, { status: first.status, error: first.error });
      continue;
    }
    const t1 = performance.now();
    await isolated(ctx, m, async () => {
      m.items = await step.finish(values!);
    });
    m.dbMs = round1(m.dbMs + performance.now() - t1);
  }
}

/** Writes a poll's RRD points in one batch and records it as the 'rrd' step. */
export async function writeRrd(rrd: RrdWriter, res: RunResult, points: RrdPoint[], log: Logger): Promise<void> {
  const t = performance.now();
  const w = await rrd.write(points);
  res.rrd = { sent: w.sent, spooled: w.spooled, dropped: w.dropped, errors: w.errors.length };
  if (w.errors.length) log.warn('rrd_errors', { device_id: res.deviceId, count: w.errors.length, first: w.errors[0] });
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
