// The conformance run: every recording served by snmpsim, discovered and polled twice by the
// real Poller into a fresh database, then compared with LibreNMS's expected rows (compare.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { generateAppKey } from '../../lib/crypto.js';
import { addDevice, migrate, openDb, type Db } from '../../agent/db/index.js';
import { moduleRows } from '../../agent/db/modules.js';
import { Poller } from '../../agent/poll/poller.js';
import { startSnmpsim } from './snmpsim.js';
import { compareRecording, type ModuleOutcome, type Row } from './compare.js';

export const TESTDATA = join(new URL('.', import.meta.url).pathname, '..', '..', '..', 'shared', 'librenms-testdata');

export interface RecordingResult {
  recording: string;
  /** Discovery and poll outcomes ('up' each when all went well). */
  runs: string[];
  error?: string;
  modules: ModuleOutcome[];
}

export interface ConformanceReport {
  results: RecordingResult[];
  seconds: number;
  startedAt: string;
}

export interface ConformanceOptions {
  /** mysql://user:pass@host:port of the server to make the fresh database on. */
  dbUrl: string;
  /** Only these recordings (default all). */
  only?: string[];
  /** snmpsim processes. Default 3. */
  processes?: number;
  /** Devices worked on at once. Default 10. */
  concurrency?: number;
  /** Keep the database afterwards (its name is printed). */
  keep?: boolean;
}

const DELETED = ['deleted', 'storage_deleted', 'sensor_deleted', 'mempool_deleted'];

async function rowsOf(db: Db, tables: Set<string>, table: string, deviceId: number): Promise<Row[] | null> {
  if (!tables.has(table.toLowerCase())) return null;
  // these two have no device_id column: read them as the modules' own reader does
  if (table === 'ipv4_addresses' || table === 'links') return moduleRows(db, table, deviceId);
  const [rows] = await db.query<mysql.RowDataPacket[]>(`SELECT * FROM \`${table}\` WHERE device_id = ?`, [deviceId]);
  return rows.filter((r) => !DELETED.some((c) => Number(r[c]) === 1));
}

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

export async function runConformance(o: ConformanceOptions): Promise<ConformanceReport> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const names = readdirSync(join(TESTDATA, 'recordings'))
    .filter((f) => f.endsWith('.snmprec'))
    .map((f) => f.slice(0, -8))
    .sort()
    .filter((n) => !o.only?.length || o.only.includes(n));
  const url = new URL(o.dbUrl);
  const database = `nms_conformance_${process.pid}_${Date.now() % 100000}`;
  const appKey = generateAppKey();
  const sim = await startSnmpsim(join(TESTDATA, 'recordings'), names, o.processes ?? 3);
  const db = await openDb(
    {
      host: url.hostname,
      port: Number(url.port),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database,
    },
    { createDatabase: true, connectionLimit: 8 },
  );
  try {
    await migrate(db, { appKey });
    const [tableRows] = await db.query<mysql.RowDataPacket[]>(
      'SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
    );
    const tables = new Set(tableRows.map((r) => String(r.t).toLowerCase()));
    // generous timeouts: snmpsim shares two cores with everything else, and a late answer is not a miss
    const poller = new Poller({ db, appKey, snmpTimeoutMs: 5000, snmpRetries: 3, maxConcurrent: o.concurrency ?? 10 });
    const results: RecordingResult[] = [];
    await pool(sim.devices, o.concurrency ?? 10, async (d) => {
      const r: RecordingResult = { recording: d.name, runs: [], modules: [] };
      results.push(r);
      try {
        const id = await addDevice(db, appKey, {
          hostname: d.host,
          port: d.port,
          snmp: { version: 'v2c', community: d.name },
        });
        r.runs.push((await poller.discoverDevice(id, { deadlineMs: 240_000 })).status);
        for (let i = 0; i < 2; i++) r.runs.push((await poller.pollDevice(id, { deadlineMs: 240_000 })).status);
        const expected = JSON.parse(readFileSync(join(TESTDATA, 'expected', `${d.name}.json`), 'utf8')) as Record<
          string,
          unknown
        >;
        const got = new Map<string, Row[] | null>();
        for (const t of [
          'ports',
          'processors',
          'mempools',
          'storage',
          'sensors',
          'entPhysical',
          'ipv4_addresses',
          'links',
          'ucd_diskio',
        ])
          got.set(t, await rowsOf(db, tables, t, id));
        const [dev] = await db.query<mysql.RowDataPacket[]>('SELECT * FROM devices WHERE device_id = ?', [id]);
        got.set('devices', dev);
        r.modules = compareRecording(d.name, expected, (t) => got.get(t) ?? null);
      } catch (err) {
        r.error = (err as Error).message;
      }
    });
    results.sort((a, b) => a.recording.localeCompare(b.recording));
    return { results, seconds: (performance.now() - t0) / 1000, startedAt };
  } finally {
    if (!o.keep) await db.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await db.end();
    await sim.close();
  }
}
