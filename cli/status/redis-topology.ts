// Redis Sentinel in `nms status` (cluster.redis.sentinel): every sentinel host is asked over SSH
// which node is Redis's master and what it knows of the replicas, and the master's own
// INFO replication gives the lag. One rule (rules.ts) turns that into problems, each with its fix.
// The Redis password reaches redis-cli through REDISCLI_AUTH read from stdin, never an argument.
import type { ChalkInstance } from 'chalk';
import type { HostSpec, Inventory } from '../inventory/types.js';
import { SENTINEL_PORT, SENTINEL_SERVICE, sentinelTopology } from '../inventory/sentinel.js';
import { shq, type SshHost } from '../ssh/connection.js';
import type { Problem } from '../../lib/contracts/problem.js';
import type { RedisTopology, ReplicaState, SentinelAnswer } from './redis-types.js';

/** Replication lag (seconds since the replica's last acknowledgement) that is a problem. */
export const REPLICA_LAG_LIMIT_S = 10;

const SCRIPT = (service: string) =>
  [
    `c() { redis-cli -p ${SENTINEL_PORT} "$@" 2>&1; }`,
    `c SENTINEL MASTER ${service}`,
    'echo @@ckquorum',
    `c SENTINEL CKQUORUM ${service}`,
    'echo @@info',
    `set -- $(c SENTINEL GET-MASTER-ADDR-BY-NAME ${service})`,
    'IFS= read -r REDISCLI_AUTH; export REDISCLI_AUTH',
    '[ $# -eq 2 ] && redis-cli -h "$1" -p "$2" INFO replication 2>&1',
    'exit 0',
  ].join('\n');

/** Key/value lines (redis-cli's raw output of a flat reply) into a record. */
function pairs(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) out[lines[i]] = lines[i + 1];
  return out;
}

/** One sentinel host's answer to SCRIPT; `info` is the master's INFO replication text. */
export function parseSentinelAnswer(host: string, out: string): { answer: SentinelAnswer; info: string } {
  const [masterPart, rest = ''] = out.split('@@ckquorum\n');
  const [quorumPart, info = ''] = rest.split('@@info\n');
  const lines = masterPart.split('\n').filter((l) => l !== '');
  const m = pairs(lines);
  if (!m.ip || !m.port) {
    const error = lines.join(' ').trim() || 'no answer';
    return { answer: { host, ok: false, error }, info: '' };
  }
  return {
    answer: {
      host,
      ok: true,
      master: `${m.ip}:${m.port}`,
      master_flags: m.flags,
      quorum_ok: quorumPart.startsWith('OK'),
      other_sentinels: Number(m['num-other-sentinels'] ?? 0),
    },
    info,
  };
}

/** The replicas from the master's INFO replication (`slaveN:ip=…,port=…,state=…,offset=…,lag=…`). */
export function parseReplication(info: string, hosts: HostSpec[]): ReplicaState[] {
  const text = info.replace(/\r/g, '');
  const masterOffset = Number(/^master_repl_offset:(\d+)$/m.exec(text)?.[1] ?? NaN);
  const out: ReplicaState[] = [];
  for (const m of text.matchAll(/^slave\d+:(.*)$/gm)) {
    const f = Object.fromEntries(m[1].split(',').map((kv) => kv.split('=') as [string, string]));
    const offset = Number(f.offset);
    out.push({
      address: f.ip,
      port: Number(f.port),
      host: hosts.find((h) => h.address === f.ip)?.name ?? null,
      state: f.state ?? 'unknown',
      lag_s: f.lag !== undefined ? Number(f.lag) : null,
      lag_bytes: Number.isFinite(masterOffset) && Number.isFinite(offset) ? Math.max(0, masterOffset - offset) : null,
    });
  }
  return out;
}

/** Asks every sentinel host; undefined when sentinel is off. `sshFor` opens a host's connection. */
export async function collectRedisTopology(
  inv: Inventory,
  sshFor: (h: HostSpec) => SshHost,
): Promise<RedisTopology | undefined> {
  const t = sentinelTopology(inv);
  if (!t) return undefined;
  const answers = await Promise.all(
    t.sentinels.map(async (h) => {
      const ssh = sshFor(h);
      try {
        await ssh.start();
        const out = await ssh.run(`sh -c ${shq(SCRIPT(SENTINEL_SERVICE))}`, {
          stdin: `${inv.secrets.redis_password}\n`,
        });
        return parseSentinelAnswer(h.name, out.stdout);
      } catch (err) {
        return { answer: { host: h.name, ok: false, error: (err as Error).message }, info: '' };
      } finally {
        ssh.close();
      }
    }),
  );
  const agreed = answers.find((a) => a.answer.ok && a.info.includes('role:master'));
  const masterAddr = agreed?.answer.master ?? answers.find((a) => a.answer.ok)?.answer.master ?? null;
  const ip = masterAddr?.slice(0, masterAddr.lastIndexOf(':'));
  return {
    master: inv.hosts.find((h) => h.address === ip)?.name ?? null,
    master_address: masterAddr,
    replicas: agreed ? parseReplication(agreed.info, inv.hosts) : [],
    sentinels: answers.map((a) => a.answer),
  };
}

const SENTINEL_LOG = '/var/log/redis/redis-sentinel.log';

/** Sentinels that do not answer, sentinels that name different masters, no quorum. */
function sentinelProblems(r: RedisTopology, deploy: string): Problem[] {
  const out: Problem[] = r.sentinels
    .filter((x) => !x.ok)
    .map((s) => ({
      code: 'redis_sentinel_down',
      subject: s.host,
      message: `the Redis sentinel on ${s.host} does not answer: ${s.error}`,
      fix:
        `start it on ${s.host} (\`/etc/init.d/redis-sentinel start\` or \`systemctl start redis-sentinel\`; ` +
        `${deploy} starts it too); see ${SENTINEL_LOG}`,
    }));
  const up = r.sentinels.filter((x) => x.ok);
  if (new Set(up.map((x) => x.master)).size > 1)
    out.push({
      code: 'redis_sentinels_disagree',
      subject: 'redis',
      message: `the sentinels name different Redis masters: ${up.map((x) => `${x.host} → ${x.master}`).join(', ')}`,
      fix: `a failover may be under way: check again in 30 s; if it stays, read ${SENTINEL_LOG} on each`,
    });
  if (up.length && up.length === r.sentinels.length && up.every((x) => !x.quorum_ok))
    out.push({
      code: 'redis_sentinel_quorum',
      subject: 'redis',
      message: 'the sentinels cannot authorise a failover (SENTINEL CKQUORUM)',
      fix: `check that every sentinel reaches the others on port ${SENTINEL_PORT} (firewall); see ${SENTINEL_LOG}`,
    });
  return out;
}

/** No master, no replica in sync, a replica lagging. */
function replicationProblems(r: RedisTopology, deploy: string): Problem[] {
  const out: Problem[] = [];
  const down = r.sentinels.find((x) => x.ok && /\b[os]_down\b/.test(x.master_flags ?? ''));
  if (!r.master_address || down)
    out.push({
      code: 'redis_no_master',
      subject: 'redis',
      message:
        'no Redis master is up' + (down ? `: ${down.host}'s sentinel flags ${down.master} ${down.master_flags}` : ''),
      fix:
        `start redis-server on the Redis hosts (${deploy} starts stopped services); ` +
        'the sentinels promote a replica once one is in sync',
    });
  const master = r.master ?? r.master_address;
  const online = r.replicas.filter((x) => x.state === 'online');
  if (r.master_address && !online.length)
    out.push({
      code: 'redis_replica_missing',
      subject: 'redis',
      message: `Redis's master ${master} has no replica in sync: a failover is impossible`,
      fix:
        `start redis-server on the other Redis host (\`/etc/init.d/redis-server start\` or ${deploy}); ` +
        'the sentinels make it a replica',
    });
  for (const x of online.filter((y) => (y.lag_s ?? 0) > REPLICA_LAG_LIMIT_S)) {
    const who = x.host ?? x.address;
    out.push({
      code: 'redis_replica_lag',
      subject: who,
      message: `the Redis replica on ${who} last acknowledged ${x.lag_s} s ago (${x.lag_bytes ?? '?'} bytes behind)`,
      fix: `check the network between ${who} and ${master}, and the replica's /var/log/redis/redis-server.log`,
    });
  }
  return out;
}

/** The rule: a sentinel down, no master, sentinels that disagree, no replica in sync, a lagging one. */
export function redisTopologyProblems(r: RedisTopology, inventoryArg: string): Problem[] {
  const deploy = `\`nms deploy -i ${inventoryArg}\``;
  return [...sentinelProblems(r, deploy), ...replicationProblems(r, deploy)];
}

/** The human lines: who is master, each replica with its lag, the sentinels that answer. */
export function redisTopologyLines(t: RedisTopology, c: ChalkInstance): string[] {
  const master = t.master_address ? `${t.master ?? '?'} (${t.master_address})` : c.red('none');
  const replica = (x: ReplicaState) =>
    `${x.host ?? x.address} ${x.state === 'online' ? c.green(x.state) : c.red(x.state)}, lag ${x.lag_s ?? '?'} s`;
  const replicas = t.replicas.length ? t.replicas.map(replica).join('; ') : c.red('none');
  const up = t.sentinels.filter((s) => s.ok).length;
  const count = `${up}/${t.sentinels.length}`;
  const sentinels = up === t.sentinels.length ? c.green(count) : c.red(count);
  return [`  redis: master ${master}, replicas ${replicas}, sentinels ${sentinels}`];
}
