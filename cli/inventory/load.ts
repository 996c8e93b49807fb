// Loads `inventories/<name>/` into the normalised Inventory (types.ts) in three steps:
// schema (schema.ts), normalise (defaults merged, paths resolved; below), rules (rules.ts).
// Every problem from every file is collected and thrown once as an InventoryError (exit 2).
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { DEFAULT_NODE_SETTINGS } from '../../lib/node-config.js';
import { InventoryError, type InventoryProblem } from '../../lib/errors.js';
import { checkSchema, parseSource, type FieldPath, type SourceFile } from './source.js';
import { devicesFileSchema, hostsFileSchema, secretsFileSchema } from './schema.js';
import { checkRules } from './rules.js';
import { ALERTS_FILE, loadAlerts } from './alerts.js';
import type { HostOrigins, LoadContext, RawDevice, RawHostsFile, RawSsh } from './load-context.js';
import {
  MASTER_SERVICES,
  type AgentSettings,
  type ClusterSettings,
  type DeviceSpec,
  type HostSpec,
  type Inventory,
  type MasterService,
  type Secrets,
  type ServiceSpec,
  type SnmpSpec,
} from './types.js';

export const HOSTS_FILE = 'hosts.yaml';
export const DEVICES_FILE = 'devices.yaml';
export const SECRETS_FILE = 'secrets.yaml';
export const KNOWN_HOSTS_FILE = 'known_hosts';

export interface LoadOptions {
  /**
   * Check files the inventory points to: SSH keys and TLS files exist and are readable, and
   * secrets.yaml is not readable by group or others. Default true; `false` suits tools that
   * only read the topology of someone else's inventory.
   */
  checkFiles?: boolean;
}

/** Agent settings a host gets when neither it nor `defaults.agent` sets them (LibreNMS's). */
export const DEFAULT_AGENT_SETTINGS: AgentSettings = {
  distributed_poller_group: DEFAULT_NODE_SETTINGS.distributed_poller_group,
  service_poller_workers: DEFAULT_NODE_SETTINGS.service_poller_workers,
  service_poller_frequency: DEFAULT_NODE_SETTINGS.service_poller_frequency,
  service_discovery_workers: DEFAULT_NODE_SETTINGS.service_discovery_workers,
  service_discovery_frequency: DEFAULT_NODE_SETTINGS.service_discovery_frequency,
  service_ping_workers: DEFAULT_NODE_SETTINGS.service_ping_workers,
  service_ping_frequency: DEFAULT_NODE_SETTINGS.service_ping_frequency,
  service_services_workers: DEFAULT_NODE_SETTINGS.service_services_workers,
  service_services_frequency: DEFAULT_NODE_SETTINGS.service_services_frequency,
  service_poller_down_retry: DEFAULT_NODE_SETTINGS.service_poller_down_retry,
  service_master_timeout: DEFAULT_NODE_SETTINGS.service_master_timeout,
  service_loglevel: DEFAULT_NODE_SETTINGS.service_loglevel,
  service_watchdog_enabled: DEFAULT_NODE_SETTINGS.service_watchdog_enabled,
  config_backup_interval: DEFAULT_NODE_SETTINGS.config_backup_interval,
};

export const DEFAULT_SSH = { user: 'root', port: 22 } as const;
/** Keys tried, in order, when no `ssh.key` is given (as OpenSSH does). */
export const DEFAULT_KEY_FILES = ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa'];

export type { HostOrigins, LoadContext, RawDevice, RawHost, RawHostsFile, RawSsh } from './load-context.js';

export function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}

/** Resolves a path written in the inventory: `~` is the home, relative is the inventory dir. */
export function resolveInventoryPath(dir: string, p: string): string {
  const e = expandHome(p);
  return isAbsolute(e) ? e : resolve(dir, e);
}

/** Reads, parses and schema-checks one file; returns its source with the usable data, if any. */
function readSource(
  file: string,
  secret: boolean,
  schema: object,
  problems: InventoryProblem[],
): { src: SourceFile; data: unknown } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push({ file, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
    return undefined;
  }
  const { src, problems: syntax } = parseSource(file, text, secret);
  problems.push(...syntax);
  if (syntax.length) return undefined;
  const checked = checkSchema(src, schema);
  problems.push(...checked.problems);
  return { src, data: checked.data };
}

const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

function normaliseHosts(ctx: Pick<LoadContext, 'dir' | 'raw' | 'origins'>): HostSpec[] {
  const { raw, dir } = ctx;
  const d = raw.defaults ?? {};
  const hosts: HostSpec[] = [];
  for (const [name, h] of Object.entries(raw.hosts)) {
    const hp: FieldPath = ['hosts', name];
    const pick = <K extends keyof RawSsh>(k: K): { value: RawSsh[K]; from: FieldPath } =>
      h.ssh?.[k] !== undefined
        ? { value: h.ssh[k], from: [...hp, 'ssh', k] }
        : d.ssh?.[k] !== undefined
          ? { value: d.ssh[k], from: ['defaults', 'ssh', k] }
          : { value: undefined, from: ['defaults', 'ssh', k] };
    const user = pick('user');
    const port = pick('port');
    const key = pick('key');
    const sudo = pick('sudo');
    const u = user.value ?? DEFAULT_SSH.user;
    let keyPath = key.value !== undefined ? resolveInventoryPath(dir, key.value) : undefined;
    const keyGuessed = keyPath === undefined;
    if (keyPath === undefined)
      keyPath = DEFAULT_KEY_FILES.map(expandHome).find(exists) ?? expandHome(DEFAULT_KEY_FILES[0]);
    const os = h.os ?? d.os;
    ctx.origins.set(name, {
      os: h.os !== undefined ? [...hp, 'os'] : ['defaults', 'os'],
      ssh: { user: user.from, port: port.from, key: key.from, sudo: sudo.from },
      keyGuessed,
    });
    hosts.push({
      name,
      address: h.address ?? '',
      ssh: { user: u, port: port.value ?? DEFAULT_SSH.port, keyPath, sudo: sudo.value ?? u !== 'root' },
      ...(os !== undefined ? { os } : {}),
      roles: (h.roles ?? []).filter((r) => r !== undefined),
      agent: withoutHoles({ ...DEFAULT_AGENT_SETTINGS, ...d.agent, ...h.agent }),
    });
  }
  return hosts;
}

/** Drops list items the schema step removed (left as holes so indexes stay right). */
function withoutHoles(agent: AgentSettings): AgentSettings {
  return { ...agent, distributed_poller_group: agent.distributed_poller_group.filter((g) => g !== undefined) };
}

function normaliseCluster(raw: RawHostsFile, hosts: HostSpec[], dir: string): ClusterSettings {
  const c = raw.cluster;
  const webHost = hosts.find((h) => h.roles.includes('web'));
  return {
    name: c.name,
    redis: { port: c.redis?.port ?? 6379, db: c.redis?.db ?? 0, sentinel: c.redis?.sentinel ?? false },
    mariadb: {
      port: c.mariadb?.port ?? 3306,
      database: c.mariadb?.database ?? 'nms',
      bufferPoolMb: c.mariadb?.buffer_pool_mb ?? 1024,
    },
    rrdcached: {
      port: c.rrdcached?.port ?? 42217,
      writeThreads: c.rrdcached?.write_threads ?? 4,
      journal: c.rrdcached?.journal ?? true,
      baseDir: c.rrdcached?.base_dir ?? '/var/lib/nms/rrd',
    },
    memcached: { port: c.memcached?.port ?? 11211, memoryMb: c.memcached?.memory_mb ?? 64 },
    web: {
      httpsPort: c.web?.https_port ?? 443,
      httpPort: c.web?.http_port ?? 80,
      serverName: c.web?.server_name ?? webHost?.address ?? c.name,
      adminUser: c.web?.admin_user ?? 'admin',
    },
    tls: {
      ...(c.tls?.cert !== undefined ? { certPath: resolveInventoryPath(dir, c.tls.cert) } : {}),
      ...(c.tls?.key !== undefined ? { keyPath: resolveInventoryPath(dir, c.tls.key) } : {}),
    },
    firewall: c.firewall ?? true,
    metricsAllow: c.metrics_allow ?? [],
    syslog: { networks: c.syslog?.networks ?? [], purgeDays: c.syslog?.purge_days ?? 30 },
  };
}

function normaliseDevices(raw: (RawDevice | undefined)[]): DeviceSpec[] {
  // A device the schema step removed keeps its place (empty hostname: the rules skip it).
  return raw.map((d = { hostname: '', snmp: {} }) => ({
    hostname: d.hostname ?? '',
    port: d.port ?? 161,
    transport: d.transport ?? 'udp',
    poller_group: d.poller_group ?? 0,
    snmp: (d.snmp ?? {}) as unknown as SnmpSpec,
    ...(Array.isArray(d.services)
      ? { services: (d.services as ServiceSpec[]).map((s) => ({ ...s, args: s.args ?? [] })) }
      : {}),
  }));
}

/** In file order, so the list reads like the files; problems without a line come first. */
function sortProblems(problems: InventoryProblem[]): InventoryProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort(
      (a, b) =>
        a.p.file.localeCompare(b.p.file) ||
        (a.p.line ?? 0) - (b.p.line ?? 0) ||
        (a.p.column ?? 0) - (b.p.column ?? 0) ||
        a.i - b.i,
    )
    .map((x) => x.p);
}

/**
 * The inventory directory a `-i` argument names: the directory itself, or the directory of one
 * of its files (`-i inventories/prod/hosts.yaml`, a common slip). Throws InventoryError when it
 * is neither.
 */
export function inventoryDirOf(arg: string): string {
  let st;
  try {
    st = statSync(arg);
  } catch {
    const message = 'no such inventory directory (create one with `nms init inventory NAME`)';
    throw new InventoryError([{ file: arg, message }]);
  }
  if (st.isDirectory()) return arg;
  if ([HOSTS_FILE, DEVICES_FILE, SECRETS_FILE].includes(basename(arg))) return dirname(arg) || '.';
  const message = `is a file, not an inventory directory: pass the directory that holds ${HOSTS_FILE}`;
  throw new InventoryError([{ file: arg, message }]);
}

/**
 * Reads, validates and normalises the inventory in `dir`. Throws InventoryError with every
 * problem found (file:line:column and field path each); never connects anywhere.
 */
export async function loadInventory(dir: string, opts: LoadOptions = {}): Promise<Inventory> {
  const checkFiles = opts.checkFiles ?? true;
  dir = inventoryDirOf(dir);
  const absDir = resolve(dir);
  const problems: InventoryProblem[] = [];

  const hostsFile = join(dir, HOSTS_FILE);
  const devicesFile = join(dir, DEVICES_FILE);
  const secretsFile = join(dir, SECRETS_FILE);
  const hostsRead = readSource(hostsFile, false, hostsFileSchema, problems);
  const devicesRead = exists(devicesFile) ? readSource(devicesFile, false, devicesFileSchema, problems) : undefined;
  let secretsRead: { src: SourceFile; data: unknown } | undefined;
  if (!exists(secretsFile))
    problems.push({
      file: secretsFile,
      message: 'secrets file is missing (`nms init inventory --force` keeps your hosts and writes one)',
    });
  else secretsRead = readSource(secretsFile, true, secretsFileSchema, problems);
  // Rules run on whatever survived the schema step, so one run shows every problem.
  const raw = hostsRead?.data as RawHostsFile | undefined;
  if (!hostsRead || !isObject(raw) || !isObject(raw.cluster) || !isObject(raw.hosts))
    throw new InventoryError(sortProblems(problems));
  raw.cluster.name ??= basename(absDir);
  const rawSecrets = isObject(secretsRead?.data) ? (secretsRead.data as Partial<Secrets>) : undefined;
  const rawDevices =
    devicesRead && isObject(devicesRead.data) && Array.isArray(devicesRead.data.devices)
      ? (devicesRead.data.devices as RawDevice[])
      : undefined;

  const origins = new Map<string, HostOrigins>();
  const hosts = normaliseHosts({ dir: absDir, raw, origins });
  const ctx: LoadContext = {
    dir: absDir,
    checkFiles,
    hostsSrc: hostsRead.src,
    devicesSrc: rawDevices ? devicesRead?.src : undefined,
    secretsSrc: rawSecrets ? secretsRead?.src : undefined,
    secretsFile,
    raw,
    rawDevices,
    secrets: rawSecrets as Secrets | undefined,
    hosts,
    origins,
    cluster: normaliseCluster(raw, hosts, absDir),
    devices: normaliseDevices(rawDevices ?? []),
  };
  problems.push(...checkRules(ctx));
  const alertsFile = join(dir, ALERTS_FILE);
  const alertSecrets = rawSecrets?.alert_transports;
  const alerts = exists(alertsFile) ? loadAlerts(alertsFile, alertSecrets, ctx.secretsSrc, problems) : undefined;
  if (problems.length || !ctx.secrets) throw new InventoryError(sortProblems(problems));

  const services = {} as Record<MasterService, HostSpec>;
  for (const s of MASTER_SERVICES) services[s] = hosts.find((h) => h.roles.includes(s)) as HostSpec;
  return {
    name: basename(absDir),
    dir: absDir,
    knownHostsPath: join(absDir, KNOWN_HOSTS_FILE),
    cluster: ctx.cluster,
    hosts,
    devices: ctx.devices,
    secrets: { ...ctx.secrets, db_passwords: { ...ctx.secrets.db_passwords } },
    services,
    ...(alerts ? { alerts } : {}),
  };
}
