// MariaDB's InnoDB over a bench window: how much the buffer pool had to read from disk, against
// the size of the bench's database. A fleet whose tables outgrow the buffer pool makes every
// ports upsert wait on disk reads, which shows here and in the polls' wall time.
import type { RowDataPacket } from 'mysql2/promise';
import type { Db } from '../../agent/db/index.js';
import { fmt } from './report.js';

const COUNTERS = [
  'Innodb_buffer_pool_reads',
  'Innodb_buffer_pool_read_requests',
  'Innodb_data_read',
  'Innodb_data_written',
];

export type InnodbCounters = Record<string, number>;

export async function innodbCounters(db: Db): Promise<InnodbCounters> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SHOW GLOBAL STATUS WHERE Variable_name IN (${COUNTERS.map(() => '?').join(',')})`,
    COUNTERS,
  );
  const out: InnodbCounters = {};
  for (const r of rows) out[String(r.Variable_name)] = Number(r.Value);
  return out;
}

export interface InnodbWindow {
  /** innodb_buffer_pool_size and the bench database's tables and indexes, MiB. */
  poolMiB: number;
  databaseMiB: number;
  /** Pages read from disk (buffer pool misses) a poll, and the share of reads the pool served. */
  diskReadsPerPoll: number;
  hitRate: number;
  /** MiB a second read from and written to the data files over the window. */
  readMiBs: number;
  writtenMiBs: number;
}

export async function innodbSizes(db: Db, database: string): Promise<{ poolMiB: number; databaseMiB: number }> {
  const [[pool]] = await db.query<RowDataPacket[]>('SELECT @@innodb_buffer_pool_size AS b');
  const [[size]] = await db.query<RowDataPacket[]>(
    'SELECT COALESCE(SUM(data_length + index_length), 0) AS b FROM information_schema.TABLES WHERE table_schema = ?',
    [database],
  );
  return { poolMiB: Number(pool.b) / 2 ** 20, databaseMiB: Number(size.b) / 2 ** 20 };
}

export function innodbWindow(
  before: InnodbCounters,
  after: InnodbCounters,
  sizes: { poolMiB: number; databaseMiB: number },
  polls: number,
  seconds: number,
): InnodbWindow {
  const d = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
  const requests = d('Innodb_buffer_pool_read_requests');
  return {
    ...sizes,
    diskReadsPerPoll: polls ? d('Innodb_buffer_pool_reads') / polls : 0,
    hitRate: requests ? 1 - d('Innodb_buffer_pool_reads') / requests : 1,
    readMiBs: d('Innodb_data_read') / 2 ** 20 / Math.max(1, seconds),
    writtenMiBs: d('Innodb_data_written') / 2 ** 20 / Math.max(1, seconds),
  };
}

export function innodbLine(w: InnodbWindow): string {
  return (
    `MariaDB: the bench's database ${fmt(w.databaseMiB)} MiB against a buffer pool of ${fmt(w.poolMiB)} MiB; ` +
    `over the timed cycles ${fmt(w.diskReadsPerPoll, 1)} pages read from disk a poll (buffer pool hit rate ` +
    `${(w.hitRate * 100).toFixed(2)} %), ${fmt(w.readMiBs, 1)} MiB/s read and ${fmt(w.writtenMiBs, 1)} MiB/s written.`
  );
}

/**
 * NMS_BENCH_AGENT_BUFFER_POOL (bytes, or with a K/M/G suffix): the test instance's buffer pool for
 * the agent runs, resized online and put back after them. Returns the size to put back, or
 * undefined when the variable is not set.
 */
export async function sizeBufferPool(
  db: Db,
  spec = process.env.NMS_BENCH_AGENT_BUFFER_POOL,
): Promise<number | undefined> {
  if (!spec) return undefined;
  const m = /^(\d+)([KMG]?)$/i.exec(spec.trim());
  if (!m) throw new Error(`NMS_BENCH_AGENT_BUFFER_POOL=${spec}: give bytes or a size like 2G`);
  const bytes = Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase());
  const [[was]] = await db.query<RowDataPacket[]>('SELECT @@innodb_buffer_pool_size AS b');
  await setBufferPool(db, bytes);
  return Number(was.b);
}

/** Resizes the buffer pool and waits until its pages add up to the new size (the resize runs in the background). */
export async function setBufferPool(db: Db, bytes: number): Promise<void> {
  await db.query(`SET GLOBAL innodb_buffer_pool_size = ${Math.round(bytes)}`);
  for (let i = 0; i < 600; i++) {
    const [[s]] = await db.query<RowDataPacket[]>(
      'SELECT VARIABLE_VALUE * @@innodb_page_size AS b FROM information_schema.GLOBAL_STATUS ' +
        "WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_TOTAL'",
    );
    if (Math.abs(Number(s?.b) - bytes) <= bytes * 0.1) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('the buffer pool resize did not finish within 300 s');
}
