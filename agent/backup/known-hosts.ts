// The devices' SSH host keys as first seen (accept-new): a JSON file beside the repository,
// fingerprint by `host:port`. A key that differs from the one kept is refused; removing the
// line (or the file) accepts the new key on the next run.
import { readFileSync, writeFileSync } from 'node:fs';

export class KnownHosts {
  private keys: Record<string, string> = {};
  private dirty = false;

  constructor(readonly file: string) {
    try {
      this.keys = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    } catch {
      this.keys = {}; // none yet
    }
  }

  /** True when `fingerprint` is the key kept for `host:port`, or the first one seen there. */
  check(host: string, port: number, fingerprint: string): boolean {
    const at = `${host}:${port}`;
    if (this.keys[at] === undefined) {
      this.keys[at] = fingerprint;
      this.dirty = true;
    }
    return this.keys[at] === fingerprint;
  }

  save(): void {
    if (!this.dirty) return;
    writeFileSync(this.file, JSON.stringify(this.keys, null, 1) + '\n', { mode: 0o640 });
    this.dirty = false;
  }
}
