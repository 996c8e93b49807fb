// The configuration of one node: `/etc/nms/.env` (secrets and connection settings, mode 0640
// root:nms) and `/etc/nms/config.yaml` beside it (the equivalent of LibreNMS's config.php,
// with its setting names and defaults). `nms deploy` writes both; the agent reads both.
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './errors.js';
import { isValidAppKey } from './crypto.js';

export const DEFAULT_ENV_PATH = '/etc/nms/.env';

/** What `/etc/nms/.env` holds. */
export interface NodeEnv {
  DB_HOST: string;
  DB_PORT: number;
  DB_DATABASE: string;
  DB_USERNAME: string;
  DB_PASSWORD: string;
  REDIS_HOST: string;
  REDIS_PORT: number;
  REDIS_PASSWORD: string;
  REDIS_DB: number;
  /** `base64:` + 32 bytes; identical on every node of a cluster. */
  APP_KEY: string;
  /** Generated on the node's first deploy, never changed by a later one. */
  NODE_ID: string;
  /** The non-root user the agent runs as. */
  NMS_USER: string;
  /** Token the web/API (role `api`, master only) requires in `X-Auth-Token`; empty elsewhere. */
  API_TOKEN: string;
  /** Secret fields of alert transports by transport name, as JSON (lib/alerts.ts); may be empty. */
  ALERT_SECRETS: string;
  /** Redis Sentinel (LibreNMS's names): `host:port,...` of the sentinels; empty: Redis at REDIS_HOST. */
  REDIS_SENTINEL: string;
  /** The master's name the sentinels monitor. */
  REDIS_SENTINEL_SERVICE: string;
}

export type AgentRole = 'poller' | 'discovery' | 'ping' | 'api' | 'syslog' | 'config-backup';

/** The kinds of work the agent queues (LibreNMS's dispatcher service types); the agent's JobType. */
export type ServiceType = 'poller' | 'discovery' | 'ping' | 'services';

/** What `/etc/nms/config.yaml` holds. Names follow LibreNMS's config.php. */
export interface NodeSettings {
  distributed_poller_name: string;
  /** Poller groups this node serves (LibreNMS takes a comma list; we keep a list). */
  distributed_poller_group: number[];
  /** Agent roles on this node. */
  roles: AgentRole[];
  /** The node's own address in the cluster (metrics and API bind here). */
  cluster_address: string;
  distributed_poller_memcached_host: string;
  distributed_poller_memcached_port: number;
  /** `host:port` (TCP) or `unix:/path` of the central rrdcached. */
  rrdcached: string;
  /** Directory for RRD files as rrdcached sees it (relative paths are sent). */
  rrd_dir: string;
  /** RRD step in seconds of new files; absent: service_poller_frequency (LibreNMS keeps them equal). */
  rrd_step?: number;
  /** Local directory for spooled RRD updates while rrdcached is unreachable. */
  spool_dir: string;
  /** Maximum bytes of spooled updates before new ones are dropped with a warning. */
  spool_max_bytes: number;
  service_poller_workers: number;
  service_poller_frequency: number;
  service_discovery_workers: number;
  service_discovery_frequency: number;
  service_ping_workers: number;
  service_ping_frequency: number;
  service_services_workers: number;
  service_services_frequency: number;
  service_poller_down_retry: number;
  service_master_timeout: number;
  service_loglevel: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
  service_watchdog_enabled: boolean;
  /** Port of the Prometheus /metrics endpoint (bound to cluster_address). */
  metrics_port: number;
  /**
   * Who may scrape /metrics besides loopback: IPv4/IPv6 addresses or networks (`a.b.c.d/n`). The
   * deploy writes the cluster's nodes plus the inventory's `cluster.metrics_allow`. Default none.
   */
  metrics_allow: string[];
  /** Port of the web/API (role `api`), bound to 127.0.0.1 behind nginx. */
  api_port: number;
  /** SNMP timeout per request in ms and retries. */
  snmp_timeout_ms: number;
  snmp_retries: number;
  /** Alert rules and transports without their secrets (lib/alerts.ts); absent: the defaults. */
  alerts?: unknown;
  /** Role `syslog`: port on 127.0.0.1 where rsyslog hands messages to the agent (docs/syslog.md). */
  syslog_port: number;
  /** Days syslog messages are kept (LibreNMS's setting). */
  syslog_purge: number;
  /** Role `config-backup`: the git repository of the devices' configurations (docs/config-backup.md). */
  config_backup_dir: string;
  /** Role `config-backup`: seconds between two backups of every device (Oxidized's interval). */
  config_backup_interval: number;
}

/** LibreNMS's defaults where it has the setting; ours otherwise. */
export const DEFAULT_NODE_SETTINGS: Omit<NodeSettings, 'distributed_poller_name' | 'cluster_address'> = {
  distributed_poller_group: [0],
  roles: ['poller', 'discovery'],
  distributed_poller_memcached_host: '127.0.0.1',
  distributed_poller_memcached_port: 11211,
  rrdcached: '127.0.0.1:42217',
  rrd_dir: '/var/lib/nms/rrd',
  spool_dir: '/var/lib/nms/spool',
  spool_max_bytes: 256 * 1024 * 1024,
  service_poller_workers: 24,
  service_poller_frequency: 300,
  service_discovery_workers: 16,
  service_discovery_frequency: 21600,
  service_ping_workers: 8,
  service_ping_frequency: 120,
  service_services_workers: 8,
  service_services_frequency: 300,
  service_poller_down_retry: 60,
  service_master_timeout: 20,
  service_loglevel: 'INFO',
  service_watchdog_enabled: true,
  metrics_port: 9273,
  metrics_allow: [],
  api_port: 8070,
  snmp_timeout_ms: 1500,
  snmp_retries: 1,
  syslog_port: 5514,
  syslog_purge: 30,
  config_backup_dir: '/var/lib/nms/config-backup',
  config_backup_interval: 3600,
};

/** A job may run this fraction of its type's frequency; then its worker aborts it. */
export const JOB_DEADLINE_FRACTION = 0.75;
/**
 * The fraction of the frequency the Poller gives one device (SNMP stops then): under
 * JOB_DEADLINE_FRACTION, so a device's run ends cleanly before its worker has to abort it.
 */
export const DEVICE_DEADLINE_FRACTION = 0.7;

/** How one job type runs on a node, from its service_<type>_* settings. */
export interface ServiceSettings {
  /** Jobs of this type run at once per poller group (BullMQ's concurrency). */
  workers: number;
  /** Seconds between two runs of a device (or of a group's round, for ping and services). */
  frequency: number;
  /** Time a job may run, in ms, before its worker aborts it. */
  deadlineMs: number;
  /** Time the Poller gives one device, in ms (at least 1 s): under deadlineMs. */
  deviceDeadlineMs: number;
}

type ServiceFields = Pick<
  NodeSettings,
  | 'service_poller_workers'
  | 'service_poller_frequency'
  | 'service_discovery_workers'
  | 'service_discovery_frequency'
  | 'service_ping_workers'
  | 'service_ping_frequency'
  | 'service_services_frequency'
>;

/** Workers, frequency and deadlines of one job type: the one place that maps settings to them. */
export function serviceOf(settings: ServiceFields, type: ServiceType): ServiceSettings {
  const s = settings;
  const [workers, frequency] =
    type === 'poller'
      ? [s.service_poller_workers, s.service_poller_frequency]
      : type === 'discovery'
        ? [s.service_discovery_workers, s.service_discovery_frequency]
        : type === 'ping'
          ? [s.service_ping_workers, s.service_ping_frequency]
          : // a services job is a group's whole round: its checks run service_services_workers at a time inside it
            [1, s.service_services_frequency];
  return {
    workers,
    frequency,
    deadlineMs: frequency * 1000 * JOB_DEADLINE_FRACTION,
    deviceDeadlineMs: Math.max(1000, frequency * 1000 * DEVICE_DEADLINE_FRACTION),
  };
}

/** The RRD step of new files: `rrd_step` when set, else the poller frequency. */
export function rrdStepOf(settings: Pick<NodeSettings, 'rrd_step' | 'service_poller_frequency'>): number {
  return settings.rrd_step ?? settings.service_poller_frequency;
}

export interface NodeConfig {
  env: NodeEnv;
  settings: NodeSettings;
  envPath: string;
  settingsPath: string;
}

/** Parses dotenv text: KEY=VALUE lines, `#` comments, optional single or double quotes. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 1) continue;
    let value = line.slice(eq + 1).trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))
      value = value.slice(1, -1);
    out[line.slice(0, eq).trim()] = value;
  }
  return out;
}

const ENV_NUMBERS = ['DB_PORT', 'REDIS_PORT', 'REDIS_DB'] as const;
const ENV_STRINGS = [
  'DB_HOST',
  'DB_DATABASE',
  'DB_USERNAME',
  'DB_PASSWORD',
  'REDIS_HOST',
  'APP_KEY',
  'NODE_ID',
  'NMS_USER',
] as const;

/** Checks dotenv values; every problem is reported at once, naming the variable. */
export function validateEnv(raw: Record<string, string>, file: string): NodeEnv {
  const problems: string[] = [];
  const env: Record<string, string | number> = {
    REDIS_PASSWORD: raw.REDIS_PASSWORD ?? '',
    API_TOKEN: raw.API_TOKEN ?? '',
    REDIS_SENTINEL: raw.REDIS_SENTINEL ?? '',
    REDIS_SENTINEL_SERVICE: raw.REDIS_SENTINEL_SERVICE ?? '',
  };
  env.ALERT_SECRETS = raw.ALERT_SECRETS ?? '';
  for (const k of ENV_STRINGS) {
    if (!raw[k]) problems.push(`${k} is missing`);
    else env[k] = raw[k];
  }
  for (const k of ENV_NUMBERS) {
    const n = Number(raw[k]);
    if (raw[k] === undefined || raw[k] === '' || !Number.isInteger(n) || n < 0 || n > 65535)
      problems.push(`${k} must be a whole number 0-65535 (got ${JSON.stringify(raw[k] ?? '')})`);
    else env[k] = n;
  }
  if (raw.APP_KEY && !isValidAppKey(raw.APP_KEY))
    problems.push('APP_KEY must be "base64:" followed by 32 bytes in base64');
  if (raw.REDIS_SENTINEL && !raw.REDIS_SENTINEL.split(',').every((s) => /^[^\s:,]+:\d{1,5}$/.test(s.trim())))
    problems.push('REDIS_SENTINEL must be host:port[,host:port...]');
  if (raw.REDIS_SENTINEL && !raw.REDIS_SENTINEL_SERVICE)
    problems.push('REDIS_SENTINEL_SERVICE is missing (the name the sentinels monitor)');
  if (problems.length)
    throw new ConfigError(`${file}: ${problems.join('; ')}`, { hint: 'run `nms deploy` again to rewrite it' });
  return env as unknown as NodeEnv;
}

/** An IPv4/IPv6 address, or one with a prefix length within its family's bits. */
export function isAddressOrNetwork(s: string): boolean {
  const [addr, prefix, ...rest] = s.split('/');
  const family = isIP(addr);
  if (!family || rest.length) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Merges config.yaml over the defaults and checks types and ranges. */
export function validateSettings(raw: unknown, file: string): NodeSettings {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(`${file}: must be a mapping of settings`);
  const merged = { ...DEFAULT_NODE_SETTINGS, ...(raw as Record<string, unknown>) } as Record<string, unknown>;
  const problems: string[] = [];
  for (const [k, def] of Object.entries(DEFAULT_NODE_SETTINGS)) {
    const v = merged[k];
    if (typeof def === 'number' && (typeof v !== 'number' || !Number.isFinite(v) || v < 0))
      problems.push(`${k} must be a non-negative number`);
    if (typeof def === 'boolean' && typeof v !== 'boolean') problems.push(`${k} must be true or false`);
    if (typeof def === 'string' && typeof v !== 'string') problems.push(`${k} must be a string`);
  }
  for (const k of ['distributed_poller_name', 'cluster_address'])
    if (typeof merged[k] !== 'string' || !merged[k]) problems.push(`${k} is missing`);
  const allow = merged.metrics_allow;
  if (!Array.isArray(allow) || !allow.every((a) => typeof a === 'string' && isAddressOrNetwork(a)))
    problems.push('metrics_allow must be a list of IP addresses or networks (a.b.c.d/n)');
  const groups = merged.distributed_poller_group;
  if (!Array.isArray(groups) || !groups.every((g) => Number.isInteger(g) && g >= 0))
    problems.push('distributed_poller_group must be a list of group numbers');
  const step = merged.rrd_step;
  if (step !== undefined && (typeof step !== 'number' || !Number.isInteger(step) || step < 1))
    problems.push('rrd_step must be a whole number of seconds, at least 1');
  if (problems.length) throw new ConfigError(`${file}: ${problems.join('; ')}`);
  return merged as unknown as NodeSettings;
}

/** Reads and validates both files. `config.yaml` is looked for beside the .env file. */
export function loadNodeConfig(envPath = process.env.NMS_ENV ?? DEFAULT_ENV_PATH): NodeConfig {
  const settingsPath = join(dirname(envPath), 'config.yaml');
  let envText: string;
  let settingsText: string;
  try {
    envText = readFileSync(envPath, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${envPath}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
      hint: 'deploy this node with `nms deploy`, or set NMS_ENV to the .env path',
    });
  }
  try {
    settingsText = readFileSync(settingsPath, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${settingsPath}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
      hint: 'deploy this node with `nms deploy`',
    });
  }
  let rawSettings: unknown;
  try {
    rawSettings = parseYaml(settingsText);
  } catch (err) {
    throw new ConfigError(`${settingsPath}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return {
    env: validateEnv(parseDotenv(envText), envPath),
    settings: validateSettings(rawSettings, settingsPath),
    envPath,
    settingsPath,
  };
}
