// Starts the SNMP simulator (simulator, bundled as dist/nms-simulator.mjs) inside the
// devices host and waits until simulated devices answer. The bundle is copied into the host's
// own /opt so the host does not depend on where the repository was cloned.
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import snmp from 'net-snmp';
import { LabError } from '../../lib/errors.js';
import { nsenterArgs, type HostRecord } from './host.js';
import { DEVICE_NETWORK_BASE, DEVICE_PORT, deviceAddress, hostDir } from './plan.js';
import type { SimulatorRecord } from './state.js';
import { listProcesses, must, sleep, startTime } from './sys.js';

const IN_HOST_DIR = '/opt/nms-simulator';
const IN_HOST_BUNDLE = `${IN_HOST_DIR}/nms-simulator.mjs`;
export const SIMULATOR_LOG = '/var/log/nms-simulator.log';
/** 10,000 devices need 10,000 UDP sockets plus the usual few. */
const FD_LIMIT = 65536;

/**
 * Why the simulator cannot run yet, or undefined when it can. A bundle of a few bytes is the
 * repository's placeholder entry point, not a simulator.
 */
export function simulatorMissing(bundle: string): string | undefined {
  if (!existsSync(bundle))
    return `${bundle} does not exist yet: no devices are simulated (build it with node scripts/build.mjs)`;
  if (statSync(bundle).size < 4096) return `${bundle} is still a placeholder: no devices are simulated`;
  return undefined;
}

/** Puts the bundle into the devices host's upper /opt; call before the host starts. */
export function stageSimulator(bundle: string, mkdirLike: (upper: string, rel: string) => string): void {
  mkdirSync(`${hostDir('devices')}/upper`, { recursive: true, mode: 0o755 });
  const dir = mkdirLike(`${hostDir('devices')}/upper`, IN_HOST_DIR.slice(1));
  copyFileSync(bundle, `${dir}/nms-simulator.mjs`);
  if (existsSync(`${bundle}.map`)) copyFileSync(`${bundle}.map`, `${dir}/nms-simulator.mjs.map`);
}

function findSimulator(host: HostRecord): number | undefined {
  for (const p of listProcesses()) {
    if (p.netns !== host.netnsInode) continue;
    try {
      const cmdline = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8');
      if (cmdline.startsWith('node\0') || cmdline.includes('/node\0')) {
        if (cmdline.includes(IN_HOST_BUNDLE)) return p.pid;
      }
    } catch {
      // exited meanwhile
    }
  }
  return undefined;
}

/** One SNMP GET of sysName.0 from a simulated device; true when it answers. */
export function snmpAnswers(address: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const session = snmp.createSession(address, 'public', {
      port: DEVICE_PORT,
      timeout: timeoutMs,
      retries: 0,
      version: snmp.Version2c,
    });
    session.on('error', () => undefined);
    session.get(['1.3.6.1.2.1.1.5.0'], (err: Error | null) => {
      session.close();
      resolve(!err);
    });
  });
}

function readFileOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function logTail(): string {
  try {
    return (
      readFileSync(`${hostDir('devices')}/upper${SIMULATOR_LOG}`, 'utf8')
        .trim()
        .split('\n')
        .slice(-5)
        .join(' | ') || 'no output'
    );
  } catch {
    return 'no log';
  }
}

/** Starts `nms-simulator serve` in the devices host and waits for its first and last v2c device. */
export async function startSimulator(host: HostRecord, devices: number, bundle: string): Promise<SimulatorRecord> {
  // Containers often forbid raising the hard limit: take what is allowed, refuse if too low.
  const need = devices + 256;
  const script = [
    `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n $(ulimit -Hn); n=$(ulimit -n);`,
    `if [ "$n" != unlimited ] && [ "$n" -lt ${need} ]; then`,
    `echo "the open-file limit is $n, the simulator needs ${need}" >&2; exit 3; fi;`,
    `exec setsid node ${IN_HOST_BUNDLE} serve --address ${DEVICE_NETWORK_BASE} --own-addresses`,
    `--first-port ${DEVICE_PORT} --devices ${devices} >${SIMULATOR_LOG} 2>&1 </dev/null &`,
  ].join(' ');
  await must('nsenter', nsenterArgs(host, ['/bin/bash', '-c', script]), 'starting the simulator');
  let pid: number | undefined;
  for (let i = 0; i < 50 && pid === undefined; i++) {
    pid = findSimulator(host);
    if (pid === undefined) await sleep(100);
  }
  const start = pid === undefined ? undefined : startTime(pid);
  if (pid === undefined || start === undefined)
    throw new LabError(`the simulator did not start in the devices host: ${logTail()}`);
  // The simulator prints `ready:` once every socket is bound; then SNMP proves it answers.
  const log = `${hostDir('devices')}/upper${SIMULATOR_LOG}`;
  const readyBy = Date.now() + 30_000 + devices * 10;
  while (!readFileOr(log).includes('ready:') && Date.now() < readyBy) {
    if (startTime(pid) !== start) throw new LabError(`the simulator exited: ${logTail()}`);
    await sleep(50);
  }
  const probes = [0, devices - 1].filter((i) => i >= 0 && i % 10 !== 9);
  if (devices > 1 && (devices - 1) % 10 === 9) probes.push(devices - 2);
  const deadline = Date.now() + 30_000 + devices * 10;
  for (const i of probes) {
    while (!(await snmpAnswers(deviceAddress(i)))) {
      if (startTime(pid) !== start) throw new LabError(`the simulator exited: ${logTail()}`);
      if (Date.now() > deadline)
        throw new LabError(
          `simulated device ${i} (udp ${deviceAddress(i)}:${DEVICE_PORT}) does not answer: ${logTail()}`,
        );
      await sleep(200);
    }
  }
  return { pid, start, devices, bundle };
}
