// Which files a host gets, as data: one rule per file with the condition that gives it to a
// host, its path, where its contents come from (a template, or bytes from the workstation),
// owner, mode, the checkers and the handlers a change notifies. A new service or role adds its
// rules here; layout.ts applies them in this order (the order of the deploy's file operations).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseDotenv, validateEnv, validateSettings } from '../../lib/node-config.js';
import type { HostSpec, Inventory, MasterService } from '../inventory/types.js';
import { checkMemcachedConf, checkRedisConf, checkRrdcachedDefaults } from './checks.js';
import type { HandlerKey, OsProfile } from './profile.js';
import { AGENT_BUNDLE, AGENT_NODE, CERT_PATH, ENV_DIR, KEY_PATH, NMS_USER } from './values.js';
import { checkRuntimeConf, checkSentinelConf, REDIS_RUNTIME_CONF, SENTINEL_CONF } from './sentinel.js';

/** What a rule may look at: the host, its services and roles, the OS and what is local. */
export interface LayoutContext {
  inv: Inventory;
  host: HostSpec;
  profile: OsProfile;
  paths: OsProfile['paths'];
  /** Master services this host runs. */
  mine: Set<MasterService>;
  /** Its inventory roles (master services and agent roles). */
  roles: Set<string>;
  /** The host gets the `inet nms` table. */
  firewall: boolean;
  /** Redis Sentinel (cluster.redis.sentinel): on, and what this host runs for it. */
  sentinel: { enabled: boolean; replica: boolean; sentinel: boolean };
  systemd: boolean;
  /** Node ≥ 20 on the host (else ours is pushed). */
  hostNode?: string;
  agentBundle: Buffer;
  localNodePath: string;
}

type Of<T> = T | ((c: LayoutContext) => T);

export interface FileRule {
  when: (c: LayoutContext) => boolean;
  path: Of<string>;
  /** A template below templates/, rendered with the host's values ... */
  template?: Of<string>;
  /** ... or bytes from the workstation, named by `source` in messages. */
  read?: (c: LayoutContext) => Buffer;
  source?: Of<string>;
  mode: number;
  /** Default root. */
  owner?: Of<string>;
  /** Default the owner. */
  group?: Of<string>;
  notify?: Of<HandlerKey[]>;
  localCheck?: (text: string) => string | undefined;
  /** The service's own checker on the host; `{}` is the candidate's path. */
  remoteCheck?: string;
  secret?: boolean;
  binary?: boolean;
  /** Written only when missing (a file its service rewrites). */
  createOnce?: boolean;
}

const ENV_PATH = `${ENV_DIR}/.env`;
const SETTINGS_PATH = `${ENV_DIR}/config.yaml`;
const el = (c: LayoutContext) => c.profile.family === 'el';
const tls = (c: LayoutContext) => c.inv.cluster.tls;
const ownTls = (c: LayoutContext) => c.mine.has('web') && !!tls(c).certPath && !!tls(c).keyPath;

/** Redis with Sentinel: the master's and the replica's Redis. */
const sentinelRedis = (c: LayoutContext) => c.sentinel.enabled && (c.mine.has('redis') || c.sentinel.replica);
const sentinelHere = (c: LayoutContext) => c.sentinel.sentinel;

/**
 * Redis Sentinel's files (cli/deploy/sentinel.ts): the files Redis and Sentinel are started with,
 * which they rewrite (created once), and the drop-in or defaults file that names them.
 */
const SENTINEL_FILES: FileRule[] = [
  {
    when: sentinelRedis,
    path: REDIS_RUNTIME_CONF,
    template: 'redis/nms-redis.conf.hbs',
    mode: 0o640,
    owner: (c) => c.paths.redisOwner,
    notify: ['redis'],
    localCheck: checkRuntimeConf,
    createOnce: true,
  },
  {
    when: (c) => sentinelRedis(c) && c.systemd,
    path: (c) => `/etc/systemd/system/${c.profile.serviceNames.redis}.service.d/nms.conf`,
    template: 'redis/redis-server.override.conf.hbs',
    mode: 0o644,
    notify: ['redis'],
  },
  {
    when: (c) => sentinelRedis(c) && !c.systemd,
    path: '/etc/default/redis-server',
    template: 'redis/redis-server.default.hbs',
    mode: 0o644,
    notify: ['redis'],
    remoteCheck: 'sh -n {}',
  },
  {
    when: sentinelHere,
    path: SENTINEL_CONF,
    template: 'redis/nms-sentinel.conf.hbs',
    mode: 0o640,
    owner: (c) => c.paths.redisOwner,
    notify: ['sentinel'],
    localCheck: checkSentinelConf,
    createOnce: true,
  },
  {
    when: (c) => sentinelHere(c) && c.systemd,
    path: (c) => `/etc/systemd/system/${c.profile.serviceNames.sentinel}.service.d/nms.conf`,
    template: 'redis/redis-sentinel.override.conf.hbs',
    mode: 0o644,
    notify: ['sentinel'],
  },
  {
    when: (c) => sentinelHere(c) && !c.systemd,
    path: '/etc/default/redis-sentinel',
    template: 'redis/redis-sentinel.default.hbs',
    mode: 0o644,
    notify: ['sentinel'],
    remoteCheck: 'sh -n {}',
  },
];

/** The master services' and roles' files. */
export const SERVICE_FILES: FileRule[] = [
  {
    when: (c) => c.firewall,
    path: (c) => c.paths.nftablesConf,
    template: 'nftables/nftables.conf.hbs',
    mode: 0o755,
    notify: ['firewall'],
    remoteCheck: 'nft -c -f {}',
  },
  {
    when: (c) => c.mine.has('mariadb'),
    path: (c) => c.paths.mariadbConf,
    template: 'mariadb/90-nms.cnf.hbs',
    mode: 0o644,
    notify: ['mariadb'],
    remoteCheck: 'mariadbd --defaults-file={} --help --verbose >/dev/null',
  },
  {
    // the Redis Sentinel replica gets the same redis.conf (bound to its own address)
    when: (c) => c.mine.has('redis') || c.sentinel.replica,
    path: (c) => c.paths.redisConf,
    template: 'redis/redis.conf.hbs',
    mode: 0o640,
    owner: (c) => c.paths.redisOwner,
    notify: ['redis'],
    localCheck: checkRedisConf,
  },
  ...SENTINEL_FILES,
  {
    when: (c) => c.mine.has('memcached') && !el(c),
    path: (c) => c.paths.memcachedConf,
    template: 'memcached/memcached.conf.hbs',
    mode: 0o644,
    notify: ['memcached'],
    localCheck: checkMemcachedConf,
  },
  {
    when: (c) => c.mine.has('memcached') && el(c),
    path: (c) => c.paths.memcachedConf,
    template: 'memcached/memcached.sysconfig.hbs',
    mode: 0o644,
    notify: ['memcached'],
    remoteCheck: 'sh -n {}',
  },
  {
    when: (c) => c.mine.has('rrdcached'),
    path: (c) => c.paths.rrdcachedDefaults,
    template: 'rrdcached/rrdcached.hbs',
    mode: 0o644,
    notify: ['rrdcached'],
    localCheck: checkRrdcachedDefaults,
    remoteCheck: 'sh -n {}',
  },
  {
    // rsyslogd -N1 checks the snippet as a whole configuration (it loads its own modules)
    when: (c) => c.roles.has('syslog'),
    path: (c) => c.paths.rsyslogConf,
    template: 'rsyslog/60-nms.conf.hbs',
    mode: 0o644,
    notify: ['rsyslog'],
    remoteCheck: 'rsyslogd -N1 -f {}',
  },
  {
    // Debian's rsyslog has a systemd unit only; hosts without systemd get an init script
    when: (c) => c.roles.has('syslog') && !c.systemd,
    path: '/etc/init.d/rsyslog',
    template: 'rsyslog/rsyslog.init.hbs',
    mode: 0o755,
    notify: ['rsyslog'],
    remoteCheck: 'sh -n {}',
  },
  {
    when: ownTls,
    path: CERT_PATH,
    read: (c) => readFileSync(tls(c).certPath!),
    source: (c) => tls(c).certPath!,
    mode: 0o644,
    notify: ['nginx'],
  },
  {
    when: ownTls,
    path: KEY_PATH,
    read: (c) => readFileSync(tls(c).keyPath!),
    source: (c) => tls(c).keyPath!,
    mode: 0o600,
    notify: ['nginx'],
    secret: true,
  },
  {
    when: (c) => c.mine.has('web'),
    path: (c) => c.paths.nginxConf,
    template: 'nginx/nginx.conf.hbs',
    mode: 0o644,
    notify: ['nginx'],
    remoteCheck: 'nginx -q -t -c {}',
  },
];

// the Node binary is ~100 MB: read it once per run, whatever the number of hosts needing it
const localFiles = new Map<string, Buffer>();
function localFile(path: string): Buffer {
  let b = localFiles.get(path);
  if (!b) localFiles.set(path, (b = readFileSync(path)));
  return b;
}

/** The agent's files, on every node. */
export const AGENT_FILES: FileRule[] = [
  {
    when: () => true,
    path: ENV_PATH,
    template: 'nms/env.hbs',
    mode: 0o640,
    group: NMS_USER,
    notify: ['agent'],
    localCheck: (t) => problem(() => validateEnv(parseDotenv(t), ENV_PATH)),
  },
  {
    when: () => true,
    path: SETTINGS_PATH,
    template: 'nms/config.yaml.hbs',
    mode: 0o640,
    group: NMS_USER,
    notify: ['agent'],
    localCheck: (t) => problem(() => validateSettings(parseYaml(t), SETTINGS_PATH)),
  },
  {
    when: (c) => !c.hostNode,
    path: AGENT_NODE,
    read: (c) => localFile(c.localNodePath),
    source: (c) => c.localNodePath,
    mode: 0o755,
    notify: ['agent'],
    binary: true,
  },
  {
    when: () => true,
    path: AGENT_BUNDLE,
    read: (c) => c.agentBundle,
    source: 'dist/nms-agent.mjs',
    mode: 0o644,
    // the MariaDB host runs the migrations the new bundle brings
    notify: (c) => (c.mine.has('mariadb') ? ['migrate', 'agent'] : ['agent']),
    binary: true,
  },
  {
    when: () => true,
    path: '/usr/local/bin/nms-agent',
    template: 'nms/nms-agent.hbs',
    mode: 0o755,
    remoteCheck: 'sh -n {}',
  },
  {
    when: (c) => c.systemd,
    path: '/etc/systemd/system/nms-agent.service',
    template: 'nms/nms-agent.service.hbs',
    mode: 0o644,
    notify: ['agent'],
  },
  {
    when: (c) => !c.systemd,
    path: '/etc/init.d/nms-agent',
    template: 'nms/nms-agent.init.hbs',
    mode: 0o755,
    notify: ['agent'],
    remoteCheck: 'sh -n {}',
  },
];

function problem(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
