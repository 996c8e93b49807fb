// processors: the OS's own CPU tables from its definition; else HOST-RESOURCES-MIB
// hrProcessorLoad (type hr); else UCD-SNMP-MIB ssCpuIdle (type ucd-old). Discovery stores each
// processor with its OID and precision (negative: the value is idle, usage is 100 - value/|p|);
// a poll GETs those OIDs.
import mysql from 'mysql2/promise';
import { str } from '../snmp/values.js';
import { rrdFiles } from '../rrd/layout.js';
import type { TableDef } from '../definitions/types.js';
import {
  extraColumns,
  keepRow,
  numberOf,
  pollOf,
  readTable,
  render,
  tableOf,
  replaceRows,
  updateRows,
  valueOf,
  valueOid,
} from './table.js';
import { storedRows } from './stored.js';
import type { DeviceModule, ModuleContext, PollStep } from './types.js';

export interface ProcessorRow {
  processor_index: string;
  processor_type: string;
  processor_oid: string;
  processor_descr: string;
  processor_precision: number;
  processor_usage: number;
  hrDeviceIndex: number | null;
}

const HR_LOAD = '1.3.6.1.2.1.25.3.3.1.2';
const HR_DESCR = '1.3.6.1.2.1.25.3.2.1.3';
const SS_CPU_IDLE = '1.3.6.1.4.1.2021.11.11.0';

/** Usage in percent from a raw value and a stored precision. */
export const usageOf = (raw: number, precision: number) =>
  precision < 0 ? 100 - raw / -precision : raw / (precision || 1);

/** hrDeviceDescr made short as LibreNMS shows it. */
export function cpuDescr(d: string | null): string {
  const s = (d ?? '')
    .replace(/^(GenuineIntel|AuthenticAMD|CentaurHauls): /, '')
    .replace(/\((R|TM|tm)\)/g, '')
    .replace(/\bCPU\s+/, '')
    .replace(/\s+/g, ' ')
    .trim();
  return s === '' || /^unknown/i.test(s) ? 'Processor' : s;
}

async function fromDefinition(ctx: ModuleContext, t: TableDef, position: number): Promise<ProcessorRow[]> {
  const data = await readTable(ctx.reader, t.oid, [...extraColumns(t)], String(position));
  const out: ProcessorRow[] = [];
  const precision = (t.divisor ?? 1) * (t.idle ? -1 : 1);
  for (const index of data.indexes) {
    const raw = valueOf(ctx, data.cell(t.oid, index), t.oid, t);
    if (raw === null) continue;
    const descr = t.descr ? render(t.descr, index, data) : 'Processor';
    if (!keepRow(ctx, t, data, index, raw, descr)) continue;
    out.push({
      processor_index: index,
      processor_type: t.type ?? ctx.def.os,
      processor_oid: valueOid(t.oid, index),
      processor_descr: descr || 'Processor',
      processor_precision: precision,
      processor_usage: usageOf(raw, precision),
      hrDeviceIndex: null,
    });
  }
  return out;
}

async function hostResources(ctx: ModuleContext): Promise<ProcessorRow[]> {
  const data = await readTable(ctx.reader, HR_LOAD, [HR_DESCR]);
  const out: ProcessorRow[] = [];
  for (const index of data.indexes) {
    const raw = numberOf(ctx, data.cell(HR_LOAD, index), HR_LOAD);
    if (raw === null) continue;
    out.push({
      processor_index: index,
      processor_type: 'hr',
      processor_oid: valueOid(HR_LOAD, index),
      processor_descr: cpuDescr(str(data.cell(HR_DESCR, index))),
      processor_precision: 1,
      processor_usage: raw,
      hrDeviceIndex: Number(index) || null,
    });
  }
  return out;
}

async function ucdOld(ctx: ModuleContext): Promise<ProcessorRow[]> {
  const idle = numberOf(ctx, (await ctx.reader.get([SS_CPU_IDLE])).get(SS_CPU_IDLE), SS_CPU_IDLE);
  if (idle === null) return [];
  return [
    {
      processor_index: '0',
      processor_type: 'ucd-old',
      processor_oid: `.${SS_CPU_IDLE}`,
      processor_descr: 'CPU',
      processor_precision: -1,
      processor_usage: 100 - idle,
      hrDeviceIndex: null,
    },
  ];
}

/** What discovery finds: the OS's tables, else the generic MIBs in turn. */
export async function discoverProcessors(ctx: ModuleContext): Promise<ProcessorRow[]> {
  const rows: ProcessorRow[] = [];
  for (const [i, t] of (ctx.def.processors ?? []).entries()) rows.push(...(await fromDefinition(ctx, t, i)));
  const skip = new Set(ctx.def.skip_generic ?? []);
  if (rows.length === 0 && !skip.has('hr')) rows.push(...(await hostResources(ctx)));
  if (rows.length === 0 && !skip.has('ucd')) rows.push(...(await ucdOld(ctx)));
  return rows;
}

const COLS = [
  'device_id',
  'processor_index',
  'processor_type',
  'processor_oid',
  'processor_descr',
  'processor_precision',
  'processor_usage',
  'hrDeviceIndex',
  'entPhysicalIndex',
];

async function save(ctx: ModuleContext, rows: ProcessorRow[]): Promise<void> {
  const id = ctx.device.device_id;
  // processors discovery no longer finds are removed, as LibreNMS does
  await replaceRows(
    ctx,
    'processors',
    `INSERT INTO processors (${COLS.join(', ')}) VALUES ?
     ON DUPLICATE KEY UPDATE processor_oid = VALUES(processor_oid), processor_descr = VALUES(processor_descr),
     processor_precision = VALUES(processor_precision), processor_usage = VALUES(processor_usage)`,
    rows.map((r) => [
      id,
      r.processor_index,
      r.processor_type,
      r.processor_oid,
      r.processor_descr.slice(0, 64),
      r.processor_precision,
      Math.round(r.processor_usage),
      r.hrDeviceIndex,
      0,
    ]),
    "CONCAT(processor_type, ' ', processor_index)",
    rows.map((r) => `${r.processor_type} ${r.processor_index}`),
  );
}

interface StoredProcessor {
  id: number;
  type: string;
  index: string;
  oid: string;
  precision: number;
  table: TableDef | undefined;
}

async function storedProcessors(ctx: ModuleContext): Promise<StoredProcessor[]> {
  const [rows] = await ctx.db.query<mysql.RowDataPacket[]>(
    `SELECT processor_id, processor_type, processor_index, processor_oid, processor_precision
     FROM processors WHERE device_id = ?`,
    [ctx.device.device_id],
  );
  return rows.map((r) => ({
    id: Number(r.processor_id),
    type: String(r.processor_type),
    index: String(r.processor_index),
    oid: String(r.processor_oid),
    precision: Number(r.processor_precision),
    table: tableOf(ctx.def.processors, String(r.processor_oid)),
  }));
}

async function pollStep(ctx: ModuleContext): Promise<PollStep | null> {
  const rows = await storedRows(ctx, 'processors', () => storedProcessors(ctx));
  if (rows.length === 0) return null;
  return {
    oids: rows.map((r) => r.oid),
    async finish(values) {
      const updates: [number, number][] = [];
      const now = Date.now() / 1000;
      for (const r of rows) {
        const raw = valueOf(ctx, values.get(r.oid), r.oid, r.table);
        if (raw === null) continue;
        const usage = usageOf(raw, r.precision);
        updates.push([r.id, Math.round(usage)]);
        ctx.points.push({ def: rrdFiles.processor(ctx.host, r.index, r.type), time: now, values: [usage] });
      }
      await updateRows(ctx, 'processors', 'processor_id', ['processor_usage'], updates);
      return updates.length;
    },
  };
}

export const processorsModule: DeviceModule = {
  name: 'processors',
  async discover(ctx) {
    const rows = await discoverProcessors(ctx);
    await save(ctx, rows);
    return rows.length;
  },
  poll: pollOf(pollStep),
  pollStep,
};
