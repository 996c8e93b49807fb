// Clean hosts for the "from clean hosts" deploy figure without touching the shared lab's own
// master and pollers: three extra lab hosts (`nms lab add-host`, outside inventories/lab) with
// an inventory of their own in a private directory (the lab's cluster settings and APP_KEY,
// fresh database passwords, no devices), removed again afterwards.
//
// The names carry this process's pid (nb<pid>m, nb<pid>p1, nb<pid>p2). With fixed names, a
// second bench run at the same time (another clone of the repository on this machine) took the
// first run's hosts for leftovers, removed and re-made them under its running ansible-playbook:
// the replaced poller had a new host key, and the playbook's first command there after it (the
// agent start: the tasks before are skipped on pollers without a connection) failed with
// "UNREACHABLE ... REMOTE HOST IDENTIFICATION HAS CHANGED". Leftovers of runs whose process is
// gone (and the old fixed names) are removed before starting; a live run's hosts are left alone.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { HOSTS_DIR } from '../../cli/lab/plan.js';
import { ROOT } from './report.js';

const ROLES = ['m', 'p1', 'p2'];
export const CLEAN_HOSTS = ROLES.map((r) => `nb${process.pid}${r}`);
const OURS = /^nb(\d+)(?:m|p1|p2)$/;
const OLD_NAMES = new Set(['nmsbm', 'nmsbp1', 'nmsbp2']);

/** The nms the bench runs: a pinned copy (inventory-copy.ts pinBuild) once the bench has made one. */
let NMS = join(ROOT, 'dist/nms.mjs');

export interface TimedRun {
  code: number;
  stdout: string;
  stderr: string;
  /** User + system CPU seconds of the command and the children it waited for (GNU time). */
  cpu: number;
}

/**
 * Runs a command under /usr/bin/time: the CPU a tool spends on the workstation, which the load of
 * others' benches moves less than wall time.
 */
export function timedSpawn(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): TimedRun {
  const tfile = join(tmpdir(), `nms-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', tfile, cmd, ...args], {
      encoding: 'utf8',
      cwd: options.cwd,
      env: options.env,
      timeout: options.timeoutMs ?? 1800_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    let cpu = NaN;
    try {
      const last = readFileSync(tfile, 'utf8').trim().split('\n').at(-1) ?? '';
      const [u, sys] = last.split(' ').map(Number);
      cpu = u + sys;
    } catch {
      /* killed before time wrote it */
    }
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', cpu };
  } finally {
    rmSync(tfile, { force: true });
  }
}

function nms(args: string[], timeoutMs = 300_000): TimedRun {
  return timedSpawn(process.execPath, [NMS, ...args], { timeoutMs });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes extra hosts left by bench runs that are no longer running; returns their names. */
export function removeLeftoverHosts(): string[] {
  const r = nms(['lab', 'status', '--json'], 60_000);
  let hosts: { name: string; kind: string }[] = [];
  try {
    hosts = (JSON.parse(r.stdout) as { hosts?: { name: string; kind: string }[] }).hosts ?? [];
  } catch {
    return [];
  }
  const stale = hosts.filter((h) => {
    if (h.kind !== 'extra') return false;
    const m = OURS.exec(h.name);
    return OLD_NAMES.has(h.name) || (m !== null && Number(m[1]) !== process.pid && !alive(Number(m[1])));
  });
  for (const h of stale) nms(['lab', 'remove-host', h.name]);
  return stale.map((h) => h.name);
}

export class CleanCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'nms-bench-clean-'));
  private added: string[] = [];

  private addresses: Record<string, string> = {};

  /**
   * `labInventory`: the lab's inventory, whose cluster settings and secrets are reused; `buildDir`:
   * where dist/nms.mjs is.
   */
  constructor(
    private readonly labInventory: string,
    buildDir = ROOT,
  ) {
    NMS = join(buildDir, 'dist/nms.mjs');
  }

  /** Adds the hosts; their keys go to known_hosts (they were made by us a moment ago). */
  private async addHosts(): Promise<Record<string, string>> {
    const addr: Record<string, string> = {};
    const known: string[] = [];
    for (const name of CLEAN_HOSTS) {
      let r = nms(['lab', 'add-host', name, '--json']);
      if (r.code !== 0) {
        // an sshd slow to answer on this busy machine (the name is ours alone: no one else's host)
        nms(['lab', 'remove-host', name]);
        await new Promise((res) => setTimeout(res, 3000));
        r = nms(['lab', 'add-host', name, '--json']);
      }
      if (r.code !== 0) throw new Error(`nms lab add-host ${name} failed: ${r.stderr.trim()}`);
      this.added.push(name);
      const j = JSON.parse(r.stdout) as { address: string; host_key: string };
      addr[name] = j.address;
      known.push(`${j.address} ${j.host_key}`);
    }
    writeFileSync(join(this.dir, 'known_hosts'), known.join('\n') + '\n');
    return addr;
  }

  /** Removes the hosts and makes them again, clean, at the same addresses (for the Ansible run). */
  async recreate(): Promise<void> {
    for (const name of [...this.added].reverse()) nms(['lab', 'remove-host', name]);
    this.added = [];
    const addr = await this.addHosts();
    // the rendered files (DB_HOST, the firewall's members) name the first addresses
    for (const h of CLEAN_HOSTS)
      if (addr[h] !== this.addresses[h])
        throw new Error(`${h} came back at ${addr[h]}, not ${this.addresses[h]} (another run took the address?)`);
  }

  async start(): Promise<void> {
    chmodSync(this.dir, 0o700);
    const stale = removeLeftoverHosts();
    if (stale.length) console.error(`removed extra hosts left over from earlier bench runs: ${stale.join(', ')}`);
    const addr = (this.addresses = await this.addHosts());
    const lab = parse(readFileSync(join(this.labInventory, 'hosts.yaml'), 'utf8')) as Record<string, unknown> & {
      cluster: Record<string, unknown>;
    };
    const hosts = {
      cluster: { ...lab.cluster, name: 'benchclean' },
      defaults: lab.defaults,
      hosts: {
        [CLEAN_HOSTS[0]]: {
          address: addr[CLEAN_HOSTS[0]],
          roles: ['web', 'mariadb', 'rrdcached', 'redis', 'memcached', 'poller'],
          agent: { distributed_poller_group: [0] },
        },
        [CLEAN_HOSTS[1]]: {
          address: addr[CLEAN_HOSTS[1]],
          roles: ['poller', 'discovery'],
          agent: { distributed_poller_group: [0, 1] },
        },
        [CLEAN_HOSTS[2]]: {
          address: addr[CLEAN_HOSTS[2]],
          roles: ['poller', 'discovery'],
          agent: { distributed_poller_group: [0, 1] },
        },
      },
    };
    writeFileSync(join(this.dir, 'hosts.yaml'), stringify(hosts));
    const secrets = parse(readFileSync(join(this.labInventory, 'secrets.yaml'), 'utf8')) as Record<string, unknown>;
    secrets.db_passwords = Object.fromEntries(CLEAN_HOSTS.map((h) => [h, randomBytes(18).toString('base64url')]));
    writeFileSync(join(this.dir, 'secrets.yaml'), stringify(secrets), { mode: 0o600 });
  }

  /** `nms deploy --json` on the clean cluster: wall seconds, exit code, changes (count and `host: title`). */
  deploy(): { seconds: number; cpu: number; code: number; changed: number; changes: string[]; error?: string } {
    const t = performance.now();
    const r = nms(['deploy', '-i', this.dir, '--json'], 1800_000);
    const seconds = (performance.now() - t) / 1000;
    let changed = -1;
    const changes: string[] = [];
    try {
      const hosts = (JSON.parse(r.stdout) as { hosts: { host: string; changed: number; changes?: string[] }[] }).hosts;
      changed = hosts.reduce((a, h) => a + Number(h.changed ?? 0), 0);
      for (const h of hosts) for (const c of h.changes ?? []) changes.push(`${h.host}: ${c}`);
    } catch {
      /* reported through code */
    }
    return {
      seconds,
      cpu: r.cpu,
      code: r.code,
      changed,
      changes,
      ...(r.code !== 0 ? { error: (r.stderr || r.stdout).trim().slice(-600) } : {}),
    };
  }

  async close(): Promise<void> {
    for (const name of this.added.reverse()) nms(['lab', 'remove-host', name]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// What a host's upper layers hold besides what a deploy made: daemons' data, logs, the lab's own
// host keys and Ansible's cache; compared by path only below these.
const RUNTIME = [
  /^var\/(lib\/(mysql|redis|rrdcached\/journal|nms\/(rrd|spool))|log|cache|tmp)\//,
  /^root\/\.ansible\/./,
  /^etc\/ssh\/ssh_host_/,
];

/** Every file, directory and link a deploy left in the clean hosts' layers: path → mode, owner, contents. */
export function snapshotHosts(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (host: string, base: string, rel: string): void => {
    for (const name of readdirSync(join(base, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(base, r));
      if (RUNTIME.some((re) => re.test(r))) continue;
      let what = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isFile())
        what +=
          ' ' +
          createHash('sha256')
            .update(readFileSync(join(base, r)))
            .digest('hex')
            .slice(0, 16);
      out.set(`${host.replace(/^nb\d+/, '')}:/${r}`, what);
      if (st.isDirectory()) walk(host, base, r);
    }
  };
  for (const h of CLEAN_HOSTS) walk(h, join(HOSTS_DIR, h, 'upper'), '');
  return out;
}

/**
 * Where two snapshots differ, each difference named with its reason when it is one the two
 * tools are known to make differently on purpose; `other` is what is left to explain.
 */
export function compareSnapshots(
  nms: Map<string, string>,
  ansible: Map<string, string>,
): { expected: Record<string, number>; other: string[] } {
  const expected: Record<string, number> = {};
  const other: string[] = [];
  const reason = (path: string): string | undefined => {
    if (/\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$/.test(path)) return "Ansible's backups beside the files";
    if (path.includes(':/var/lib/nms/backup')) return "nms's backups below /var/lib/nms/backup";
    if (path.endsWith(':/var/lib/nms/pending-restarts')) return "nms's list of pending restarts (empty)";
    if (path.includes(':/etc/nms/tls/')) return 'the self-signed pair (a new random key each time)';
    if (path.endsWith(':/root/.ansible')) return "Ansible's remote temporary directory";
    return undefined;
  };
  for (const p of new Set([...nms.keys(), ...ansible.keys()])) {
    const a = nms.get(p);
    const b = ansible.get(p);
    if (a === b) continue;
    const why = reason(p);
    if (why) expected[why] = (expected[why] ?? 0) + 1;
    else other.push(`${p} (nms: ${a ?? 'absent'}; Ansible: ${b ?? 'absent'})`);
  }
  return { expected, other };
}
