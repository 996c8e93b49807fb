// Which device a syslog sender is: its source address against each device's hostname (when it
// is an address) and its `ip` column, refreshed periodically. Several devices on one address
// (the lab's simulator before per-device addresses) map to the lowest device_id.
import type { RowDataPacket } from 'mysql2/promise';
import type { Db } from '../db/index.js';

export class DeviceAddresses {
  private map = new Map<string, number>();

  constructor(private readonly db: Pick<Db, 'query'>) {}

  async refresh(): Promise<void> {
    const sql = 'SELECT device_id, hostname, INET6_NTOA(ip) AS ip FROM devices ORDER BY device_id DESC';
    const [rows] = await this.db.query<RowDataPacket[]>(sql);
    const next = new Map<string, number>();
    // descending, so the lowest id is set last and wins
    for (const r of rows) {
      if (r.ip) next.set(String(r.ip), Number(r.device_id));
      next.set(String(r.hostname).toLowerCase(), Number(r.device_id));
    }
    this.map = next;
  }

  /** The device of a sender address (IPv4-mapped IPv6 forms included), or null. */
  lookup(address: string): number | null {
    const a = address.toLowerCase().replace(/^::ffff:/, '');
    return this.map.get(a) ?? null;
  }

  get size(): number {
    return this.map.size;
  }
}
