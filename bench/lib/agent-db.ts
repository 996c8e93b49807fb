// The agent bench's fleet in MariaDB and rrdcached, kept from one run to the next: a larger run
// adds the devices it lacks and discovers only those (bench/lib/bulk-discover.ts), a smaller one
// starts a fresh database. Device i is the simulator's device i (lib/device-addresses.ts) in every
// run, so a row discovered for one run is right for the next.
import type { RowDataPacket } from 'mysql2/promise';
import { generateAppKey } from '../../lib/crypto.js';
import { deviceAddress } from '../../lib/device-addresses.js';
import { addDevice, migrate, openDb, type Db } from '../../agent/db/index.js';
import { deviceCredentials } from '../../simulator/model.js';
import { discoverUndiscovered, type BulkDiscovery } from './bulk-discover.js';
import { BenchRrdcached } from './rrdcached-daemon.js';

export interface FleetDbOptions {
  db: { port: number; user: string; password: string };
  rrdcachedPort: number;
  /** Devices discovered at a time. */
  concurrency: number;
  rras: string;
}

export class AgentFleetDb {
  /** Devices 0 … devices-1 are in the database. */
  devices = 0;
  readonly appKey = generateAppKey();
  readonly rrd: BenchRrdcached;
  private constructor(
    readonly database: string,
    readonly db: Db,
    private readonly o: FleetDbOptions,
  ) {
    this.rrd = new BenchRrdcached({ port: o.rrdcachedPort });
  }

  static async open(database: string, o: FleetDbOptions): Promise<AgentFleetDb> {
    const db = await openDb({ host: '127.0.0.1', ...o.db, database }, { createDatabase: true, connectionLimit: 4 });
    const f = new AgentFleetDb(database, db, o);
    try {
      await migrate(db, { appKey: f.appKey });
      await f.rrd.start();
    } catch (err) {
      await f.close();
      throw err;
    }
    return f;
  }

  /**
   * Adds devices `devices` … n-1 (at `base`:`port`, where the simulator answers for them) and
   * discovers every device not discovered yet. Returns every device id, in device order.
   */
  async grow(n: number, base: string, port: number): Promise<{ ids: number[]; discovery: BulkDiscovery }> {
    if (n < this.devices) throw new Error(`the fleet has ${this.devices} devices, more than ${n}`);
    for (let i = this.devices; i < n; i++) {
      await addDevice(this.db, this.appKey, {
        hostname: deviceAddress(i, base),
        port,
        poller_group: 0,
        snmp: deviceCredentials(i),
      });
      this.devices = i + 1;
    }
    const discovery = await discoverUndiscovered(this.db, {
      appKey: this.appKey,
      rrdcached: this.rrd.address,
      concurrency: this.o.concurrency,
      rras: this.o.rras,
    });
    const [rows] = await this.db.query<RowDataPacket[]>('SELECT device_id FROM devices ORDER BY device_id');
    return { ids: rows.map((r) => Number(r.device_id)), discovery };
  }

  async close(): Promise<void> {
    await this.rrd.close().catch(() => {});
    await this.db.query(`DROP DATABASE IF EXISTS \`${this.database}\``).catch(() => {});
    await this.db.end();
  }
}
