// What Redis Sentinel adds to a host's values and checks (cluster.redis.sentinel; docs/deploy.md
// "Redis Sentinel"); its files are rules in files.ts. Redis and Sentinel rewrite the file they
// were started with after a failover, so each gets two files: one deploy owns and rewrites like
// any other (redis.conf, the defaults file that names the runtime file), and one that deploy
// writes only when it is missing (the runtime file: `include` of ours plus the replication
// role; the sentinel's whole file).
import type { HostSpec, Inventory } from '../inventory/types.js';
import {
  SENTINEL_PORT,
  SENTINEL_QUORUM,
  SENTINEL_SERVICE,
  sentinelRoles,
  sentinelTopology,
} from '../inventory/sentinel.js';
import type { OsProfile } from './profile.js';

/** The file Redis is started with when sentinel is on; Redis rewrites it, deploy creates it once. */
export const REDIS_RUNTIME_CONF = '/etc/redis/nms-redis.conf';
/** The sentinel's file; Sentinel rewrites it all the time, deploy creates it once. */
export const SENTINEL_CONF = '/etc/redis/nms-sentinel.conf';

export interface SentinelValues {
  enabled: boolean;
  /** This host runs the Redis replica. */
  replica: boolean;
  /** This host runs a sentinel. */
  sentinel: boolean;
  port: number;
  service: string;
  quorum: number;
  /** The Redis host (the master when the cluster is first deployed). */
  masterAddress: string;
  redisPort: number;
  /** Addresses this host's sentinel listens on. */
  bind: string[];
  /** The deploy-owned redis.conf the runtime file includes. */
  baseConf: string;
  /** systemd unit names (their drop-ins). */
  redisUnit: string;
  sentinelUnit: string;
  runtimeConf: string;
  sentinelConf: string;
  /** Extra ports the firewall opens to members on this host (the sentinel's). */
  ports: number[];
}

export function sentinelValues(inv: Inventory, host: HostSpec, profile: OsProfile): SentinelValues {
  const t = sentinelTopology(inv);
  const r = sentinelRoles(inv, host);
  return {
    enabled: !!t,
    replica: r.replica,
    sentinel: r.sentinel,
    port: SENTINEL_PORT,
    service: SENTINEL_SERVICE,
    quorum: SENTINEL_QUORUM,
    masterAddress: inv.services.redis.address,
    redisPort: inv.cluster.redis.port,
    bind: [host.address, '127.0.0.1'],
    baseConf: profile.paths.redisConf,
    redisUnit: profile.serviceNames.redis,
    sentinelUnit: profile.serviceNames.sentinel,
    runtimeConf: REDIS_RUNTIME_CONF,
    sentinelConf: SENTINEL_CONF,
    ports: r.sentinel ? [SENTINEL_PORT] : [],
  };
}

/** The runtime file holds an include of ours and at most Redis's own lines: check ours. */
export function checkRuntimeConf(text: string): string | undefined {
  const lines = text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  for (const l of lines) {
    const [k, ...v] = l.trim().split(/\s+/);
    if (k === 'include' && v.length === 1 && v[0].startsWith('/')) continue;
    if (k === 'replicaof' && v.length === 2 && /^\d+$/.test(v[1])) continue;
    return `${REDIS_RUNTIME_CONF}: unexpected line "${l.trim()}"`;
  }
  return lines.some((l) => l.startsWith('include ')) ? undefined : `${REDIS_RUNTIME_CONF}: the include is missing`;
}

export function checkSentinelConf(text: string): string | undefined {
  for (const k of ['port', 'bind', 'sentinel monitor', 'sentinel auth-pass'])
    if (!text.split('\n').some((l) => l.startsWith(`${k} `))) return `sentinel.conf: "${k}" is missing`;
  return undefined;
}
