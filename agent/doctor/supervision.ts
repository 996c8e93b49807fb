// The doctor's `supervisor` check: is something there to restart this node's agent, and is the
// agent in a crash loop? systemd answers through `systemctl show`; without systemd the init
// script's supervisor answers through its state file (lib/supervisor.ts).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import {
  SUPERVISOR_STATE,
  SYSTEMD_PROPERTIES,
  judgeSupervisor,
  judgeSystemd,
  parseSupervisorState,
  type SupervisionVerdict,
} from '../../lib/supervisor.js';

export interface SupervisionOptions {
  /** The supervisor's state file. Default SUPERVISOR_STATE. */
  statePath?: string;
  /** Whether systemd runs this node. Default: /run/systemd/system exists. */
  systemd?: boolean;
  /** The service name. Default nms-agent. */
  unit?: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function systemctlShow(unit: string): Promise<string> {
  const args = ['show', unit, ...SYSTEMD_PROPERTIES.flatMap((p) => ['-p', p])];
  return new Promise((resolve, reject) =>
    execFile('systemctl', args, { timeout: 3000 }, (err, out) => (err ? reject(err) : resolve(String(out)))),
  );
}

export async function checkSupervision(o: SupervisionOptions = {}): Promise<SupervisionVerdict> {
  const systemd = o.systemd ?? existsSync('/run/systemd/system');
  if (systemd) return judgeSystemd(await systemctlShow(o.unit ?? 'nms-agent'));
  const path = o.statePath ?? SUPERVISOR_STATE;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    const detail =
      `not supervised here (no systemd, no ${path}): ` + 'the agent was not started by the deployed init script';
    return { ok: true, crashLoop: false, detail };
  }
  const s = parseSupervisorState(text);
  return judgeSupervisor(s, alive(s.pid), Math.floor(Date.now() / 1000));
}
