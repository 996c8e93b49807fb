// The memcached record of who ran each device's job last (docs/agent-coordination.md): gathered
// for a moment and written together, one socket write for the jobs of that moment instead of one
// a job (at 30 polls a second the writes were a visible share of the agent's CPU). A record is
// at most `delayMs` late; a device's newer record replaces an unwritten older one.
import type { JobType } from '../coord/keys.js';
import type { DeviceRecord, Registry } from '../registry/registry.js';

export class DeviceRecords {
  private pending = new Map<string, { type: JobType; deviceId: number; rec: DeviceRecord }>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly registry: Registry,
    private readonly onError: (err: Error) => void,
    private readonly delayMs = 250,
  ) {}

  add(type: JobType, deviceId: number, rec: DeviceRecord): void {
    this.pending.set(`${type}:${deviceId}`, { type, deviceId, rec });
    this.timer ??= setTimeout(() => void this.flush(), this.delayMs);
  }

  /** Writes what is gathered now (also at stop). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const recs = [...this.pending.values()];
    this.pending = new Map();
    await this.registry.recordDevices(recs).catch(this.onError);
  }
}
