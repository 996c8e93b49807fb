// What the agent's supervisor records, and how a crash loop is recognised. Where there is no
// systemd, the init script runs a small supervisor (templates/nms/nms-agent.init.hbs) that
// restarts the agent with a growing delay and writes its state to SUPERVISOR_STATE; where
// systemd runs, `systemctl show` says the same. `nms-agent doctor` reads either through here.

/** Directory the supervisor (running as the agent's user) writes its state in. */
export const SUPERVISOR_DIR = '/var/lib/nms/supervisor';
export const SUPERVISOR_STATE = `${SUPERVISOR_DIR}/state`;

/** Exits in a row, each within STABLE_SECONDS of its start, that make a crash loop. */
export const CRASH_LOOP_FAILURES = 3;
/** A run at least this long resets the back-off (the init script uses the same number). */
export const STABLE_SECONDS = 60;

export interface SupervisorState {
  /** The supervisor's pid. */
  pid: number;
  /** The agent's pid while it runs, else null. */
  child: number | null;
  state: 'running' | 'backoff' | 'stopped';
  /** When the current (or last) agent process started, epoch seconds. */
  startedAt: number | null;
  /** Restarts since the supervisor started. */
  restarts: number;
  /** Exits in a row that came within STABLE_SECONDS of their start. */
  failures: number;
  /** The last exit status as the shell reports it (128 + signal when killed). */
  lastExit: number | null;
  lastExitAt: number | null;
  /** Seconds waited before the next start (the back-off). */
  delay: number;
  updatedAt: number;
}

/** Parses the `key=value` lines the init script's supervisor writes. */
export function parseSupervisorState(text: string): SupervisorState {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const num = (k: string): number | null => {
    const v = kv.get(k);
    return v === undefined || v === '' || !/^-?\d+$/.test(v) ? null : Number(v);
  };
  const state = kv.get('state');
  if (num('pid') === null || (state !== 'running' && state !== 'backoff' && state !== 'stopped'))
    throw new Error('supervisor state file is not in the expected form');
  return {
    pid: num('pid')!,
    child: num('child'),
    state,
    startedAt: num('started_at'),
    restarts: num('restarts') ?? 0,
    failures: num('failures') ?? 0,
    lastExit: num('last_exit'),
    lastExitAt: num('last_exit_at'),
    delay: num('delay') ?? 0,
    updatedAt: num('updated_at') ?? 0,
  };
}

/** How an exit status reads to a person: `exit code 2`, `killed by signal 9`. */
export function describeExit(code: number | null): string {
  if (code === null) return 'unknown exit';
  return code > 128 && code < 160 ? `killed by signal ${code - 128}` : `exit code ${code}`;
}

export interface SupervisionVerdict {
  ok: boolean;
  crashLoop: boolean;
  detail: string;
}

/**
 * Judges the supervisor's record. A crash loop is CRASH_LOOP_FAILURES short runs in a row with
 * the agent not (yet) past STABLE_SECONDS in its current run.
 */
export function judgeSupervisor(s: SupervisorState, alive: boolean, nowSec: number): SupervisionVerdict {
  if (!alive) {
    // `nms-agent stop` ends the supervisor on purpose: the agent is down, not left unsupervised
    if (s.state === 'stopped') return { ok: true, crashLoop: false, detail: 'stopped by the init script' };
    const detail = `the supervisor (pid ${s.pid}) is gone: nothing restarts the agent if it stops`;
    return { ok: false, crashLoop: false, detail };
  }
  if (s.state === 'stopped') return { ok: true, crashLoop: false, detail: 'supervisor stopping' };
  const ago = s.lastExitAt === null ? 0 : Math.max(0, nowSec - s.lastExitAt);
  const last = s.lastExitAt === null ? '' : `; last ${describeExit(s.lastExit)} ${ago} s ago`;
  const ranLong = s.state === 'running' && s.startedAt !== null && nowSec - s.startedAt >= STABLE_SECONDS;
  if (s.failures >= CRASH_LOOP_FAILURES && !ranLong) {
    const next = s.state === 'backoff' ? `; next start in ${Math.max(0, s.delay - ago)} s` : '; starting again';
    const what = `the agent stopped ${s.failures} times in a row within ${STABLE_SECONDS} s of starting`;
    return { ok: false, crashLoop: true, detail: `crash loop: ${what}${last}${next}` };
  }
  const pid = s.state === 'running' ? `agent pid ${s.child}` : `agent restarting in ${s.delay} s`;
  const detail = `supervised (supervisor pid ${s.pid}, ${pid}); ${s.restarts} restarts${last}`;
  return { ok: true, crashLoop: false, detail };
}

/** The properties `systemctl show` reports for the unit, as judged by {@link judgeSystemd}. */
export const SYSTEMD_PROPERTIES = ['ActiveState', 'SubState', 'NRestarts', 'ExecMainStatus'];

/** Judges `systemctl show -p ActiveState -p SubState -p NRestarts -p ExecMainStatus` output. */
export function judgeSystemd(text: string): SupervisionVerdict {
  const kv = new Map<string, string>();
  for (const l of text.split('\n')) {
    const i = l.indexOf('=');
    if (i > 0) kv.set(l.slice(0, i), l.slice(i + 1));
  }
  const restarts = Number(kv.get('NRestarts') ?? 0);
  const sub = kv.get('SubState') ?? '?';
  const active = kv.get('ActiveState') ?? '?';
  const status = kv.get('ExecMainStatus');
  const where = `systemd: ${active} (${sub}), ${restarts} restarts`;
  if (restarts >= CRASH_LOOP_FAILURES && (sub === 'auto-restart' || sub === 'start'))
    return { ok: false, crashLoop: true, detail: `crash loop: ${where}; last exit code ${status ?? '?'}` };
  if (active === 'failed') {
    return { ok: false, crashLoop: false, detail: `${where}: the unit failed and systemd gave up` };
  }
  return { ok: true, crashLoop: false, detail: where };
}
