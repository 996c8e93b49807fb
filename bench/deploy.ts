// deploy bench: `nms deploy` on the lab (master + 2 pollers) from clean hosts (when the lab has
// never been deployed) and with nothing to change, against ansible-playbook running
// bench/ansible/deploy.yml (pipelining on, forks 10 ≥ 3 hosts) for the same wanted state on the
// same hosts, and both from clean hosts on three extra lab hosts. Needs a lab of master + 2
// pollers: one that is down or left broken by an earlier run is rebuilt with `nms lab up`
// (NMS_BENCH_LAB_UP=0: never), one of another shape is left alone (skipped, exit 3); the bench
// never takes a lab down. NMS_BENCH_DEPLOY_RUNS (default 10) nms no-change runs,
// NMS_BENCH_ANSIBLE_RUNS (default 3), NMS_BENCH_DEPLOY_CLEAN=0 skips the clean-host runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ansibleRecap } from './lib/ansible-run.js';
import { hyperfine, stats, type Hyper } from './lib/hyperfine.js';
import { removeAnsibleWork, writeAnsibleWork } from './lib/ansible-vars.js';
import { CleanCluster, compareSnapshots, snapshotHosts, timedSpawn } from './lib/clean-hosts.js';
import { copyInventory, pinBuild, readyLab } from './lib/inventory-copy.js';
import { fmt, now, ROOT, table, writeSection } from './lib/report.js';

// a private copy of the lab's inventory (readyLab finds it; NMS_BENCH_INVENTORY names another)
let INV = '';
// a private copy of dist/ and templates/ (pinBuild): both tools deploy the same bytes all run long
let BUILD = ROOT;
const NMS = [process.execPath, join(ROOT, 'dist/nms.mjs')];
const RUNS = Number(process.env.NMS_BENCH_DEPLOY_RUNS ?? 10);
const ANSIBLE_RUNS = Number(process.env.NMS_BENCH_ANSIBLE_RUNS ?? 3);

/** `host: change` for every change of a `nms deploy --json` result. */
function changeTitles(json: unknown): string[] {
  const hosts = (json as { hosts?: { host: string; changes?: string[] }[] } | undefined)?.hosts ?? [];
  return hosts.flatMap((h) => (h.changes ?? []).map((c) => `${h.host}: ${c}`));
}

function deployJson(): { code: number; changed: number; failed: number; cpu: number; json: unknown } {
  const r = timedSpawn(NMS[0], [NMS[1], 'deploy', '-i', INV, '--json']);
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
  return { code: r.code, changed, failed, cpu: r.cpu, json };
}

function masterDeployed(): boolean {
  const r = spawnSync(NMS[0], [NMS[1], 'lab', 'exec', 'master', '--', 'test', '-f', '/etc/nms/.env'], {
    timeout: 60_000,
  });
  return r.status === 0;
}

interface CleanResult {
  nms: { seconds: number; cpu: number; code: number; changed: number; error?: string };
  nmsAgain: { seconds: number; cpu: number; changed: number };
  ansible?: { seconds: number; cpu: number; code: number; changed: number; ok: number; failed: number };
  ansibleAgain?: { seconds: number; cpu: number; code: number; changed: number };
  nmsAfterAnsible?: { seconds: number; cpu: number; changed: number; code: number; changes: string[] };
  /** The hosts' files as each tool left them, compared. */
  layers?: ReturnType<typeof compareSnapshots>;
  error?: string;
}

/** What differs between the hosts' files as nms and as Ansible left them, in words. */
function layerDiff(layers: NonNullable<CleanResult['layers']>): string {
  const expected =
    Object.entries(layers.expected)
      .map(([why, n]) => `${n} path(s): ${why}`)
      .join('; ') || 'nothing';
  const other = layers.other.length
    ? `; and, unexplained, ${layers.other.length}: ${layers.other.slice(0, 8).join(', ')}`
    : '; nothing else';
  return expected + other;
}

/**
 * Both tools from clean hosts: three extra lab hosts deployed by nms (and once more, no change),
 * then made again clean at the same addresses and deployed by Ansible (and once more), then nms
 * deploy on what Ansible left: 0 changes when both tools made the same state.
 */
async function cleanRuns(): Promise<CleanResult> {
  const cc = new CleanCluster(INV, BUILD);
  try {
    await cc.start();
    const nms = cc.deploy();
    console.error(`nms deploy, clean hosts: ${nms.seconds.toFixed(1)} s, exit ${nms.code}, ${nms.changed} changes`);
    const again = cc.deploy();
    const out: CleanResult = { nms, nmsAgain: { seconds: again.seconds, cpu: again.cpu, changed: again.changed } };
    if (nms.code !== 0) return { ...out, error: nms.error };
    const byNms = snapshotHosts();
    // the vars carry the NODE_ID nms gave each host, so both tools write the same .env
    const work = await writeAnsibleWork(cc.dir, BUILD);
    try {
      await cc.recreate();
      let t = performance.now();
      const a = ansibleRecap(work.dir);
      out.ansible = {
        seconds: (performance.now() - t) / 1000,
        cpu: a.cpu,
        code: a.code,
        changed: a.changed,
        ok: a.ok,
        failed: a.failed,
      };
      console.error(
        `ansible-playbook, clean hosts: ${out.ansible.seconds.toFixed(1)} s, exit ${a.code}, changed=${a.changed}`,
      );
      if (a.error) out.error = a.error;
      t = performance.now();
      const b = ansibleRecap(work.dir);
      out.ansibleAgain = { seconds: (performance.now() - t) / 1000, cpu: b.cpu, code: b.code, changed: b.changed };
      if (b.error && !out.error) out.error = b.error;
      out.layers = compareSnapshots(byNms, snapshotHosts());
      const after = cc.deploy();
      out.nmsAfterAnsible = {
        seconds: after.seconds,
        cpu: after.cpu,
        changed: after.changed,
        code: after.code,
        changes: after.changes,
      };
      if (after.changes.length) console.error(`nms deploy after Ansible changed:\n  ${after.changes.join('\n  ')}`);
    } finally {
      removeAnsibleWork(work);
    }
    return out;
  } finally {
    await cc.close();
  }
}

async function main(): Promise<void> {
  const lab = readyLab();
  if (!lab.ok) {
    console.error(`deploy bench skipped: ${lab.why}`);
    process.exitCode = 3;
    return;
  }
  INV = copyInventory(lab.inventory);
  BUILD = pinBuild();
  NMS[1] = join(BUILD, 'dist/nms.mjs');
  try {
    await measure();
  } finally {
    rmSync(INV, { recursive: true, force: true });
    rmSync(BUILD, { recursive: true, force: true });
  }
}

type Run = { seconds: number; cpu: number; changed: number; code: number };

/** The lab itself from clean hosts, when it has never been deployed: its one run. */
function cleanLabRun(): Run | undefined {
  let clean: Run | undefined;
  if (!masterDeployed()) {
    const t = performance.now();
    const r = deployJson();
    clean = { seconds: (performance.now() - t) / 1000, cpu: r.cpu, changed: r.changed, code: r.code };
    console.error(`nms deploy from clean hosts: ${clean.seconds.toFixed(1)} s, exit ${r.code}, ${r.changed} changes`);
    if (r.code !== 0)
      throw new Error(`nms deploy from clean hosts failed (exit ${r.code}): ${JSON.stringify(r.json).slice(0, 2000)}`);
  }
  return clean;
}

/** nms deploy with nothing to change, timed by hyperfine once the lab has settled. */
function nmsNoChange(): Hyper {
  const check = deployJson();
  if (check.code !== 0) throw new Error(`nms deploy failed (exit ${check.code}); fix the lab first`);
  if (check.changed !== 0) {
    // a first run after someone else's deploy may still converge something; the next must not
    const again = deployJson();
    if (again.changed !== 0)
      throw new Error(`nms deploy keeps changing things (${again.changed} changes): no "no-change" run to measure`);
  }
  return hyperfine('nms-deploy-no-change', `${NMS.join(' ')} deploy -i ${INV}`, RUNS, 1);
}

interface AnsibleNoChange {
  ansible: Hyper;
  settle: ReturnType<typeof ansibleRecap>;
  verify: ReturnType<typeof ansibleRecap>;
}

/** ansible-playbook on the lab: one settling run, one checked, then ANSIBLE_RUNS timed. */
async function ansibleNoChange(): Promise<AnsibleNoChange> {
  const work = await writeAnsibleWork(INV, BUILD);
  let ansible: Hyper = stats([0]);
  let settle: ReturnType<typeof ansibleRecap> | undefined;
  let verify: ReturnType<typeof ansibleRecap> | undefined;
  try {
    // the first Ansible run may change modes or file backups it does differently; then it must be a no-op
    settle = ansibleRecap(work.dir);
    if (settle.code !== 0)
      throw new Error(`ansible-playbook failed (exit ${settle.code}):\n${settle.out.slice(-3000)}`);
    verify = ansibleRecap(work.dir);
    console.error(
      `ansible first run: ok=${settle.ok} changed=${settle.changed}; second: ok=${verify.ok} changed=${verify.changed}`,
    );
    // timed here rather than by hyperfine so that a failed run (the shared lab rebuilt under us) says why
    const times: number[] = [];
    const cpus: number[] = [];
    for (let i = 0; i < ANSIBLE_RUNS; i++) {
      const t = performance.now();
      const r = ansibleRecap(work.dir);
      if (r.code !== 0)
        throw new Error(`ansible-playbook run ${i + 1} failed (exit ${r.code}):\n${r.out.slice(-2000)}`);
      times.push((performance.now() - t) / 1000);
      cpus.push(r.cpu);
    }
    ansible = { ...stats(times), user: cpus.reduce((a, b) => a + b, 0) / cpus.length, system: 0 };
  } finally {
    removeAnsibleWork(work);
  }
  return { ansible, settle, verify };
}

interface Measured extends AnsibleNoChange {
  clean?: Run;
  nms: Hyper;
  /** nms deploy after the Ansible runs. */
  after: ReturnType<typeof deployJson>;
  cr?: CleanResult;
}

/** The table's rows: single runs from clean hosts first, then the no-change means. */
function deployRows({ clean, cr, nms, ansible, verify }: Measured): (string | number)[][] {
  const rows: (string | number)[][] = [];
  const one = (label: string, r: { seconds: number; cpu: number }, changes: string): (string | number)[] => [
    label,
    fmt(r.seconds, 2),
    '–',
    '–',
    '–',
    fmt(r.cpu, 2),
    changes,
  ];
  if (clean) rows.push(one('nms deploy, clean lab hosts (1 run)', clean, String(clean.changed)));
  const exit = (code: number): string => (code ? `, exit ${code}` : '');
  if (cr) {
    rows.push(one(`nms deploy, 3 clean extra hosts (1 run${exit(cr.nms.code)})`, cr.nms, String(cr.nms.changed)));
    rows.push(one('nms deploy, same hosts, next run', cr.nmsAgain, String(cr.nmsAgain.changed)));
    if (cr.ansible)
      rows.push(
        one(
          `ansible-playbook, the same 3 hosts made again clean (1 run${exit(cr.ansible.code)})`,
          cr.ansible,
          `${cr.ansible.changed} tasks`,
        ),
      );
    if (cr.ansibleAgain)
      rows.push(
        one(
          `ansible-playbook, same hosts, next run${exit(cr.ansibleAgain.code)}`,
          cr.ansibleAgain,
          `${cr.ansibleAgain.changed} tasks`,
        ),
      );
    if (cr.nmsAfterAnsible)
      rows.push(
        one(
          `nms deploy after those Ansible runs${exit(cr.nmsAfterAnsible.code)}`,
          cr.nmsAfterAnsible,
          String(cr.nmsAfterAnsible.changed),
        ),
      );
  }
  const cpu = (h: Hyper): string => (h.user === undefined ? '–' : fmt(h.user + (h.system ?? 0), 2));
  rows.push([
    `nms deploy, no change (${RUNS} runs)`,
    fmt(nms.mean, 2),
    fmt(nms.stddev, 2),
    fmt(nms.min, 2),
    fmt(nms.max, 2),
    cpu(nms),
    '0',
  ]);
  rows.push([
    `ansible-playbook, no change (${ANSIBLE_RUNS} runs)`,
    fmt(ansible.mean, 2),
    fmt(ansible.stddev, 2),
    fmt(ansible.min, 2),
    fmt(ansible.max, 2),
    cpu(ansible),
    `${verify.changed} tasks`,
  ]);
  return rows;
}

/** The deploy section: how both tools were run, what they left, the budget and the table. */
function deployReport(m: Measured): void {
  const { clean, cr, nms, ansible, settle, verify, after } = m;
  const rows = deployRows(m);
  const ratio = ansible.mean / nms.mean;
  const cleanRatio = cr?.ansible && !cr.ansible.code && !cr.nms.code ? cr.ansible.seconds / cr.nms.seconds : undefined;
  const leftByAnsible = cr?.nmsAfterAnsible?.changes ?? [];
  const text = `## deploy: nms deploy vs ansible-playbook on the lab

Run ${now()}: the lab (master + poller1 + poller2, each its own namespaces and sshd on this
machine); nms timed with hyperfine, Ansible run by run (wall, whole command: Node start, inventory validation, SSH,
facts). Ansible: \`ansible-playbook\` ${execFileSync('ansible-playbook', ['--version'], { encoding: 'utf8' })
    .split('\n')[0]
    .replace(/^ansible-playbook /, '')} with bench/ansible/deploy.yml,
pipelining on, forks 10, ControlPersist 60 s (Ansible's default, so its later runs reuse SSH
connections), the same known_hosts and key; its per-host vars come from nms's own plan (same
packages, nms user, directories, rendered files with owners and modes, the self-signed
certificate by the same command, services restarted when their files changed, the database and
accounts by nms's own SQL when they differ, the schema by \`nms-agent migrate\`, a read of the
devices). Ansible's first run here reported changed=${settle.changed}, the next changed=${verify.changed};
after the Ansible runs \`nms deploy\` found ${after.changed} change(s) (0 means both tools want the same state)${
    after.changed
      ? `: ${changeTitles(after.json)
          .map((c) => `"${c}"`)
          .join(', ')
          .slice(0, 600)}`
      : ''
  }.
"changes" counts operations for nms and changed tasks for Ansible (a loop over 10 files is one task).
"CPU s" is user + system time on this machine of the tool's own processes (hyperfine for nms; GNU time
for Ansible, whose SSH control masters leave its process tree and are not counted), not the hosts' side.
${clean ? '' : '\nThe lab had already been deployed, so the lab itself gives no "from clean hosts" figure.'}
${
  cr
    ? `From clean hosts: three extra lab hosts (\`nms lab add-host\`, outside inventories/lab; the same
cluster layout and settings in a private inventory, no devices) deployed by nms; then removed, made again
clean at the same addresses and deployed by ansible-playbook with vars from nms's plan for them;
then nms deploy once more on what Ansible left: ${
        leftByAnsible.length
          ? `it changed ${leftByAnsible
              .map((c) => `"${c}"`)
              .join(', ')
              .slice(0, 600)}`
          : 'nothing to change, so both tools made the same state'
      }.
${
  cr.layers
    ? "The hosts' files (their overlay upper layers, daemons' data and logs aside) as nms left them and as " +
      `Ansible left them differ in ${layerDiff(cr.layers)}.`
    : ''
}
Packages are in the lab's lower layer, so neither tool installs any.${cleanRatio ? ` From clean hosts Ansible took ${fmt(cleanRatio, 1)}× nms's time.` : ''}${cr.error ? ` A failure: ${cr.error.replace(/\s+/g, ' ').slice(0, 600)}` : ''}`
    : ''
}

${table(
  ['', ''],
  [
    ['budget', 'no-change nms deploy ≤ 1.5 s and ≥ 10× faster than ansible-playbook'],
    ['nms no-change (mean)', `${fmt(nms.mean, 2)} s (${nms.mean <= 1.5 ? 'within' : 'OVER'} 1.5 s)`],
    ['ratio ansible / nms', `${fmt(ratio, 1)}× (${ratio >= 10 ? 'met' : 'NOT met'})`],
  ],
)}

${table(['run', 'mean s', 'stddev s', 'min s', 'max s', 'CPU s (workstation, mean)', 'changes'], rows)}
`;
  console.log(text);
  writeSection('deploy', text);
}

async function measure(): Promise<void> {
  const clean = cleanLabRun();
  const nms = nmsNoChange();
  const { ansible, settle, verify } = await ansibleNoChange();
  // Ansible must have left nothing for nms to change: the two describe the same state
  const after = deployJson();
  const cr = process.env.NMS_BENCH_DEPLOY_CLEAN === '0' ? undefined : await cleanRuns();
  deployReport({ clean, nms, ansible, settle, verify, after, cr });
}

if (process.argv[1]?.endsWith('deploy.ts')) await main();
