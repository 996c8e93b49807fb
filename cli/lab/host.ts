// One lab host: its overlay layers prepared from outside, its PID 1 (a small bash init that
// mounts the overlays, starts sshd and reaps orphans), and running commands inside it.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { LabError } from '../../lib/errors.js';
import { INIT_SCRIPT, OVERLAID, STATE_DIR, hostDir, netnsName, type HostPlan } from './plan.js';
import { createHostNetwork } from './network.js';
import { must, nsInode, sleep, startTime } from './sys.js';

/** What `up` records about a running host; enough to find and check it later. */
export interface HostRecord extends HostPlan {
  netns: string;
  /** Inode of the host's network namespace: a process in it belongs to the lab. */
  netnsInode: number;
  /** The `unshare` process in the machine's PID namespace (parent of the host's init). */
  unsharePid: number;
  /** The host's PID 1 as the machine sees it, and its start time (guards against pid reuse). */
  initPid: number;
  initStart: number;
  /** The host's public key line (`ssh-ed25519 AAAA…`). */
  hostKey: string;
}

// Overlays must be mounted before /var, whose upper layer lives below the machine's /var.
const INIT = `#!/bin/bash
# PID 1 of an nms lab host; written by \`nms lab up\` (rewritten on each run, do not edit).
# Runs in the host's own mount, UTS, IPC and PID namespaces and inside its network namespace.
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
name=$1 dir=$2
fail() { echo "lab-init $name: $*" >&2; exit 1; }
hostname "$name" || fail "cannot set the hostname"
for d in ${OVERLAID.join(' ')}; do
  mount -t overlay "nmslab-$d" -o "lowerdir=/$d,upperdir=$dir/upper/$d,workdir=$dir/work/$d" "/$d" \\
    || fail "cannot overlay /$d"
done
# The lab's state (other hosts' layers, the lab key) is no business of the hosts.
mount -t tmpfs -o ro,mode=0755,size=4k nmslab-hide ${STATE_DIR} || fail "cannot hide ${STATE_DIR}"
# The copies of the machine's netns mounts would keep other hosts' namespaces alive.
umount -R -l /run/netns 2>/dev/null
mount -t tmpfs -o mode=0755,nosuid,nodev nmslab-run /run || fail "cannot mount /run"
mkdir -p -m 1777 /run/lock && mkdir -p -m 0755 /run/sshd
mount -t tmpfs -o mode=1777,nosuid,nodev nmslab-tmp /tmp || fail "cannot mount /tmp"
mount -t tmpfs -o mode=1777,nosuid,nodev nmslab-shm /dev/shm || fail "cannot mount /dev/shm"
mount -t proc proc /proc || fail "cannot mount /proc"
mount -t sysfs sysfs /sys || fail "cannot mount /sys"
# Offer only this host's own key, not the machine's.
for k in /etc/ssh/ssh_host_*_key; do
  case $k in */ssh_host_ed25519_key) ;; *) rm -f "$k" "$k.pub" ;; esac
done
/usr/sbin/sshd -E /var/log/sshd.log || fail "sshd did not start (see /var/log/sshd.log in the host)"
echo "lab-init $name: ready"
trap '' HUP INT TERM
while :; do sleep 86400 & wait; done
`;

export function writeInitScript(): void {
  writeFileSync(INIT_SCRIPT, INIT, { mode: 0o755 });
}

/** Creates upper/REL (and its parents) with the owner and mode of the machine's /REL. */
export function mkdirLike(upper: string, rel: string): string {
  let path = '';
  for (const part of rel.split('/')) {
    path = path ? `${path}/${part}` : part;
    const dir = `${upper}/${path}`;
    if (!existsSync(dir)) mkdirSync(dir);
    try {
      const st = statSync(`/${path}`);
      chmodSync(dir, st.mode & 0o7777);
      chownSync(dir, st.uid, st.gid);
    } catch {
      chmodSync(dir, 0o755);
    }
  }
  return `${upper}/${rel}`;
}

function sshdConfig(address: string): string {
  return [
    '# sshd of an nms lab host, written by `nms lab up`: root with the lab key only.',
    `ListenAddress ${address}:22`,
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    'PidFile /run/sshd.pid',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'AuthorizedKeysFile .ssh/authorized_keys',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    // No PAM: there is no login session machinery (systemd, loginuid) inside a lab host.
    'UsePAM no',
    'X11Forwarding no',
    'PrintMotd no',
    'MaxStartups 50:30:200',
    'AcceptEnv LANG LC_*',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    '',
  ].join('\n');
}

/** Writes the host's own files into its upper layers before its overlays are mounted. */
async function prepareLayers(plan: HostPlan, labPublicKey: string, allHosts: HostPlan[]): Promise<string> {
  const dir = hostDir(plan.name);
  for (const sub of ['upper', 'work']) mkdirSync(`${dir}/${sub}`, { recursive: true, mode: 0o755 });
  for (const d of OVERLAID) {
    mkdirLike(`${dir}/upper`, d);
    mkdirSync(`${dir}/work/${d}`, { recursive: true });
  }
  const upper = `${dir}/upper`;
  const sshDir = mkdirLike(upper, 'etc/ssh');
  const keyFile = `${sshDir}/ssh_host_ed25519_key`;
  if (!existsSync(keyFile))
    await must(
      'ssh-keygen',
      ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${plan.name}`, '-f', keyFile],
      `making the host key of ${plan.name}`,
    );
  writeFileSync(`${sshDir}/sshd_config`, sshdConfig(plan.address));
  const rootSsh = mkdirLike(upper, 'root/.ssh');
  chmodSync(rootSsh, 0o700);
  writeFileSync(`${rootSsh}/authorized_keys`, labPublicKey.trim() + '\n', { mode: 0o600 });
  // Root's shell start-up files as on a fresh Debian host: the machine's own (pyenv, cargo…)
  // would run on every ssh command in every host and slow the deploy engine down.
  for (const [file, fallback] of [
    ['.bashrc', ''],
    ['.profile', 'if [ -f ~/.bashrc ]; then . ~/.bashrc; fi\n'],
  ]) {
    const debian = `/usr/share/base-files/dot${file}`;
    writeFileSync(`${upper}/root/${file}`, existsSync(debian) ? readFileSync(debian) : fallback, { mode: 0o644 });
  }
  writeFileSync(`${upper}/etc/hostname`, plan.name + '\n');
  const hosts = ['127.0.0.1\tlocalhost', `127.0.1.1\t${plan.name}`, '::1\tlocalhost ip6-localhost ip6-loopback', ''];
  for (const h of allHosts) hosts.push(`${h.address}\t${h.name}`);
  writeFileSync(`${upper}/etc/hosts`, hosts.join('\n') + '\n');
  mkdirLike(upper, 'var/log');
  return readFileSync(`${keyFile}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

/** Children of a process, from /proc (the host's init is the only child of its unshare). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Builds and starts one host; returns once its init runs (sshd may still be starting). */
export async function startHost(plan: HostPlan, labPublicKey: string, allHosts: HostPlan[]): Promise<HostRecord> {
  const hostKey = await prepareLayers(plan, labPublicKey, allHosts);
  await createHostNetwork(plan.name, plan.address, plan.kind === 'devices');
  const ns = netnsName(plan.name);
  const log = openSync(`${hostDir(plan.name)}/init.log`, 'a');
  const child = spawn(
    'nsenter',
    [
      `--net=/run/netns/${ns}`,
      '--',
      'unshare',
      '--mount',
      '--uts',
      '--ipc',
      '--pid',
      '--fork',
      '--kill-child',
      '--propagation',
      'private',
      '--',
      '/bin/bash',
      INIT_SCRIPT,
      plan.name,
      hostDir(plan.name),
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  child.unref();
  const unsharePid = child.pid;
  if (unsharePid === undefined) throw new LabError(`could not start host ${plan.name} (nsenter did not run)`);
  let initPid: number | undefined;
  for (let i = 0; i < 100 && initPid === undefined; i++) {
    initPid = childrenOf(unsharePid)[0];
    if (initPid === undefined) await sleep(20);
  }
  const netnsInode = nsInode(`/run/netns/${ns}`);
  const initStart = initPid === undefined ? undefined : startTime(initPid);
  if (initPid === undefined || netnsInode === undefined || initStart === undefined) {
    throw new LabError(`host ${plan.name} did not start: ${initLogTail(plan.name)}`);
  }
  return { ...plan, netns: ns, netnsInode, unsharePid, initPid, initStart, hostKey };
}

export function initLogTail(host: string): string {
  try {
    return (
      readFileSync(`${hostDir(host)}/init.log`, 'utf8')
        .trim()
        .split('\n')
        .slice(-5)
        .join(' | ') || 'no output'
    );
  } catch {
    return 'no init log';
  }
}

/** True when something accepts TCP connections at address:port within timeoutMs. */
export function tcpOpen(address: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** Waits until the host's sshd answers on port 22; fails with the init's own words. */
export async function waitForSsh(record: HostRecord, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await tcpOpen(record.address, 22, 500)) return;
    if (startTime(record.initPid) !== record.initStart) break;
    await sleep(100);
  }
  throw new LabError(`sshd of host ${record.name} did not answer at ${record.address}:22: ${initLogTail(record.name)}`);
}

const HOST_ENV = [
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  'HOME=/root',
  'LANG=C.UTF-8',
  'USER=root',
  'LOGNAME=root',
];

/** nsenter arguments that run argv inside the host with a clean root environment. */
export function nsenterArgs(record: HostRecord, argv: string[]): string[] {
  const term = process.env.TERM ? [`TERM=${process.env.TERM}`] : [];
  return [
    '-t',
    String(record.initPid),
    '-m',
    '-u',
    '-i',
    '-n',
    '-p',
    '--wd=/root',
    '--',
    '/usr/bin/env',
    '-i',
    ...HOST_ENV,
    ...term,
    ...argv,
  ];
}
