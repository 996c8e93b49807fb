// Doing, apart from deciding: runs a host's operations (op.ts) in order over its SSH connection,
// or under --check only lists them. Each operation is counted as a change, shown as progress,
// and with --diff a written file's difference is shown first; a non-zero exit fails the host
// (the remaining operations do not run). Checks that found the host as wanted count as ok.
import { Readable } from 'node:stream';
import { DeployError } from '../../lib/errors.js';
import { shq, type SshHost } from '../ssh/connection.js';
import type { DeployContext, HostResult } from './context.js';
import type { FileSpec } from './layout.js';
import type { Check, Op, Stage } from './op.js';
import { CHECK_FAILED_EXIT } from './operations.js';

const DIFF_MAX_BYTES = 256 * 1024;

export class Executor {
  constructor(
    private readonly ctx: DeployContext,
    private readonly hostName: string,
    private readonly ssh: SshHost,
    private readonly r: HostResult,
  ) {}

  /** The checks and operations of one stage. */
  async stage(d: { ops: Op[]; ok: Check[] }, stage: Stage): Promise<void> {
    this.r.ok += d.ok.filter((c) => c.stage === stage).length;
    await this.run(d.ops.filter((o) => o.stage === stage));
  }

  async run(ops: Op[]): Promise<void> {
    for (const op of ops) await this.one(op);
  }

  note(message: string): void {
    this.ctx.emit(this.hostName, message);
  }

  /** Counts a change; outside --check it is also progress. */
  private record(title: string): void {
    this.r.changed++;
    this.r.changes.push(this.ctx.masker.mask(title));
    if (!this.ctx.check) this.note(title);
  }

  private async one(op: Op): Promise<void> {
    if (op.changedWhenOutput !== undefined) {
      if (this.ctx.check) return;
      const out = await this.exec(op);
      if (out.trim() === op.changedWhenOutput) this.record(op.title);
      else this.r.ok++;
      return;
    }
    if (op.write && this.ctx.diff) await this.showDiff(op.write.file, op.write.exists);
    this.record(op.title);
    if (!this.ctx.check) await this.exec(op);
  }

  private async exec(op: Op): Promise<string> {
    const stdin = Buffer.isBuffer(op.stdin) ? Readable.from([op.stdin]) : op.stdin;
    const res = await this.ssh.run(op.command, { stdin });
    if (op.write && res.code === CHECK_FAILED_EXIT) {
      const f = op.write.file;
      const checker = f.remoteCheck?.replace('{}', f.path + '.nms-new');
      const said = this.ctx.masker.mask(res.stderr.trim()).split('\n').join('\n  ');
      throw new DeployError(
        `${f.path} (from ${f.source}) was rejected by \`${checker}\`; the old file is unchanged:\n  ${said}`,
      );
    }
    if (res.code !== 0) {
      const said = (res.stderr || res.stdout).trim().split('\n').slice(-6).join('\n  ');
      throw new DeployError(`${op.title}: ${said || `exit ${res.code}`}`);
    }
    return res.stdout;
  }

  private async showDiff(f: FileSpec, exists: boolean): Promise<void> {
    let text: string;
    if (f.secret) text = `--- ${f.path}\n+++ ${f.path}\n(secret contents changed)\n`;
    else if (f.binary || f.content.length > DIFF_MAX_BYTES) {
      const what = `${f.content.length} bytes, sha256 ${f.sha256.slice(0, 16)}…`;
      text = `--- ${f.path}\n+++ ${f.path}\n(binary or large file changed: ${what})\n`;
    } else {
      let old = '';
      if (exists) {
        const r = await this.ssh.run(`cat ${shq(f.path)}`);
        old = r.code === 0 ? r.stdout : '';
      }
      text = this.ctx.masker.diff(old, f.content.toString('utf8'), f.path);
    }
    this.r.diffs.push(this.ctx.masker.mask(text));
  }
}
