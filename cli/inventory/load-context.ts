// What the loader hands from one step to the next (load.ts): the files' shapes once the schema
// step has passed, and the context the rules step (rules.ts) checks.
import type { FieldPath, SourceFile } from './source.js';
import type { AgentSettings, ClusterSettings, DeviceSpec, HostSpec, Role, Secrets } from './types.js';

// Shapes after the schema step has passed.
export interface RawSsh {
  user?: string;
  port?: number;
  key?: string;
  sudo?: boolean;
}
export interface RawHost {
  address: string;
  roles: Role[];
  os?: string;
  ssh?: RawSsh;
  agent?: Partial<AgentSettings>;
}
export interface RawHostsFile {
  cluster: {
    name: string;
    redis?: { port?: number; db?: number; sentinel?: boolean };
    mariadb?: { port?: number; database?: string; buffer_pool_mb?: number };
    rrdcached?: { port?: number; write_threads?: number; journal?: boolean; base_dir?: string };
    memcached?: { port?: number; memory_mb?: number };
    web?: { https_port?: number; http_port?: number; server_name?: string; admin_user?: string };
    tls?: { cert?: string; key?: string };
    firewall?: boolean;
    metrics_allow?: string[];
    syslog?: { networks?: string[]; purge_days?: number };
  };
  defaults?: { ssh?: RawSsh; agent?: Partial<AgentSettings>; os?: string };
  hosts: Record<string, RawHost>;
}
export interface RawDevice {
  hostname: string;
  port?: number;
  transport?: 'udp' | 'udp6';
  poller_group?: number;
  snmp: Record<string, string>;
  services?: unknown;
}

/** Where each merged host setting came from, so a rule can point at the line that set it. */
export interface HostOrigins {
  os: FieldPath;
  ssh: Record<keyof RawSsh, FieldPath>;
  /** True when no key was configured and one of DEFAULT_KEY_FILES was picked. */
  keyGuessed: boolean;
}

/** What the rules step sees. */
export interface LoadContext {
  dir: string;
  checkFiles: boolean;
  hostsSrc: SourceFile;
  devicesSrc?: SourceFile;
  secretsSrc?: SourceFile;
  /** Path of secrets.yaml as shown to the user. */
  secretsFile: string;
  raw: RawHostsFile;
  /** Holes where the schema step removed a device. */
  rawDevices?: (RawDevice | undefined)[];
  secrets?: Secrets;
  hosts: HostSpec[];
  origins: Map<string, HostOrigins>;
  cluster: ClusterSettings;
  devices: DeviceSpec[];
}
