// The one place that turns the inventory into the values templates see. Templates are plain
// Handlebars; everything they print is computed here, typed, so a template never does logic
// beyond `if`/`each`.
import { isIP } from 'node:net';
import type { HostSpec, Inventory } from '../inventory/types.js';
import { DEFAULT_NODE_SETTINGS, type AgentRole, type NodeEnv, type NodeSettings } from '../../lib/node-config.js';
import type { OsProfile } from './profile.js';
import { SUPERVISOR_STATE } from '../../lib/supervisor.js';
import { sentinelValues, type SentinelValues } from './sentinel.js';
import { sentinelAddresses, SENTINEL_SERVICE } from '../inventory/sentinel.js';

export const NMS_USER = 'nms';
export const AGENT_DIR = '/opt/nms';
export const AGENT_BUNDLE = `${AGENT_DIR}/nms-agent.mjs`;
export const AGENT_NODE = `${AGENT_DIR}/node`;
export const ENV_DIR = '/etc/nms';
export const TLS_DIR = '/etc/nms/tls';
/** The web host's certificate and key (the inventory's, or a self-signed pair made there). */
export const CERT_PATH = `${TLS_DIR}/nms.crt`;
export const KEY_PATH = `${TLS_DIR}/nms.key`;
export const STATE_DIR = '/var/lib/nms';
export const LOG_DIR = '/var/log/nms';
/** Where devices send syslog (udp and tcp). */
export const SYSLOG_PORT = 514;
export const PENDING_RESTARTS = `${STATE_DIR}/pending-restarts`;

export interface TemplateValues {
  host: { name: string; address: string; roles: string[] };
  cluster: {
    name: string;
    /** Addresses of every host in the inventory (firewall allow list). */
    members: string[];
  };
  master: { address: string };
  nginx: {
    user: string;
    mimeTypes: string;
    serverName: string;
    httpPort: number;
    httpsPort: number;
    /** `:port` for redirects when HTTPS is not on 443, else empty. */
    httpsPortSuffix: string;
    certPath: string;
    keyPath: string;
    apiPort: number;
  };
  redis: { bind: string[]; port: number; password: string; databases: number };
  /** Redis Sentinel (cluster.redis.sentinel; cli/deploy/sentinel.ts): `enabled` false when off. */
  sentinel: SentinelValues;
  mariadb: { bindAddress: string; port: number; bufferPoolMb: number };
  rrdcached: {
    address: string;
    port: number;
    writeThreads: number;
    baseDir: string;
    journalDir: string | null;
    socket: string;
    socketGroup: string;
  };
  memcached: { address: string; port: number; memoryMb: number };
  /** tcpPorts: cluster members only; webPorts: nginx's HTTP and HTTPS, open to the people who use the web UI;
   * metricsPort with metricsAllow4/6: the agent's /metrics port and who may reach it. */
  firewall: {
    tcpPorts: number[];
    webPorts: number[];
    sshPort: number;
    metricsPort: number;
    metricsAllow4: string[];
    metricsAllow6: string[];
  };
  /** Role `syslog` (templates/rsyslog): `sources` empty when the host has not the role. */
  syslog: { port: number; agentPort: number; sources: string[]; enabled: boolean };
  agent: {
    user: string;
    bundle: string;
    node: string;
    envPath: string;
    logDir: string;
    /** Where the init script's supervisor records restarts (lib/supervisor.ts). */
    supervisorState: string;
    /** systemd WatchdogSec= (seconds), 0 when service_watchdog_enabled is off. */
    watchdogSec: number;
    env: NodeEnv;
    /** Rendered config.yaml lines: `key: value` with JSON values (valid YAML). */
    settingsLines: string[];
  };
}

export interface ValueInputs {
  inventory: Inventory;
  host: HostSpec;
  profile: OsProfile;
  /** The node's NODE_ID: the one on the host when present, else a new one. */
  nodeId: string;
  /** The Node binary the wrapper and the init script run. */
  nodePath: string;
}

export function nodeSettings(inv: Inventory, host: HostSpec, profile: OsProfile): NodeSettings {
  const rrdHost = inv.services.rrdcached;
  const roles = host.roles.filter(
    (r) => r === 'poller' || r === 'discovery' || r === 'ping' || r === 'syslog' || r === 'config-backup',
  ) as AgentRole[];
  if (host.roles.includes('web')) roles.push('api');
  return {
    ...DEFAULT_NODE_SETTINGS,
    ...host.agent,
    distributed_poller_name: host.name,
    roles,
    cluster_address: host.address,
    distributed_poller_memcached_host: inv.services.memcached.address,
    distributed_poller_memcached_port: inv.cluster.memcached.port,
    // the rrdcached host talks to its own daemon over the unix socket (group nms)
    rrdcached:
      rrdHost.name === host.name
        ? `unix:${profile.paths.rrdcachedSocket}`
        : `${rrdHost.address}:${inv.cluster.rrdcached.port}`,
    rrd_dir: inv.cluster.rrdcached.baseDir,
    ...(inv.alerts ? { alerts: inv.alerts.settings } : {}),
    metrics_allow: metricsAllow(inv),
    syslog_purge: inv.cluster.syslog.purgeDays,
  };
}

/** The cluster's nodes (their IP addresses) and the inventory's Prometheus servers. */
export function metricsAllow(inv: Inventory): string[] {
  return [...new Set([...inv.hosts.map((h) => h.address).filter((a) => isIP(a)), ...inv.cluster.metricsAllow])];
}

export function nodeEnv(inv: Inventory, host: HostSpec, nodeId: string): NodeEnv {
  return {
    DB_HOST: inv.services.mariadb.address,
    DB_PORT: inv.cluster.mariadb.port,
    DB_DATABASE: inv.cluster.mariadb.database,
    DB_USERNAME: dbUser(host.name),
    DB_PASSWORD: inv.secrets.db_passwords[host.name] ?? '',
    REDIS_HOST: inv.services.redis.address,
    REDIS_PORT: inv.cluster.redis.port,
    REDIS_PASSWORD: inv.secrets.redis_password,
    REDIS_DB: inv.cluster.redis.db,
    APP_KEY: inv.secrets.app_key,
    NODE_ID: nodeId,
    NMS_USER,
    // only the host serving the web/API needs the token
    API_TOKEN: host.roles.includes('web') ? inv.secrets.api_token : '',
    // every node may become the dispatcher, which sends the alerts
    ALERT_SECRETS: inv.alerts && Object.keys(inv.alerts.secrets).length ? JSON.stringify(inv.alerts.secrets) : '',
    // with cluster.redis.sentinel the agents ask the sentinels for the master (agent/daemon/connections.ts)
    REDIS_SENTINEL: sentinelAddresses(inv),
    REDIS_SENTINEL_SERVICE: inv.cluster.redis.sentinel ? SENTINEL_SERVICE : '',
  };
}

/** MariaDB account of a node: `nms_<host>` (names beyond 80 characters are cut). */
export function dbUser(hostName: string): string {
  return `nms_${hostName}`.slice(0, 80);
}

export function buildValues(v: ValueInputs): TemplateValues {
  const { inventory: inv, host, profile } = v;
  const c = inv.cluster;
  const settings = nodeSettings(inv, host, profile);
  const rrdOnHost = inv.services.rrdcached;
  const sentinel = sentinelValues(inv, host, profile);
  return {
    host: { name: host.name, address: host.address, roles: host.roles },
    cluster: { name: c.name, members: [...new Set(inv.hosts.map((h) => h.address))] },
    master: { address: inv.services.mariadb.address },
    nginx: {
      user: profile.paths.nginxUser,
      mimeTypes: profile.paths.mimeTypes,
      serverName: c.web.serverName,
      httpPort: c.web.httpPort,
      httpsPort: c.web.httpsPort,
      httpsPortSuffix: c.web.httpsPort === 443 ? '' : `:${c.web.httpsPort}`,
      certPath: CERT_PATH,
      keyPath: KEY_PATH,
      apiPort: settings.api_port,
    },
    redis: {
      // the replica listens on its own host's address
      bind: [sentinel.replica ? host.address : inv.services.redis.address, '127.0.0.1'],
      port: c.redis.port,
      password: inv.secrets.redis_password,
      databases: Math.max(16, c.redis.db + 1),
    },
    sentinel,
    mariadb: { bindAddress: inv.services.mariadb.address, port: c.mariadb.port, bufferPoolMb: c.mariadb.bufferPoolMb },
    rrdcached: {
      address: rrdOnHost.address,
      port: c.rrdcached.port,
      writeThreads: c.rrdcached.writeThreads,
      baseDir: c.rrdcached.baseDir,
      journalDir: c.rrdcached.journal ? profile.paths.rrdcachedJournal : null,
      socket: profile.paths.rrdcachedSocket,
      socketGroup: NMS_USER,
    },
    memcached: { address: inv.services.memcached.address, port: c.memcached.port, memoryMb: c.memcached.memoryMb },
    firewall: {
      tcpPorts: [c.mariadb.port, c.redis.port, c.memcached.port, c.rrdcached.port, ...sentinel.ports].filter(
        (p, i, a) => a.indexOf(p) === i,
      ),
      webPorts: [c.web.httpPort, c.web.httpsPort].filter((p, i, a) => a.indexOf(p) === i),
      sshPort: host.ssh.port,
      metricsPort: settings.metrics_port,
      metricsAllow4: settings.metrics_allow.filter((a) => isIP(a.split('/')[0]) === 4),
      metricsAllow6: settings.metrics_allow.filter((a) => isIP(a.split('/')[0]) === 6),
    },
    syslog: {
      port: SYSLOG_PORT,
      agentPort: settings.syslog_port,
      sources: host.roles.includes('syslog') ? inv.cluster.syslog.networks : [],
      enabled: host.roles.includes('syslog'),
    },
    agent: {
      user: NMS_USER,
      bundle: AGENT_BUNDLE,
      node: v.nodePath,
      envPath: `${ENV_DIR}/.env`,
      logDir: LOG_DIR,
      supervisorState: SUPERVISOR_STATE,
      watchdogSec: settings.service_watchdog_enabled ? 30 : 0,
      env: nodeEnv(inv, host, v.nodeId),
      settingsLines: Object.entries(settings).map(([k, val]) => `${k}: ${JSON.stringify(val)}`),
    },
  };
}
