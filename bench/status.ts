// status bench: `nms status` on the deployed lab (doctor on every node and the cluster view from
// the master over SSH, in parallel), timed with hyperfine. Budget ≤ 2 s. Needs a lab of master
// + 2 pollers (one that is down or left broken is rebuilt, as for the deploy bench) and deploys it
// first when it is not; never takes a lab down. NMS_BENCH_STATUS_RUNS (default 10).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { copyInventory, readyLab } from './lib/inventory-copy.js';
import { join } from 'node:path';
import { hyperfine } from './lib/hyperfine.js';
import { fmt, now, ROOT, table, writeSection } from './lib/report.js';

const RUNS = Number(process.env.NMS_BENCH_STATUS_RUNS ?? 10);

function main(): void {
  const lab = readyLab();
  if (!lab.ok) {
    console.error(`status bench skipped: ${lab.why}`);
    process.exitCode = 3;
    return;
  }
  const inv = copyInventory(lab.inventory);
  try {
    // a lab just (re)built, or left undeployed, has nothing for status to look at yet
    const d = spawnSync(process.execPath, [join(ROOT, 'dist/nms.mjs'), 'deploy', '-i', inv], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (d.status !== 0)
      throw new Error(
        `nms deploy of the lab failed (exit ${d.status}): ` +
          (d.stderr || d.stdout).trim().split('\n').slice(-3).join(' | '),
      );
    measure(inv, lab.inventory);
  } finally {
    rmSync(inv, { recursive: true, force: true });
  }
}

function measure(INV: string, INV_SRC: string): void {
  const CMD = `${process.execPath} ${join(ROOT, 'dist/nms.mjs')} status -i ${INV}`;
  const probe = spawnSync(process.execPath, [join(ROOT, 'dist/nms.mjs'), 'status', '-i', INV], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  const verdict = (probe.stdout.trim().split('\n')[0] ?? '').slice(0, 160);
  // nms status exits non-zero when the cluster is unhealthy: still timed (-i), and said below
  const h = hyperfine('nms-status', `${CMD}${probe.status === 0 ? '' : ' || true'}`, RUNS, 1);
  const invName = INV_SRC.replace(ROOT, '');
  const stats = [RUNS, fmt(h.mean, 2), fmt(h.stddev, 2), fmt(h.median, 2), fmt(h.min, 2), fmt(h.max, 2)];
  const text = `## status: nms status on the lab

Run ${now()}: \`nms status\` with a private copy of ${invName} on the deployed lab (master + 2 pollers), ${RUNS}
runs after 1 warm-up, hyperfine (wall of the whole command). Exit code of a run just before:
${probe.status} (${probe.status === 0 ? 'healthy' : 'the cluster reported problems; the time still covers every check'}); its first line: \`${verdict.replace(/`/g, "'")}\`.

${table(
  ['', ''],
  [
    ['budget', '≤ 2 s'],
    ['mean', `${fmt(h.mean, 2)} s (${h.mean <= 2 ? 'within' : 'OVER'} budget)`],
  ],
)}

${table(['runs', 'mean s', 'stddev s', 'median s', 'min s', 'max s'], [stats])}
`;
  console.log(text);
  writeSection('status', text);
}

main();
