// Discovers a bench fleet in bulk before any agent starts: the Poller (as the agent builds it, in
// this process) runs discovery on every device of the database that was never discovered, many
// at a time, writing the same rows and RRD files an agent's discovery writes. The agents then
// start with every device discovered and only poll (agent/coord/due.ts: a discovered device that
// was never polled is due for a poll at once). Not timed as part of any cycle.
import type { RowDataPacket } from 'mysql2/promise';
import { RrdcachedClient } from '../../lib/rrdcached.js';
import type { Db } from '../../agent/db/index.js';
import { Poller } from '../../agent/poll/poller.js';
import { RrdWriter } from '../../agent/rrd/writer.js';
import { RRAS } from '../../agent/rrd/layout.js';

export interface BulkDiscovery {
  devices: number;
  up: number;
  seconds: number;
  firstError?: string;
}

/**
 * Discovers every never-discovered device of `db` through rrdcached at `rrdcached`, `concurrency`
 * at a time. `rras`: the RRAs the files are created with (the agents' NMS_RRD_RRAS).
 */
export async function discoverUndiscovered(
  db: Db,
  o: { appKey: string; rrdcached: string; concurrency: number; rras: string },
): Promise<BulkDiscovery> {
  const t0 = performance.now();
  RRAS.splice(0, RRAS.length, o.rras);
  const [rows] = await db.query<RowDataPacket[]>('SELECT device_id FROM devices WHERE last_discovered IS NULL');
  const client = new RrdcachedClient({ address: o.rrdcached });
  const poller = new Poller({
    db,
    appKey: o.appKey,
    rrd: new RrdWriter({ client, step: 300 }),
    maxConcurrent: o.concurrency,
    snmpTimeoutMs: 3000,
    snmpRetries: 2,
  });
  const out: BulkDiscovery = { devices: rows.length, up: 0, seconds: 0 };
  try {
    const results = await Promise.all(
      rows.map((r) => poller.discoverDevice(Number(r.device_id), { deadlineMs: 300_000 })),
    );
    for (const r of results) {
      if (r.status === 'up') out.up++;
      else out.firstError ??= `${r.hostname}: ${r.error}`;
    }
  } finally {
    await client.close();
  }
  out.seconds = (performance.now() - t0) / 1000;
  return out;
}
