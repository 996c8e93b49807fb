// The `config-backup` role: every `intervalS` seconds, fetch the configuration of every device
// with an SSH login (fetch.ts, the commands of its OS definition), drop what changes on every
// read (normalise.ts), commit it to the node's git repository (git.ts) and, when it changed,
// store the version and its diff in MariaDB with an eventlog entry (store.ts). One device that
// fails (wrong password, unreachable) is reported and the others are still backed up.
import { join } from 'node:path';
import type { Logger } from '../../lib/log.js';
import type { Db } from '../db/index.js';
import { definitions, type DefinitionSet } from '../definitions/loader.js';
import { ConfigFetchError, fetchConfig } from './fetch.js';
import { GitStore } from './git.js';
import { KnownHosts } from './known-hosts.js';
import { configFileName, normaliseConfig, stripPatterns } from './normalise.js';
import { backupTargets, recordFailure, recordSuccess, recordWaiting, type BackupTarget } from './store.js';

export interface ConfigBackupOptions {
  db: Db;
  appKey: string;
  log: Logger;
  /** This node's name (distributed_poller_name), stored with each version. */
  node: string;
  /** The git repository. Default /var/lib/nms/config-backup (setting config_backup_dir). */
  dir?: string;
  /** Seconds between runs; the first starts at once. Default 3600 (setting config_backup_interval). */
  intervalS?: number;
  /** Devices fetched at the same time. Default 4. */
  concurrency?: number;
  /** Per device, for connect, login and commands. Default 30000 ms. */
  timeoutMs?: number;
  /** Default: the process's definitions. */
  definitions?: DefinitionSet;
}

export const DEFAULT_CONFIG_BACKUP_OPTIONS = {
  dir: '/var/lib/nms/config-backup',
  intervalS: 3600,
  concurrency: 4,
  timeoutMs: 30_000,
};

export interface DeviceOutcome {
  deviceId: number;
  hostname: string;
  result: 'changed' | 'unchanged' | 'failed' | 'waiting';
  /** Why it failed or waits (never a secret). */
  reason?: string;
  commit?: string;
}

export class ConfigBackup {
  private readonly o: ConfigBackupOptions & typeof DEFAULT_CONFIG_BACKUP_OPTIONS;
  readonly git: GitStore;
  private timer?: NodeJS.Timeout;
  private running?: Promise<DeviceOutcome[]>;
  private closed = false;
  /** Completed runs since start. */
  runs = 0;

  constructor(options: ConfigBackupOptions) {
    this.o = { ...DEFAULT_CONFIG_BACKUP_OPTIONS, ...options };
    if (!Number.isInteger(this.o.intervalS) || this.o.intervalS < 10)
      throw new RangeError(`config_backup_interval must be a whole number of seconds ≥ 10, got ${this.o.intervalS}`);
    if (!Number.isInteger(this.o.concurrency) || this.o.concurrency < 1)
      throw new RangeError(`concurrency must be a whole number ≥ 1, got ${this.o.concurrency}`);
    this.git = new GitStore(this.o.dir);
  }

  /** Runs at once, then every intervalS (a run never overlaps the previous one). */
  start(): void {
    const tick = async () => {
      await this.runOnce().catch((err: Error) => this.o.log.error('run_failed', { err: err.message }));
      if (!this.closed) this.timer = setTimeout(() => void tick(), this.o.intervalS * 1000);
    };
    void tick();
  }

  /** One pass over every device; resolves with each device's outcome. */
  runOnce(): Promise<DeviceOutcome[]> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
      this.runs++;
    });
    return this.running;
  }

  private async pass(): Promise<DeviceOutcome[]> {
    const started = Date.now();
    await this.git.init();
    const targets = await backupTargets(this.o.db, this.o.appKey);
    const hosts = new KnownHosts(join(this.o.dir, '.git', 'nms-host-keys.json'));
    const out: DeviceOutcome[] = [];
    const queue = [...targets];
    const worker = async () => {
      for (let t = queue.shift(); t && !this.closed; t = queue.shift()) out.push(await this.backupOne(t, hosts));
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency, queue.length) }, worker));
    hosts.save();
    const count = (r: DeviceOutcome['result']) => out.filter((x) => x.result === r).length;
    this.o.log.info('run', {
      devices: targets.length,
      changed: count('changed'),
      unchanged: count('unchanged'),
      failed: count('failed'),
      waiting: count('waiting'),
      ms: Date.now() - started,
    });
    return out.sort((a, b) => a.deviceId - b.deviceId);
  }

  private async backupOne(t: BackupTarget, hosts: KnownHosts): Promise<DeviceOutcome> {
    const base = { deviceId: t.deviceId, hostname: t.hostname };
    const def = t.os ? this.defs().byOs.get(t.os) : undefined;
    if (!t.os || !def?.config) {
      const reason = t.os ? `OS ${t.os} has no config commands` : 'OS not discovered yet';
      await recordWaiting(this.o.db, t, reason);
      return { ...base, result: 'waiting', reason };
    }
    let text: string;
    try {
      const raw = await fetchConfig(
        { host: t.hostname, port: t.port, username: t.username, password: t.password },
        def.config.commands,
        {
          timeoutMs: this.o.timeoutMs,
          checkHostKey: (fp) => hosts.check(t.hostname, t.port, fp),
        },
      );
      text = normaliseConfig(raw, stripPatterns(def.config.strip ?? []));
      if (!text) throw new ConfigFetchError('the device printed an empty configuration', 'command');
    } catch (err) {
      const reason = err instanceof ConfigFetchError ? err.message : `unexpected: ${(err as Error).message}`;
      this.o.log.warn('device_failed', { device_id: t.deviceId, hostname: t.hostname, reason });
      await recordFailure(this.o.db, t, this.o.node, reason);
      return { ...base, result: 'failed', reason };
    }
    const file = configFileName(t.hostname);
    const commit = await this.git.save(file, text, `${t.hostname} (device ${t.deviceId})`);
    // a version the database has not seen yet (a new commit, or one made before a failed write)
    const known = commit ?? (await this.git.versions(file))[0]?.commit;
    const fresh = known !== undefined && known !== t.lastCommit;
    let version;
    if (fresh) {
      const parent = t.lastCommit ?? (await this.git.versions(file))[1]?.commit;
      const diff = await this.git.diff(parent, known, file).catch(() => this.git.diff(undefined, known, file));
      version = { commit: known, config: text, diff };
    }
    await recordSuccess(this.o.db, t, this.o.node, version);
    if (fresh) this.o.log.info('changed', { device_id: t.deviceId, hostname: t.hostname, commit: known });
    return { ...base, result: fresh ? 'changed' : 'unchanged', commit: known };
  }

  private defs(): DefinitionSet {
    return this.o.definitions ?? definitions();
  }

  /** Stops the schedule and waits for a run under way; safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
