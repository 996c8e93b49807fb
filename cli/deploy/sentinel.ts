// What Redis Sentinel adds to a host's plan (cluster.redis.sentinel; docs/deploy.md "Redis
// Sentinel"). Redis and Sentinel rewrite the file they were started with after a failover, so
// each gets two files: one deploy owns and rewrites like any other (redis.conf, the defaults
// file that names the runtime file), and one that deploy writes only when it is missing (the
// runtime file: `include` of ours plus the replication role; the sentinel's whole file).
import type { HostSpec, Inventory } from '../inventory/types.js';
import {
  SENTINEL_PORT,
  SENTINEL_QUORUM,
  SENTINEL_SERVICE,
  sentinelRoles,
  sentinelTopology,
} from '../inventory/sentinel.js';
import type { HandlerKey, OsProfile, ServiceKey } from './profile.js';
import { checkRedisConf } from './checks.js';

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

/** A file as plan.ts's file() takes it (kept structural: plan.ts imports this module). */
export interface SentinelFile {
  path: string;
  source: string;
  content: string;
  mode: number;
  owner: string;
  group: string;
  notify: HandlerKey[];
  localCheck?: (text: string) => string | undefined;
  remoteCheck?: string;
  createOnce?: boolean;
}

export interface SentinelPlan {
  packages: string[];
  files: SentinelFile[];
  /** Services this host runs for sentinel (the replica's Redis, the sentinel). */
  services: ServiceKey[];
  /** The host needs the firewall (it listens for the cluster). */
  firewall: boolean;
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

function redisFiles(v: SentinelValues, render: (name: string) => string, systemd: boolean, owner: string) {
  const base = { mode: 0o640, owner, group: owner, notify: ['redis'] as HandlerKey[] };
  const conf: SentinelFile[] = [];
  // the Redis host's redis.conf comes from plan.ts; the replica's is the same template
  if (v.replica)
    conf.push({
      ...base,
      path: v.baseConf,
      source: 'redis/redis.conf.hbs',
      content: render('redis/redis.conf.hbs'),
      localCheck: checkRedisConf,
    });
  return [
    ...conf,
    {
      ...base,
      path: v.runtimeConf,
      source: 'redis/nms-redis.conf.hbs',
      content: render('redis/nms-redis.conf.hbs'),
      localCheck: checkRuntimeConf,
      createOnce: true,
    },
    systemd
      ? {
          ...base,
          path: `/etc/systemd/system/${v.redisUnit}.service.d/nms.conf`,
          source: 'redis/redis-server.override.conf.hbs',
          content: render('redis/redis-server.override.conf.hbs'),
          mode: 0o644,
          owner: 'root',
          group: 'root',
        }
      : {
          ...base,
          path: '/etc/default/redis-server',
          source: 'redis/redis-server.default.hbs',
          content: render('redis/redis-server.default.hbs'),
          mode: 0o644,
          owner: 'root',
          group: 'root',
          remoteCheck: 'sh -n {}',
        },
  ];
}

function sentinelFiles(
  v: SentinelValues,
  render: (name: string) => string,
  systemd: boolean,
  owner: string,
): SentinelFile[] {
  const base = { mode: 0o644, owner: 'root', group: 'root', notify: ['sentinel'] as HandlerKey[] };
  return [
    {
      ...base,
      path: v.sentinelConf,
      source: 'redis/nms-sentinel.conf.hbs',
      content: render('redis/nms-sentinel.conf.hbs'),
      mode: 0o640,
      owner,
      group: owner,
      localCheck: checkSentinelConf,
      createOnce: true,
    },
    systemd
      ? {
          ...base,
          path: `/etc/systemd/system/${v.sentinelUnit}.service.d/nms.conf`,
          source: 'redis/redis-sentinel.override.conf.hbs',
          content: render('redis/redis-sentinel.override.conf.hbs'),
        }
      : {
          ...base,
          path: '/etc/default/redis-sentinel',
          source: 'redis/redis-sentinel.default.hbs',
          content: render('redis/redis-sentinel.default.hbs'),
          remoteCheck: 'sh -n {}',
        },
  ];
}

/**
 * The additions for one host. `redisHere`: the host runs the Redis master service (its
 * redis.conf comes from plan.ts as before; here only the runtime file and the defaults).
 */
export function sentinelPlan(o: {
  values: SentinelValues;
  profile: OsProfile;
  render: (name: string) => string;
  systemd: boolean;
  redisHere: boolean;
}): SentinelPlan {
  const v = o.values;
  const out: SentinelPlan = { packages: [], files: [], services: [], firewall: false };
  if (!v.enabled) return out;
  const owner = o.profile.paths.redisOwner;
  if (v.replica) {
    out.packages.push(...o.profile.packages.redis);
    out.services.push('redis');
  }
  if (v.replica || o.redisHere) out.files.push(...redisFiles(v, o.render, o.systemd, owner));
  if (v.sentinel) {
    out.packages.push(...o.profile.packages.sentinel);
    out.services.push('sentinel');
    out.files.push(...sentinelFiles(v, o.render, o.systemd, owner));
    out.firewall = true;
  }
  return out;
}
