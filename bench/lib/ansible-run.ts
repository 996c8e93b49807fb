// One ansible-playbook run of bench/ansible/deploy.yml for the deploy bench: its PLAY RECAP
// summed over the hosts, its CPU, and for a failed run the fatal lines in words and the whole
// output kept in a private file.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timedSpawn } from './clean-hosts.js';
import { ROOT } from './report.js';

// numbers the kept outputs of this process's failed runs
let failedRuns = 0;

export function ansibleRecap(dir: string): {
  code: number;
  changed: number;
  ok: number;
  failed: number;
  cpu: number;
  out: string;
  error?: string;
} {
  // CPU: ansible-playbook and its forks; not the ssh control masters, which leave the tree
  const r = timedSpawn('ansible-playbook', [join(ROOT, 'bench/ansible/deploy.yml')], {
    cwd: dir,
    env: { ...process.env, ANSIBLE_CONFIG: join(dir, 'ansible.cfg') },
  });
  let changed = 0;
  let ok = 0;
  let failed = 0;
  for (const m of (r.stdout ?? '').matchAll(/ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/g)) {
    ok += Number(m[1]);
    changed += Number(m[2]);
    failed += Number(m[3]) + Number(m[4]);
  }
  const out = (r.stdout ?? '') + (r.stderr ?? '');
  const code = r.code;
  const cpu = r.cpu;
  if (code === 0) return { code, changed, ok, failed, cpu, out };
  // the whole output is kept (secret items are no_log): a failure is read, not guessed at
  const log = join(tmpdir(), `nms-bench-ansible-failed-${process.pid}-${++failedRuns}.log`);
  writeFileSync(log, out, { mode: 0o600 });
  return {
    code,
    changed,
    ok,
    failed,
    cpu,
    out,
    error: `${ansibleFailure(out) || `exit ${code}`} (whole output: ${log})`,
  };
}

/** `fatal: [host]: UNREACHABLE! … "msg": "…"` lines of a failed run, with the task each was in. */
function ansibleFailure(out: string): string {
  const found: string[] = [];
  let task = '';
  for (const line of out.split('\n')) {
    const t = /^TASK \[(.*)\]/.exec(line);
    if (t) task = t[1];
    const f = /^(fatal|failed): \[([^\]]+)\]: ([A-Z!]+)/.exec(line);
    if (!f) continue;
    const msg = /"msg": "((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? '';
    // ssh's warnings come framed in @ lines with JSON \r\n escapes: keep the words
    const words = msg
      .replace(/\\[rn]/g, ' ')
      .replace(/@+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    found.push(`${f[2]} ${f[3]} at "${task}": ${words.slice(0, 300)}`);
  }
  return found.slice(0, 3).join(' / ');
}
