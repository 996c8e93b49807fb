// The steps of a device's run that need nothing of the Poller but the run's context: the os
// module, the generic device modules in order, and the one RRD write at the end. Each step
// records its result (items, time, error) in the run's result.
import { discoverOs, saveOs } from '../modules/os.js';
import { DEVICE_MODULES, moduleEnabled, type ModuleAttribs, type ModuleContext } from '../modules/index.js';
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
 * (SnmpError) ends the run.
 */
export async function runModules(
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
      ctx.log.warn('module_failed', { device_id: ctx.device.device_id, module: mod.name, error: m.error });
    }
    m.snmpMs = round1(performance.now() - t);
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
