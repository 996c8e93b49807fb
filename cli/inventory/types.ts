// The normalised inventory: what every command gets after `loadInventory()` has validated
// the YAML in `inventories/<name>/`. Field names of agent settings follow LibreNMS.
import type { NodeSettings } from '../../lib/node-config.js';
import type { TransportSecrets } from '../../lib/alerts.js';
import type { InventoryAlerts } from './alerts.js';

/** Services that exist once per cluster, each on exactly one host. */
export const MASTER_SERVICES = ['web', 'mariadb', 'rrdcached', 'redis', 'memcached'] as const;
export type MasterService = (typeof MASTER_SERVICES)[number];
/** Roles of the nms agent on a host. */
export const AGENT_ROLES = ['poller', 'discovery', 'ping', 'syslog', 'config-backup'] as const;
export type AgentRoleName = (typeof AGENT_ROLES)[number];
export type Role = MasterService | AgentRoleName;

export interface SshSettings {
  user: string;
  port: number;
  /** Absolute path of the private key file. */
  keyPath: string;
  /** Use sudo for commands (default: true when user is not root). */
  sudo: boolean;
}

/** Agent settings of one host (LibreNMS names; see lib/node-config.ts for defaults). */
export type AgentSettings = Pick<
  NodeSettings,
  | 'distributed_poller_group'
  | 'service_poller_workers'
  | 'service_poller_frequency'
  | 'service_discovery_workers'
  | 'service_discovery_frequency'
  | 'service_ping_workers'
  | 'service_ping_frequency'
  | 'service_services_workers'
  | 'service_services_frequency'
  | 'service_poller_down_retry'
  | 'service_master_timeout'
  | 'service_loglevel'
  | 'service_watchdog_enabled'
  | 'config_backup_interval'
>;

export interface HostSpec {
  /** Inventory name, also the node's distributed_poller_name. */
  name: string;
  /** Address the other cluster members and the workstation reach it at. */
  address: string;
  ssh: SshSettings;
  /** `debian` | `ubuntu` | `el8` | `el9`; detected when absent. */
  os?: string;
  roles: Role[];
  agent: AgentSettings;
}

export interface TlsSettings {
  /** Paths of a certificate and key on the workstation; both absent means self-signed. */
  certPath?: string;
  keyPath?: string;
}

export interface ClusterSettings {
  name: string;
  /** `sentinel`: a replica and three sentinels (cli/inventory/sentinel.ts picks the hosts). */
  redis: { port: number; db: number; sentinel: boolean };
  /** bufferPoolMb: innodb_buffer_pool_size in MiB. */
  mariadb: { port: number; database: string; bufferPoolMb: number };
  rrdcached: { port: number; writeThreads: number; journal: boolean; baseDir: string };
  memcached: { port: number; memoryMb: number };
  web: { httpsPort: number; httpPort: number; serverName: string; adminUser: string };
  tls: TlsSettings;
  firewall: boolean;
  /** Prometheus addresses/networks allowed on the agents' /metrics port besides the nodes (`metrics_allow`). */
  metricsAllow: string[];
  /** Syslog (role `syslog`, docs/syslog.md): who may send, and LibreNMS's syslog_purge. */
  syslog: { networks: string[]; purgeDays: number };
}

export type SnmpSpec =
  | { version: 'v1' | 'v2c'; community: string }
  | {
      version: 'v3';
      authlevel: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
      authname: string;
      authpass?: string;
      authalgo?: 'MD5' | 'SHA' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512';
      cryptopass?: string;
      cryptoalgo?: 'DES' | 'AES' | 'AES-192' | 'AES-256';
    };

/** A service check of a device (LibreNMS's services row): check_<type> run with args. */
export interface ServiceSpec {
  type: string;
  args: string[];
  ip?: string;
  name?: string;
  desc?: string;
}

export interface DeviceSpec {
  hostname: string;
  port: number;
  transport: 'udp' | 'udp6';
  snmp: SnmpSpec;
  poller_group: number;
  /** Service checks; absent: none. */
  services?: ServiceSpec[];
}

/** Secrets: kept in `secrets.yaml` (mode 0600), never printed. */
export interface Secrets {
  app_key: string;
  redis_password: string;
  api_token: string;
  /** MariaDB root/admin password used by deploy on the master (unix socket auth when absent). */
  db_admin_password?: string;
  /** MariaDB password of each node's account, by host name. */
  db_passwords: Record<string, string>;
  /** Secret fields of alert transports by transport name (alerts.yaml names them). */
  alert_transports?: TransportSecrets;
  /** Password of the web UI's first administrator (`cluster.web.admin_user`); deploy generates one when absent. */
  web_admin_password?: string;
  /** Devices' SSH logins for config backup (role `config-backup`), by device hostname. */
  device_ssh?: Record<string, DeviceSshLogin>;
}

/** A device's SSH login for config backup (secrets.yaml `device_ssh`). */
export interface DeviceSshLogin {
  username: string;
  password: string;
  /** Default 22. */
  port?: number;
}

export interface Inventory {
  name: string;
  /** Absolute path of the inventory directory. */
  dir: string;
  /** Absolute path of the known_hosts file kept with the inventory. */
  knownHostsPath: string;
  cluster: ClusterSettings;
  hosts: HostSpec[];
  devices: DeviceSpec[];
  secrets: Secrets;
  /** The host of each master service. */
  services: Record<MasterService, HostSpec>;
  /** alerts.yaml, when the inventory has one (the built-in rules apply without it). */
  alerts?: InventoryAlerts;
}
