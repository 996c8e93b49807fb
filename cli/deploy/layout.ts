// Path planning: which packages, directories, files and services a host gets, with owners,
// modes, checkers and handlers, but no file contents. It is cheap (nothing is rendered or
// read), so the facts request is built from it before the host is known; plan.ts renders the
// contents once the facts have told the init system, NODE_ID and the Node runtime.
import type { HostSpec, Inventory, MasterService } from '../inventory/types.js';
import { DeployError } from '../../lib/errors.js';
import { SUPERVISOR_DIR } from '../../lib/supervisor.js';
import { sentinelRoles, sentinelTopology } from '../inventory/sentinel.js';
import { AGENT_FILES, SERVICE_FILES, type FileRule, type LayoutContext } from './files.js';
import type { HandlerKey, OsProfile, ServiceKey } from './profile.js';
import { AGENT_DIR, CERT_PATH, ENV_DIR, KEY_PATH, LOG_DIR, NMS_USER, STATE_DIR, TLS_DIR } from './values.js';

export interface FileSpec {
  path: string;
  /** Template it comes from (messages), or the local file it copies. */
  source: string;
  content: Buffer;
  sha256: string;
  mode: number;
  owner: string;
  group: string;
  /** Handlers (service restarts, migrations) run when this file changes. */
  notify?: HandlerKey[];
  /** Check on the workstation before sending; returns a problem or undefined. */
  localCheck?: (text: string) => string | undefined;
  /** The service's own checker on the host; `{}` is replaced by the candidate's path. */
  remoteCheck?: string;
  /** Contents are secret as a whole (keys): --diff shows only that it changed. */
  secret?: boolean;
  /** Binary or large: never diffed. */
  binary?: boolean;
  /** Written only when missing: the service rewrites it itself, so present is as wanted. */
  createOnce?: boolean;
}

/** A file before its contents exist: a template to render, or bytes to read. */
export type FileLayout = Omit<FileSpec, 'content' | 'sha256'> & { template?: string; read?: () => Buffer };

export interface DirSpec {
  path: string;
  mode: number;
  owner: string;
  group: string;
}

export interface ServiceSpec {
  key: ServiceKey;
  /** Init script / unit name. */
  name: string;
}

export interface LayoutInputs {
  inventory: Inventory;
  host: HostSpec;
  profile: OsProfile;
  systemd: boolean;
  /** Node on the host when it is ≥ 20; otherwise ours is pushed to /opt/nms/node. */
  hostNode?: string;
  /** Local agent bundle (dist/nms-agent.mjs). */
  agentBundle: Buffer;
  /** Local Node binary pushed when the host has none (process.execPath). */
  localNodePath: string;
}

export interface HostLayout {
  host: HostSpec;
  profile: OsProfile;
  packages: string[];
  dirs: DirSpec[];
  files: FileLayout[];
  /** System services in start/restart order; the agent is handled after the database. */
  services: ServiceSpec[];
  /** Make a self-signed certificate at these paths when missing (web host without tls). */
  selfSignedCert?: { cert: string; key: string; serverName: string };
  /** This host runs MariaDB: database objects, schema and devices are managed here. */
  database: boolean;
  firewall: boolean;
}

/** Start order of the system services (the firewall first, so a new port is open before use). */
export const SERVICE_ORDER: ServiceKey[] = [
  'firewall',
  'mariadb',
  'redis',
  'sentinel',
  'memcached',
  'rrdcached',
  'nginx',
  'rsyslog',
];

export function hostMasterServices(inv: Inventory, host: HostSpec): MasterService[] {
  return (Object.keys(inv.services) as MasterService[]).filter((s) => inv.services[s].name === host.name);
}

export function planLayout(p: LayoutInputs): HostLayout {
  const { inventory: inv, host, profile } = p;
  const mine = new Set(hostMasterServices(inv, host));
  const syslog = host.roles.includes('syslog');
  const sentinel = { enabled: !!sentinelTopology(inv), ...sentinelRoles(inv, host) };
  const c: LayoutContext = {
    inv,
    host,
    profile,
    paths: profile.paths,
    mine,
    roles: new Set(host.roles),
    // a sentinel listens for the cluster too
    firewall: inv.cluster.firewall && (mine.size > 0 || syslog || sentinel.sentinel),
    sentinel,
    systemd: p.systemd,
    hostNode: p.hostNode,
    agentBundle: p.agentBundle,
    localNodePath: p.localNodePath,
  };
  // EL ships rrdcached without the init/defaults layout the template targets: say so, not guess
  if (mine.has('rrdcached') && profile.family === 'el')
    throw new DeployError(
      `${host.name}: rrdcached on an EL host is not supported yet; give the rrdcached role to a Debian or Ubuntu host`,
    );
  const web = mine.has('web');
  const ownTls = !!(inv.cluster.tls.certPath && inv.cluster.tls.keyPath);
  return {
    host,
    profile,
    packages: hostPackages(c),
    dirs: hostDirs(c),
    files: [...SERVICE_FILES, ...AGENT_FILES].filter((r) => r.when(c)).map((r) => fileLayout(r, c)),
    services: hostServices(c),
    selfSignedCert:
      web && !ownTls ? { cert: CERT_PATH, key: KEY_PATH, serverName: inv.cluster.web.serverName } : undefined,
    database: mine.has('mariadb'),
    firewall: c.firewall,
  };
}

function fileLayout(r: FileRule, c: LayoutContext): FileLayout {
  const of = <T>(v: T | ((c: LayoutContext) => T)): T =>
    typeof v === 'function' ? (v as (c: LayoutContext) => T)(c) : v;
  const template = r.template === undefined ? undefined : of(r.template);
  const owner = of(r.owner ?? 'root');
  const out: FileLayout = {
    path: of(r.path),
    source: template ?? of(r.source ?? ''),
    mode: r.mode,
    owner,
    group: of(r.group ?? owner),
  };
  if (template) out.template = template;
  if (r.read) out.read = () => r.read!(c);
  if (r.notify) out.notify = of(r.notify);
  if (r.localCheck) out.localCheck = r.localCheck;
  if (r.remoteCheck) out.remoteCheck = r.remoteCheck;
  if (r.secret) out.secret = true;
  if (r.binary) out.binary = true;
  if (r.createOnce) out.createOnce = true;
  return out;
}

function hostPackages(c: LayoutContext): string[] {
  const { profile, mine, host } = c;
  const packages = new Set<string>();
  for (const s of mine) for (const pkg of profile.packages[s]) packages.add(pkg);
  if (c.firewall) for (const pkg of profile.packages.firewall) packages.add(pkg);
  // a host that gets packages anyway (it runs a master service) and pings or runs service
  // checks gets fping and the plugins too; a poller-only host keeps "SSH and nothing else"
  // (docs/availability.md)
  const checks = host.roles.some((r) => r === 'poller' || r === 'ping');
  if (mine.size > 0 && checks) for (const pkg of profile.packages.availability) packages.add(pkg);
  if (c.roles.has('syslog')) for (const pkg of profile.packages.syslog) packages.add(pkg);
  // Redis Sentinel: the replica's Redis, the sentinel
  if (c.sentinel.replica) for (const pkg of profile.packages.redis) packages.add(pkg);
  if (c.sentinel.sentinel) for (const pkg of profile.packages.sentinel) packages.add(pkg);
  // role config-backup keeps the configurations' history with Debian's git (docs/config-backup.md)
  if (c.roles.has('config-backup')) packages.add('git');
  return [...packages];
}

function hostDirs(c: LayoutContext): DirSpec[] {
  const dirs: DirSpec[] = [
    { path: ENV_DIR, mode: 0o750, owner: 'root', group: NMS_USER },
    { path: AGENT_DIR, mode: 0o755, owner: 'root', group: 'root' },
    // root-owned: pending-restarts lives here and root acts on it
    { path: STATE_DIR, mode: 0o750, owner: 'root', group: NMS_USER },
    { path: `${STATE_DIR}/spool`, mode: 0o750, owner: NMS_USER, group: NMS_USER },
    { path: SUPERVISOR_DIR, mode: 0o750, owner: NMS_USER, group: NMS_USER },
    { path: LOG_DIR, mode: 0o750, owner: NMS_USER, group: NMS_USER },
  ];
  if (c.mine.has('rrdcached'))
    dirs.push({ path: c.inv.cluster.rrdcached.baseDir, mode: 0o755, owner: NMS_USER, group: NMS_USER });
  if (c.mine.has('web')) dirs.push({ path: TLS_DIR, mode: 0o750, owner: 'root', group: 'root' });
  if (c.roles.has('config-backup'))
    dirs.push({ path: `${STATE_DIR}/config-backup`, mode: 0o750, owner: NMS_USER, group: NMS_USER });
  return dirs;
}

function hostServices(c: LayoutContext): ServiceSpec[] {
  const wanted = new Set<ServiceKey>([
    ...(c.firewall ? ['firewall' as const] : []),
    ...(c.roles.has('syslog') ? ['rsyslog' as const] : []),
    ...(c.sentinel.replica ? ['redis' as const] : []),
    ...(c.sentinel.sentinel ? ['sentinel' as const] : []),
    ...[...c.mine].map((s) => (s === 'web' ? 'nginx' : s) as ServiceKey),
  ]);
  return SERVICE_ORDER.filter((k) => wanted.has(k)).map((key) => ({ key, name: c.profile.serviceNames[key] }));
}
