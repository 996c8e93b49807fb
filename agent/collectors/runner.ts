// The one generic runner: fetches what a collector declares (one GET for its scalars, one
// multi-column walk for its columns), times it, and hands the varbinds to its process().
import type { SnmpSession } from '../snmp/session.js';
import { walkColumns, type WalkOptions } from '../snmp/walk.js';
import type { Cell, Varbind } from '../snmp/types.js';
import type { CollectedData, Collector } from './types.js';

export interface ModuleRun<R> {
  record: R;
  /** The varbinds it was made from (their arrival times date RRD points). */
  data: CollectedData;
  /** Wall time of the SNMP exchange and of process(), in ms. */
  snmpMs: number;
  processMs: number;
  varbinds: number;
}

/** Fetches the collector's OIDs from a device. */
export async function fetchFor(
  session: SnmpSession,
  c: Collector<unknown>,
  walk?: WalkOptions,
): Promise<CollectedData> {
  const scalars = new Map<string, Varbind>();
  if (c.scalars?.length) for (const vb of await session.get(c.scalars)) scalars.set(vb.oid, vb);
  const columns = c.columns?.length
    ? await walkColumns(session, c.columns, walk)
    : new Map<string, Map<string, Cell>>();
  return { scalars, columns };
}

export async function runCollector<R>(
  session: SnmpSession,
  c: Collector<R>,
  walk?: WalkOptions,
): Promise<ModuleRun<R>> {
  const t0 = performance.now();
  const data = await fetchFor(session, c, walk);
  const t1 = performance.now();
  const record = c.process(data);
  let varbinds = data.scalars.size;
  for (const rows of data.columns.values()) varbinds += rows.size;
  return { record, data, snmpMs: t1 - t0, processMs: performance.now() - t1, varbinds };
}

/** Sorts a flat list of varbinds (a golden file) into what the collector declares. */
export function collectedFromList(c: Collector<unknown>, list: Varbind[]): CollectedData {
  const scalars = new Map<string, Varbind>();
  const columns = new Map<string, Map<string, Cell>>((c.columns ?? []).map((col) => [col, new Map()]));
  const wanted = new Set(c.scalars ?? []);
  for (const vb of list) {
    if (wanted.has(vb.oid)) scalars.set(vb.oid, vb);
    for (const col of c.columns ?? [])
      if (vb.oid.startsWith(col + '.')) columns.get(col)!.set(vb.oid.slice(col.length + 1), vb);
  }
  return { scalars, columns };
}
