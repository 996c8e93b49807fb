// The syslog role: rsyslog on this node receives the devices' messages (514/udp, 514/tcp) and
// hands each one to us as a JSON line over TCP on 127.0.0.1 (templates/rsyslog/60-nms.conf.hbs).
// We match the sender's address to a device, store the messages in MariaDB's `syslog` table in
// batches, and purge what is older than `syslog_purge` days. While MariaDB is slow the sockets
// are paused, so rsyslog's queue (not our memory) holds the backlog.
import { createServer, type Server, type Socket } from 'node:net';
import type { RowDataPacket } from 'mysql2/promise';
import type { Db } from '../db/index.js';
import type { Logger } from '../../lib/log.js';
import { DeviceAddresses } from './devices.js';
import { parseSyslogLine, type SyslogRow } from './record.js';

export interface SyslogReceiverOptions {
  db: Db;
  log: Logger;
  /** Port on `host` rsyslog forwards to. Default 5514 (setting syslog_port). */
  port?: number;
  /** Default 127.0.0.1: only rsyslog on this node talks to us. */
  host?: string;
  /** Rows per INSERT. Default 500. */
  batchSize?: number;
  /** Longest a message waits before its batch is written, ms. Default 500. */
  flushMs?: number;
  /** Messages held in memory above which the sockets pause. Default 20000. */
  maxPending?: number;
  /** Days kept (LibreNMS's syslog_purge). Default 30. */
  purgeDays?: number;
  /** Purge period, ms. Default 3600000. */
  purgeEveryMs?: number;
  /** Device address map refresh, ms. Default 60000. */
  refreshMs?: number;
}

export const DEFAULT_SYSLOG_RECEIVER_OPTIONS = {
  port: 5514,
  host: '127.0.0.1',
  batchSize: 500,
  flushMs: 500,
  maxPending: 20_000,
  purgeDays: 30,
  purgeEveryMs: 3_600_000,
  refreshMs: 60_000,
};

export class SyslogReceiver {
  private readonly o: SyslogReceiverOptions & typeof DEFAULT_SYSLOG_RECEIVER_OPTIONS;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private pending: SyslogRow[] = [];
  private flushing?: Promise<void>;
  private timers: NodeJS.Timeout[] = [];
  private paused = false;
  private readonly devices: DeviceAddresses;
  /** Messages stored and refused (unparseable) since start: the metrics and the doctor read these. */
  stored = 0;
  rejected = 0;

  constructor(options: SyslogReceiverOptions) {
    this.o = { ...DEFAULT_SYSLOG_RECEIVER_OPTIONS, ...options };
    this.devices = new DeviceAddresses(this.o.db);
  }

  async start(): Promise<number> {
    await this.devices.refresh().catch((err) => this.o.log.warn('syslog_devices_failed', { err }));
    this.server = createServer((s) => this.accept(s));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port, this.o.host, () => resolve());
    });
    this.server.on('error', (err) => this.o.log.warn('syslog_server_error', { err }));
    const port = (this.server.address() as { port: number }).port;
    this.timers.push(setInterval(() => void this.flush(), this.o.flushMs));
    const refresh = () => this.devices.refresh().catch((err) => this.o.log.warn('syslog_devices_failed', { err }));
    this.timers.push(setInterval(() => void refresh(), this.o.refreshMs));
    this.timers.push(setInterval(() => void this.purge(), this.o.purgeEveryMs));
    for (const t of this.timers) t.unref();
    void this.purge();
    this.o.log.info('syslog_listening', { host: this.o.host, port });
    return port;
  }

  private accept(s: Socket): void {
    this.sockets.add(s);
    if (this.paused) s.pause();
    let rest = '';
    s.setEncoding('utf8');
    s.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) this.take(line);
    });
    s.on('error', () => {});
    s.on('close', () => {
      if (rest) this.take(rest);
      this.sockets.delete(s);
    });
  }

  private take(line: string): void {
    if (!line.trim()) return;
    const row = parseSyslogLine(line, (addr) => this.devices.lookup(addr));
    if (!row) {
      this.rejected++;
      return;
    }
    this.pending.push(row);
    if (this.pending.length >= this.o.batchSize) void this.flush();
    if (this.pending.length >= this.o.maxPending && !this.paused) {
      this.paused = true;
      for (const s of this.sockets) s.pause();
    }
  }

  /** Writes what is pending, one INSERT per batch; one flush at a time. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (!this.pending.length) return Promise.resolve();
    this.flushing = (async () => {
      // a tick first: `flushing` must be set before the finally below clears it
      await Promise.resolve();
      try {
        while (this.pending.length) {
          const batch = this.pending.slice(0, this.o.batchSize);
          await this.insert(batch);
          this.pending = this.pending.slice(batch.length);
          this.stored += batch.length;
        }
      } catch (err) {
        this.o.log.warn('syslog_store_failed', { err, pending: this.pending.length });
      } finally {
        this.flushing = undefined;
        if (this.paused && this.pending.length < this.o.maxPending / 2) {
          this.paused = false;
          for (const s of this.sockets) s.resume();
        }
      }
    })();
    return this.flushing;
  }

  private async insert(rows: SyslogRow[]): Promise<void> {
    const values = rows.map((r) => [
      r.device_id,
      r.facility,
      r.priority,
      r.level,
      r.tag,
      r.timestamp,
      r.program,
      r.msg,
    ]);
    const sql = 'INSERT INTO syslog (device_id, facility, priority, level, tag, timestamp, program, msg) VALUES ?';
    await this.o.db.query(sql, [values]);
  }

  /** Deletes messages older than purgeDays, in slices so no lock is held for long. */
  async purge(): Promise<number> {
    let total = 0;
    try {
      for (;;) {
        const sql = 'DELETE FROM syslog WHERE timestamp < NOW() - INTERVAL ? DAY LIMIT 10000';
        const [r] = await this.o.db.query<RowDataPacket[]>(sql, [this.o.purgeDays]);
        const n = (r as unknown as { affectedRows: number }).affectedRows;
        total += n;
        if (n < 10000) break;
      }
      if (total) this.o.log.info('syslog_purged', { rows: total, days: this.o.purgeDays });
    } catch (err) {
      this.o.log.warn('syslog_purge_failed', { err });
    }
    return total;
  }

  /** Stops listening, writes what is pending (best effort), closes the sockets; safe twice. */
  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    // rsyslog keeps its connection open: the server closes only once the sockets are gone
    for (const s of this.sockets) s.destroy();
    await closed;
    await this.flush();
  }
}
