// Asks every node over SSH, all in parallel, one connection each: `nms-agent doctor --json`
// everywhere, and on the master also `nms-agent cluster-status --json` and the API through
// nginx (curl on the master itself, the token on curl's stdin so it is in no argv).
import type { DoctorReport } from '../../lib/contracts/doctor.js';
import type { ClusterView } from '../../lib/contracts/cluster-view.js';
import type { HostSpec, Inventory } from '../inventory/types.js';
import { SshHost, sshForHost } from '../ssh/connection.js';
import type { NodeAnswers } from './types.js';

/** The wrapper `nms deploy` installs on every node. */
export const AGENT_CMD = '/usr/local/bin/nms-agent';

export interface CollectOptions {
  inventory: Inventory;
  master: HostSpec;
  /** Per-check timeout passed to the agent commands. Default 1500 ms. */
  checkTimeoutMs?: number;
  /** SSH connect deadline. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Refuse hosts whose key is not in known_hosts. Default false (accept-new). */
  strictHostKeys?: boolean;
  /** Told when a new host key is recorded. */
  onNewHostKey?: (host: string, fingerprint: string) => void;
}

export const DEFAULT_COLLECT_OPTIONS = { checkTimeoutMs: 1500, connectTimeoutMs: 5000 };

/** Opens the SSH connection to one inventory host, as deploy does. */
export function sshFor(
  inv: Inventory,
  host: HostSpec,
  o: Pick<CollectOptions, 'connectTimeoutMs' | 'strictHostKeys' | 'onNewHostKey'> = {},
): SshHost {
  return sshForHost(inv, host, {
    ...o,
    connectTimeoutMs: o.connectTimeoutMs ?? DEFAULT_COLLECT_OPTIONS.connectTimeoutMs,
  });
}

/** Parses an agent command's JSON answer; `what` names it in the error. */
export function parseAgentJson<T extends { schema?: string }>(
  r: { code: number; stdout: string; stderr: string },
  schema: string,
  what: string,
): T {
  if (r.code === 127) throw new Error(`${what}: nms-agent is not installed (exit 127)`);
  let parsed: T;
  try {
    parsed = JSON.parse(r.stdout) as T;
  } catch {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ');
    throw new Error(`${what}: exit ${r.code}, no JSON${tail ? `: ${tail}` : ''}`);
  }
  if (parsed?.schema !== schema)
    throw new Error(
      `${what}: answered schema ${JSON.stringify(parsed?.schema)}, expected ${schema} ` +
        '(agent version differs: redeploy it)',
    );
  return parsed;
}

/** curl's answer: the body, then a last line with the HTTP code (000 when there was none). */
export function parseCurl(r: { code: number; stdout: string; stderr: string }): {
  httpStatus: number | null;
  body: string;
  error?: string;
} {
  const out = r.stdout.replace(/\n$/, '');
  const nl = out.lastIndexOf('\n');
  const codeText = nl >= 0 ? out.slice(nl + 1) : out;
  const body = nl >= 0 ? out.slice(0, nl) : '';
  const http = /^\d{3}$/.test(codeText) && codeText !== '000' ? Number(codeText) : null;
  if (r.code === 127) return { httpStatus: null, body: '', error: 'curl is not installed on the master' };
  if (r.code !== 0 || http === null)
    return { httpStatus: http, body, error: (r.stderr.trim().split('\n').pop() || `curl exit ${r.code}`).trim() };
  return { httpStatus: http, body };
}

async function askNode(o: CollectOptions & typeof DEFAULT_COLLECT_OPTIONS, host: HostSpec): Promise<NodeAnswers> {
  const t0 = Date.now();
  const inv = o.inventory;
  const ssh = sshFor(inv, host, o);
  const answers: NodeAnswers = { name: host.name, reachable: false, ms: 0 };
  try {
    await ssh.start();
  } catch (err) {
    answers.sshError = (err as Error).message;
    answers.ms = Date.now() - t0;
    return answers;
  }
  answers.reachable = true;
  const t = o.checkTimeoutMs;
  try {
    const jobs: Promise<void>[] = [
      ssh
        .run(`${AGENT_CMD} doctor --json --timeout ${t} </dev/null`)
        .then((r) => void (answers.doctor = parseAgentJson<DoctorReport>(r, 'nms-agent-doctor/1', 'nms-agent doctor')))
        .catch((err) => void (answers.doctorError = (err as Error).message)),
    ];
    if (host.name === o.master.name) {
      jobs.push(
        ssh
          .run(`${AGENT_CMD} cluster-status --json --timeout ${t} </dev/null`)
          .then(
            (r) =>
              void (answers.cluster = parseAgentJson<ClusterView>(
                r,
                'nms-agent-cluster/1',
                'nms-agent cluster-status',
              )),
          )
          .catch((err) => void (answers.clusterError = (err as Error).message)),
      );
      const url = `https://127.0.0.1:${inv.cluster.web.httpsPort}/api/v0/system`;
      const ta = Date.now();
      jobs.push(
        ssh
          // -k: the certificate may be self-signed; we talk to 127.0.0.1 on the master itself
          .run(`curl -sSk -m ${Math.ceil((t * 2) / 1000)} -H @- -w '\\n%{http_code}' ${url}`, {
            stdin: `X-Auth-Token: ${inv.secrets.api_token}\n`,
          })
          .then((r) => void (answers.api = { ...parseCurl(r), ms: Date.now() - ta }))
          .catch(
            (err) =>
              void (answers.api = { httpStatus: null, body: '', error: (err as Error).message, ms: Date.now() - ta }),
          ),
      );
    }
    await Promise.all(jobs);
  } finally {
    ssh.close();
  }
  answers.ms = Date.now() - t0;
  return answers;
}

export async function collectStatus(options: CollectOptions): Promise<NodeAnswers[]> {
  const o = { ...DEFAULT_COLLECT_OPTIONS, ...options };
  return Promise.all(o.inventory.hosts.map((h) => askNode(o, h)));
}
