// deploy bench: `nms deploy` on the lab (master + 2 pollers) from clean hosts (when the lab has
// never been deployed) and with nothing to change, against ansible-playbook running
// bench/ansible/deploy.yml (pipelining on, forks 10 ≥ 3 hosts) for the same wanted state on the
// same hosts. Needs a healthy lab: `nms lab up` (this bench never brings one up or down, since
// the lab is shared with other engineers' e2e tests). NMS_BENCH_DEPLOY_RUNS (default 10) nms
// no-change runs, NMS_BENCH_ANSIBLE_RUNS (default 3).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeAnsibleWork } from './lib/ansible-vars.js';
import { CleanCluster } from './lib/clean-hosts.js';
import { copyInventory } from './lib/inventory-copy.js';
import { fmt, now, ROOT, table, writeSection } from './lib/report.js';

// the lab's inventory; NMS_BENCH_INVENTORY when another clone brought the lab up (its own copy, same secrets)
const INV_SRC = process.env.NMS_BENCH_INVENTORY ?? join(ROOT, 'inventories/lab');
let INV = INV_SRC;
const NMS = [process.execPath, join(ROOT, 'dist/nms.mjs')];
const RUNS = Number(process.env.NMS_BENCH_DEPLOY_RUNS ?? 10);
const ANSIBLE_RUNS = Number(process.env.NMS_BENCH_ANSIBLE_RUNS ?? 3);

interface Hyper {
  mean: number;
  stddev: number;
  min: number;
  max: number;
  median: number;
}

export function labHealthy(): { ok: boolean; why?: string } {
  const r = spawnSync(NMS[0], [NMS[1], 'lab', 'status', '--json'], { encoding: 'utf8', timeout: 60_000 });
  try {
    const s = JSON.parse(r.stdout) as { up: boolean; healthy: boolean; pollers: number };
    if (!s.up) return { ok: false, why: 'no lab is up (nms lab up)' };
    if (!s.healthy) return { ok: false, why: 'the lab is not healthy (nms lab status)' };
    if (s.pollers !== 2) return { ok: false, why: `the lab has ${s.pollers} pollers, not 2` };
    return { ok: true };
  } catch {
    return { ok: false, why: `nms lab status failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}` };
  }
}

/** hyperfine's statistics of one command, in seconds. */
export function hyperfine(name: string, command: string, runs: number, warmup: number, env: Record<string, string> = {}): Hyper {
  const out = join(ROOT, `.bench-${name}-${process.pid}.json`);
  try {
    execFileSync('hyperfine', ['--style', 'basic', '--warmup', String(warmup), '--runs', String(runs), '--export-json', out, '-n', name, command], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env }, timeout: 1800_000 });
    const r = JSON.parse(readFileSync(out, 'utf8')).results[0] as Hyper;
    return r;
  } finally {
    rmSync(out, { force: true });
  }
}

function stats(xs: number[]): Hyper {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sorted = [...xs].sort((a, b) => a - b);
  const stddev = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { mean, stddev, min: sorted[0], max: sorted.at(-1)!, median: sorted[Math.floor(sorted.length / 2)] };
}

function deployJson(): { code: number; changed: number; failed: number; json: unknown } {
  const r = spawnSync(NMS[0], [NMS[1], 'deploy', '-i', INV, '--json'], { encoding: 'utf8', timeout: 1800_000, maxBuffer: 64 * 1024 * 1024 });
  let changed = -1;
  let failed = -1;
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
    const hosts = (json as { hosts: { changed: number; failed: number | boolean }[] }).hosts ?? [];
    changed = hosts.reduce((a, h) => a + Number(h.changed ?? 0), 0);
    failed = hosts.reduce((a, h) => a + Number(h.failed ?? 0), 0);
  } catch {
    /* reported through code */
  }
  return { code: r.status ?? -1, changed, failed, json };
}

function masterDeployed(): boolean {
  const r = spawnSync(NMS[0], [NMS[1], 'lab', 'exec', 'master', '--', 'test', '-f', '/etc/nms/.env'], { timeout: 60_000 });
  return r.status === 0;
}

function ansibleRecap(dir: string): { code: number; changed: number; ok: number; failed: number; out: string } {
  const r = spawnSync('ansible-playbook', [join(ROOT, 'bench/ansible/deploy.yml')], { cwd: dir, encoding: 'utf8', timeout: 1800_000, env: { ...process.env, ANSIBLE_CONFIG: join(dir, 'ansible.cfg') } });
  let changed = 0;
  let ok = 0;
  let failed = 0;
  for (const m of r.stdout.matchAll(/ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/g)) {
    ok += Number(m[1]);
    changed += Number(m[2]);
    failed += Number(m[3]) + Number(m[4]);
  }
  return { code: r.status ?? -1, changed, ok, failed, out: r.stdout + r.stderr };
}

interface CleanResult {
  nms: { seconds: number; code: number; changed: number; error?: string };
  nmsAgain: { seconds: number; changed: number };
  ansible?: { seconds: number; code: number; changed: number; ok: number; failed: number };
  ansibleAgain?: { changed: number };
  nmsAfterAnsible?: { seconds: number; changed: number; code: number };
  error?: string;
}

/** Both tools from clean hosts: three extra lab hosts, deployed by nms, then made again and deployed by Ansible. */
async function cleanRuns(): Promise<CleanResult> {
  const cc = new CleanCluster(INV);
  try {
    await cc.start();
    const nms = cc.deploy();
    console.error(`nms deploy, clean hosts: ${nms.seconds.toFixed(1)} s, exit ${nms.code}, ${nms.changed} changes`);
    const again = cc.deploy();
    const out: CleanResult = { nms, nmsAgain: { seconds: again.seconds, changed: again.changed } };
    if (nms.code !== 0) return { ...out, error: nms.error };
    const work = await writeAnsibleWork(cc.dir);
    try {
      await cc.recreate();
      const t = performance.now();
      const a = ansibleRecap(work.dir);
      out.ansible = { seconds: (performance.now() - t) / 1000, code: a.code, changed: a.changed, ok: a.ok, failed: a.failed };
      console.error(`ansible-playbook, clean hosts: ${out.ansible.seconds.toFixed(1)} s, exit ${a.code}, changed=${a.changed}`);
      if (a.code !== 0) out.error = a.out.split('\n').filter((l) => /^(fatal|failed):/.test(l)).slice(0, 2).map((l) => l.slice(0, 200)).join(' / ') || `exit ${a.code}`;
      out.ansibleAgain = { changed: ansibleRecap(work.dir).changed };
      const after = cc.deploy();
      out.nmsAfterAnsible = { seconds: after.seconds, changed: after.changed, code: after.code };
    } finally {
      rmSync(work.dir, { recursive: true, force: true });
    }
    return out;
  } finally {
    await cc.close();
  }
}

async function main(): Promise<void> {
  const lab = labHealthy();
  if (!lab.ok) {
    console.error(`deploy bench skipped: ${lab.why}`);
    process.exitCode = 3;
    return;
  }
  INV = copyInventory(INV_SRC);
  try {
    await measure();
  } finally {
    rmSync(INV, { recursive: true, force: true });
  }
}

async function measure(): Promise<void> {
  const rows: (string | number)[][] = [];
  let clean: { seconds: number; changed: number; code: number } | undefined;
  if (!masterDeployed()) {
    const t = performance.now();
    const r = deployJson();
    clean = { seconds: (performance.now() - t) / 1000, changed: r.changed, code: r.code };
    console.error(`nms deploy from clean hosts: ${clean.seconds.toFixed(1)} s, exit ${r.code}, ${r.changed} changes`);
    if (r.code !== 0) throw new Error(`nms deploy from clean hosts failed (exit ${r.code}): ${JSON.stringify(r.json).slice(0, 2000)}`);
  }
  const check = deployJson();
  if (check.code !== 0) throw new Error(`nms deploy failed (exit ${check.code}); fix the lab first`);
  if (check.changed !== 0) {
    // a first run after someone else's deploy may still converge something; the next must not
    const again = deployJson();
    if (again.changed !== 0) throw new Error(`nms deploy keeps changing things (${again.changed} changes): no "no-change" run to measure`);
  }
  const nms = hyperfine('nms-deploy-no-change', `${NMS.join(' ')} deploy -i ${INV}`, RUNS, 1);

  const work = await writeAnsibleWork(INV);
  let ansible: Hyper = stats([0]);
  let settle: ReturnType<typeof ansibleRecap> | undefined;
  let verify: ReturnType<typeof ansibleRecap> | undefined;
  try {
    // the first Ansible run may change modes or file backups it does differently; then it must be a no-op
    settle = ansibleRecap(work.dir);
    if (settle.code !== 0) throw new Error(`ansible-playbook failed (exit ${settle.code}):\n${settle.out.slice(-3000)}`);
    verify = ansibleRecap(work.dir);
    console.error(`ansible first run: ok=${settle.ok} changed=${settle.changed}; second: ok=${verify.ok} changed=${verify.changed}`);
    // timed here rather than by hyperfine so that a failed run (the shared lab rebuilt under us) says why
    const times: number[] = [];
    for (let i = 0; i < ANSIBLE_RUNS; i++) {
      const t = performance.now();
      const r = ansibleRecap(work.dir);
      if (r.code !== 0) throw new Error(`ansible-playbook run ${i + 1} failed (exit ${r.code}):\n${r.out.slice(-2000)}`);
      times.push((performance.now() - t) / 1000);
    }
    ansible = stats(times);
  } finally {
    rmSync(work.dir, { recursive: true, force: true });
  }
  // Ansible must have left nothing for nms to change: the two describe the same state
  const after = deployJson();
  const cr = process.env.NMS_BENCH_DEPLOY_CLEAN === '0' ? undefined : await cleanRuns();

  if (clean) rows.push(['nms deploy, clean lab hosts (1 run)', fmt(clean.seconds, 2), '–', '–', '–', String(clean.changed)]);
  if (cr) {
    rows.push(['nms deploy, 3 clean extra hosts (1 run)', fmt(cr.nms.seconds, 2), '–', '–', '–', String(cr.nms.changed)]);
    rows.push(['nms deploy, same hosts, next run', fmt(cr.nmsAgain.seconds, 2), '–', '–', '–', String(cr.nmsAgain.changed)]);
    if (cr.ansible) rows.push([`ansible-playbook, the same 3 hosts made again clean (1 run${cr.ansible.code ? `, exit ${cr.ansible.code}` : ''})`, fmt(cr.ansible.seconds, 2), '–', '–', '–', String(cr.ansible.changed)]);
    if (cr.nmsAfterAnsible) rows.push([`nms deploy after that Ansible run (what the playbook does not do)${cr.nmsAfterAnsible.code ? `, exit ${cr.nmsAfterAnsible.code}` : ''}`, fmt(cr.nmsAfterAnsible.seconds, 2), '–', '–', '–', String(cr.nmsAfterAnsible.changed)]);
  }
  rows.push([`nms deploy, no change (${RUNS} runs)`, fmt(nms.mean, 2), fmt(nms.stddev, 2), fmt(nms.min, 2), fmt(nms.max, 2), '0']);
  rows.push([`ansible-playbook, no change (${ANSIBLE_RUNS} runs)`, fmt(ansible.mean, 2), fmt(ansible.stddev, 2), fmt(ansible.min, 2), fmt(ansible.max, 2), String(verify.changed)]);
  const ratio = ansible.mean / nms.mean;
  const text = `## deploy: nms deploy vs ansible-playbook on the lab

Run ${now()}: the lab (master + poller1 + poller2, each its own namespaces and sshd on this
machine); nms timed with hyperfine, Ansible run by run (wall, whole command: Node start, inventory validation, SSH,
facts). Ansible: \`ansible-playbook\` ${execFileSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).split('\n')[0].replace(/^ansible-playbook /, '')} with bench/ansible/deploy.yml,
pipelining on, forks 10, ControlPersist 60 s (Ansible's default, so its later runs reuse SSH
connections), the same known_hosts and key; its per-host vars come from nms's own plan (same
packages, nms user, directories, rendered files with owners and modes, services, a read of the
database accounts). Ansible's first run here reported changed=${settle.changed}, the next changed=${verify.changed};
after the Ansible runs \`nms deploy\` found ${after.changed} change(s) (0 means both tools want the same state).
${clean ? '' : '\nThe lab had already been deployed (it is shared), so the lab itself gives no "from clean hosts" figure.'}
${cr ? `From clean hosts: three extra lab hosts (\`nms lab add-host\`, outside inventories/lab; the same
cluster layout and settings in a private inventory) deployed by nms; then removed, made again
clean at the same addresses and deployed by ansible-playbook with vars from nms's plan for them;
then nms deploy once more on what Ansible left (its changes are the database accounts, schema and
devices, which the playbook only reads, and whatever else differed). Packages are in the lab's
lower layer, so neither tool installs any.${cr.error ? ` A failure: ${cr.error.replace(/\s+/g, ' ').slice(0, 400)}` : ''}` : ''}

${table(['', ''], [
    ['budget', 'no-change nms deploy ≤ 1.5 s and ≥ 10× faster than ansible-playbook'],
    ['nms no-change (mean)', `${fmt(nms.mean, 2)} s (${nms.mean <= 1.5 ? 'within' : 'OVER'} 1.5 s)`],
    ['ratio ansible / nms', `${fmt(ratio, 1)}× (${ratio >= 10 ? 'met' : 'NOT met'})`],
  ])}

${table(['run', 'mean s', 'stddev s', 'min s', 'max s', 'changes'], rows)}
`;
  console.log(text);
  writeSection('deploy', text);
}

if (process.argv[1]?.endsWith('deploy.ts')) await main();
