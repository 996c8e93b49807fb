// The lab the deploy and status benches run on, and a private copy of its inventory. A lab left
// over from an earlier run (another clone's, a crashed one, one whose processes died) is found
// through `nms lab status` and, when it is down or broken, rebuilt with `nms lab up` (which cleans
// what a crashed lab left); a lab of another shape is left alone. The benches work on a copy of
// the inventory whose known_hosts starts empty (nms records the keys of the lab hosts on the
// first, untimed run: accept-new), because other clones rebuild the lab (new host keys, their own
// inventory directory that may vanish). The copy is removed by the caller.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './report.js';

const NMS = join(ROOT, 'dist/nms.mjs');

export function copyInventory(src: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'nms-bench-inv-'));
  chmodSync(dir, 0o700);
  for (const f of ['hosts.yaml', 'secrets.yaml', 'devices.yaml'])
    if (existsSync(join(src, f))) copyFileSync(join(src, f), join(dir, f));
  chmodSync(join(dir, 'secrets.yaml'), 0o600);
  writeFileSync(join(dir, 'known_hosts'), '');
  return dir;
}

interface LabStatus {
  up: boolean;
  healthy: boolean;
  pollers: number;
  devices: number;
  inventory?: string;
}

function labStatus(): LabStatus | string {
  // exit 1 means unhealthy; the JSON is printed either way
  const r = spawnSync(process.execPath, [NMS, 'lab', 'status', '--json'], { encoding: 'utf8', timeout: 60_000 });
  try {
    return JSON.parse(r.stdout) as LabStatus;
  } catch {
    return `nms lab status failed: ${(r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n')[0]}`;
  }
}

export type LabReady = { ok: true; inventory: string; rebuilt: boolean } | { ok: false; why: string };

/**
 * A healthy lab of master + 2 pollers and the inventory that matches it: NMS_BENCH_INVENTORY,
 * else the one the lab says it wrote, else inventories/lab. A lab that is down or unhealthy is
 * (re)built with `nms lab up --pollers 2` unless NMS_BENCH_LAB_UP=0.
 */
export function readyLab(): LabReady {
  let s = labStatus();
  let rebuilt = false;
  if (
    typeof s !== 'string' &&
    (!s.up || !s.healthy) &&
    (!s.up || s.pollers === 2) &&
    process.env.NMS_BENCH_LAB_UP !== '0'
  ) {
    console.error(
      `the lab is ${s.up ? 'up but not healthy (a leftover of an earlier run?)' : 'down'}: nms lab up --pollers 2`,
    );
    const devices = String(s.devices > 0 ? s.devices : 50);
    const r = spawnSync(process.execPath, [NMS, 'lab', 'up', '--pollers', '2', '--devices', devices], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (r.status !== 0)
      return { ok: false, why: `nms lab up failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ')}` };
    rebuilt = true;
    s = labStatus();
  }
  if (typeof s === 'string') return { ok: false, why: s };
  if (!s.up) return { ok: false, why: 'no lab is up (nms lab up)' };
  if (!s.healthy) return { ok: false, why: 'the lab is not healthy (nms lab status)' };
  if (s.pollers !== 2)
    return { ok: false, why: `the lab has ${s.pollers} pollers, not 2 (nms lab down; nms lab up --pollers 2)` };
  const given = process.env.NMS_BENCH_INVENTORY;
  if (given && !existsSync(join(given, 'hosts.yaml')))
    return { ok: false, why: `NMS_BENCH_INVENTORY=${given} has no hosts.yaml` };
  const candidates = [given, s.inventory, join(ROOT, 'inventories/lab')];
  const inventory = candidates.find(
    (d): d is string => !!d && existsSync(join(d, 'hosts.yaml')) && existsSync(join(d, 'secrets.yaml')),
  );
  if (!inventory)
    return {
      ok: false,
      why:
        `no inventory of the running lab (tried ${candidates.filter(Boolean).join(', ')}); ` +
        'NMS_BENCH_INVENTORY=DIR names one',
    };
  return { ok: true, inventory, rebuilt };
}

/**
 * A private copy of what a deploy pushes (dist/nms.mjs, dist/nms-agent.mjs, templates/) in the
 * layout the CLI expects, so that both tools get the same bytes for the whole run: other
 * engineers rebuild dist/ in this checkout while the bench runs, and a new agent bundle between
 * the Ansible runs and the nms run after them showed up as changes neither tool made.
 */
export function pinBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nms-bench-build-'));
  mkdirSync(join(dir, 'dist'));
  for (const f of ['nms.mjs', 'nms-agent.mjs']) copyFileSync(join(ROOT, 'dist', f), join(dir, 'dist', f));
  cpSync(join(ROOT, 'templates'), join(dir, 'templates'), { recursive: true });
  return dir;
}
