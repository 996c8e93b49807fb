// The wanted state of one host: packages, the service user, directories, files (rendered from
// templates, each with its owner, mode, checker and the service it notifies) and services.
// Pure: built from the inventory and a few facts (OS, NODE_ID, Node runtime); the operations
// compare it with the facts and act on differences.
import { readFileSync } from 'node:fs';
import { createHash, randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import type { HostSpec, Inventory, MasterService } from '../inventory/types.js';
import { parseDotenv, validateEnv, validateSettings } from '../../lib/node-config.js';
import { DeployError } from '../../lib/errors.js';
import type { HandlerKey, OsProfile, ServiceKey } from './profile.js';
import type { TemplateRenderer } from './render.js';
import {
  AGENT_BUNDLE,
  AGENT_DIR,
  AGENT_NODE,
  ENV_DIR,
  LOG_DIR,
  NMS_USER,
  STATE_DIR,
  TLS_DIR,
  buildValues,
  type TemplateValues,
} from './values.js';
import { checkMemcachedConf, checkRedisConf, checkRrdcachedDefaults } from './checks.js';
import { SUPERVISOR_DIR } from '../../lib/supervisor.js';

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
}

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

export interface HostPlan {
  host: HostSpec;
  profile: OsProfile;
  values: TemplateValues;
  packages: string[];
  dirs: DirSpec[];
  files: FileSpec[];
  /** System services in start/restart order; the agent is handled after the database. */
  services: ServiceSpec[];
  /** Make a self-signed certificate at these paths when missing (web host without tls). */
  selfSignedCert?: { cert: string; key: string; serverName: string };
  /** This host runs MariaDB: database objects, schema and devices are managed here. */
  database: boolean;
  firewall: boolean;
  nodeId: string;
}

export interface PlanInputs {
  inventory: Inventory;
  host: HostSpec;
  profile: OsProfile;
  renderer: TemplateRenderer;
  systemd: boolean;
  /** NODE_ID found on the host, if any. */
  existingNodeId?: string;
  /** Node on the host when it is ≥ 20; otherwise ours is pushed to /opt/nms/node. */
  hostNode?: string;
  /** Local agent bundle (dist/nms-agent.mjs). */
  agentBundle: Buffer;
  /** Local Node binary pushed when the host has none (process.execPath). */
  localNodePath: string;
}

const ORDER: ServiceKey[] = ['firewall', 'mariadb', 'redis', 'memcached', 'rrdcached', 'nginx', 'rsyslog'];

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

// the Node binary is ~100 MB: read it once per run, whatever the number of hosts needing it
const localFiles = new Map<string, Buffer>();
function localFile(path: string): Buffer {
  let b = localFiles.get(path);
  if (!b) localFiles.set(path, (b = readFileSync(path)));
  return b;
}

// hashing the 4 MB agent bundle for every host and every plan is measurable: reuse the digest
const digests = new WeakMap<Buffer, string>();

function file(spec: Omit<FileSpec, 'sha256' | 'content'> & { content: Buffer | string }): FileSpec {
  const content = Buffer.isBuffer(spec.content) ? spec.content : Buffer.from(spec.content);
  let digest = digests.get(content);
  if (!digest) {
    digest = sha256(content);
    if (content.length > 64 * 1024) digests.set(content, digest);
  }
  return { ...spec, content, sha256: digest };
}

export function hostMasterServices(inv: Inventory, host: HostSpec): MasterService[] {
  return (Object.keys(inv.services) as MasterService[]).filter((s) => inv.services[s].name === host.name);
}

export function buildPlan(p: PlanInputs): HostPlan {
  const { inventory: inv, host, profile, renderer } = p;
  const mine = hostMasterServices(inv, host);
  const nodeId = p.existingNodeId ?? randomUUID();
  const nodePath = p.hostNode ?? AGENT_NODE;
  const values = buildValues({ inventory: inv, host, profile, nodeId, nodePath });
  const render = (name: string) => renderer.render(name, values);
  const paths = profile.paths;
  const syslog = host.roles.includes('syslog');
  const firewall = inv.cluster.firewall && (mine.length > 0 || syslog);

  const packages = new Set<string>();
  for (const s of mine) for (const pkg of profile.packages[s]) packages.add(pkg);
  if (firewall) for (const pkg of profile.packages.firewall) packages.add(pkg);
  // a host that gets packages anyway (it runs a master service) and pings or runs service checks
  // gets fping and the plugins too; a poller-only host keeps "SSH and nothing else" (docs/availability.md)
  const checks = host.roles.some((r) => r === 'poller' || r === 'ping');
  if (mine.length > 0 && checks) for (const pkg of profile.packages.availability) packages.add(pkg);
  if (syslog) for (const pkg of profile.packages.syslog) packages.add(pkg);
  // role config-backup keeps the configurations' history with Debian's git (docs/config-backup.md)
  const backup = host.roles.includes('config-backup');
  if (backup) packages.add('git');

  const dirs: DirSpec[] = [
    { path: ENV_DIR, mode: 0o750, owner: 'root', group: NMS_USER },
    { path: AGENT_DIR, mode: 0o755, owner: 'root', group: 'root' },
    // root-owned: pending-restarts lives here and root acts on it
    { path: STATE_DIR, mode: 0o750, owner: 'root', group: NMS_USER },
    { path: `${STATE_DIR}/spool`, mode: 0o750, owner: NMS_USER, group: NMS_USER },
    { path: SUPERVISOR_DIR, mode: 0o750, owner: NMS_USER, group: NMS_USER },
    { path: LOG_DIR, mode: 0o750, owner: NMS_USER, group: NMS_USER },
  ];
  if (mine.includes('rrdcached'))
    dirs.push({ path: inv.cluster.rrdcached.baseDir, mode: 0o755, owner: NMS_USER, group: NMS_USER });
  if (mine.includes('web')) dirs.push({ path: TLS_DIR, mode: 0o750, owner: 'root', group: 'root' });
  if (backup) dirs.push({ path: `${STATE_DIR}/config-backup`, mode: 0o750, owner: NMS_USER, group: NMS_USER });

  const files: FileSpec[] = [];
  if (firewall)
    files.push(
      file({
        path: paths.nftablesConf,
        source: 'nftables/nftables.conf.hbs',
        content: render('nftables/nftables.conf.hbs'),
        mode: 0o755,
        owner: 'root',
        group: 'root',
        notify: ['firewall'],
        remoteCheck: 'nft -c -f {}',
      }),
    );
  if (mine.includes('mariadb'))
    files.push(
      file({
        path: paths.mariadbConf,
        source: 'mariadb/90-nms.cnf.hbs',
        content: render('mariadb/90-nms.cnf.hbs'),
        mode: 0o644,
        owner: 'root',
        group: 'root',
        notify: ['mariadb'],
        remoteCheck: 'mariadbd --defaults-file={} --help --verbose >/dev/null',
      }),
    );
  if (mine.includes('redis'))
    files.push(
      file({
        path: paths.redisConf,
        source: 'redis/redis.conf.hbs',
        content: render('redis/redis.conf.hbs'),
        mode: 0o640,
        owner: paths.redisOwner,
        group: paths.redisOwner,
        notify: ['redis'],
        localCheck: checkRedisConf,
      }),
    );
  if (mine.includes('memcached')) {
    const tpl = profile.family === 'el' ? 'memcached/memcached.sysconfig.hbs' : 'memcached/memcached.conf.hbs';
    files.push(
      file({
        path: paths.memcachedConf,
        source: tpl,
        content: render(tpl),
        mode: 0o644,
        owner: 'root',
        group: 'root',
        notify: ['memcached'],
        localCheck: profile.family === 'el' ? undefined : checkMemcachedConf,
        remoteCheck: profile.family === 'el' ? 'sh -n {}' : undefined,
      }),
    );
  }
  // EL ships rrdcached without the init/defaults layout the template targets: say so, not guess
  if (mine.includes('rrdcached') && profile.family === 'el')
    throw new DeployError(
      `${host.name}: rrdcached on an EL host is not supported yet; give the rrdcached role to a Debian or Ubuntu host`,
    );
  if (mine.includes('rrdcached'))
    files.push(
      file({
        path: paths.rrdcachedDefaults,
        source: 'rrdcached/rrdcached.hbs',
        content: render('rrdcached/rrdcached.hbs'),
        mode: 0o644,
        owner: 'root',
        group: 'root',
        notify: ['rrdcached'],
        localCheck: checkRrdcachedDefaults,
        remoteCheck: 'sh -n {}',
      }),
    );
  if (syslog) {
    // rsyslogd -N1 checks the snippet as a whole configuration (it loads its own modules)
    files.push(
      file({
        path: paths.rsyslogConf,
        source: 'rsyslog/60-nms.conf.hbs',
        content: render('rsyslog/60-nms.conf.hbs'),
        mode: 0o644,
        owner: 'root',
        group: 'root',
        notify: ['rsyslog'],
        remoteCheck: 'rsyslogd -N1 -f {}',
      }),
    );
    // Debian's rsyslog has a systemd unit only; hosts without systemd get an init script
    if (!p.systemd)
      files.push(
        file({
          path: '/etc/init.d/rsyslog',
          source: 'rsyslog/rsyslog.init.hbs',
          content: render('rsyslog/rsyslog.init.hbs'),
          mode: 0o755,
          owner: 'root',
          group: 'root',
          notify: ['rsyslog'],
          remoteCheck: 'sh -n {}',
        }),
      );
  }
  let selfSignedCert: HostPlan['selfSignedCert'];
  if (mine.includes('web')) {
    const tls = inv.cluster.tls;
    if (tls.certPath && tls.keyPath) {
      files.push(
        file({
          path: values.nginx.certPath,
          source: tls.certPath,
          content: readFileSync(tls.certPath),
          mode: 0o644,
          owner: 'root',
          group: 'root',
          notify: ['nginx'],
        }),
      );
      files.push(
        file({
          path: values.nginx.keyPath,
          source: tls.keyPath,
          content: readFileSync(tls.keyPath),
          mode: 0o600,
          owner: 'root',
          group: 'root',
          notify: ['nginx'],
          secret: true,
        }),
      );
    } else {
      selfSignedCert = { cert: values.nginx.certPath, key: values.nginx.keyPath, serverName: values.nginx.serverName };
    }
    files.push(
      file({
        path: paths.nginxConf,
        source: 'nginx/nginx.conf.hbs',
        content: render('nginx/nginx.conf.hbs'),
        mode: 0o644,
        owner: 'root',
        group: 'root',
        notify: ['nginx'],
        remoteCheck: 'nginx -q -t -c {}',
      }),
    );
  }

  // the agent, on every node
  const envPath = `${ENV_DIR}/.env`;
  files.push(
    file({
      path: envPath,
      source: 'nms/env.hbs',
      content: render('nms/env.hbs'),
      mode: 0o640,
      owner: 'root',
      group: NMS_USER,
      notify: ['agent'],
      localCheck: (t) => problem(() => validateEnv(parseDotenv(t), envPath)),
    }),
  );
  const settingsPath = `${ENV_DIR}/config.yaml`;
  files.push(
    file({
      path: settingsPath,
      source: 'nms/config.yaml.hbs',
      content: render('nms/config.yaml.hbs'),
      mode: 0o640,
      owner: 'root',
      group: NMS_USER,
      notify: ['agent'],
      localCheck: (t) => problem(() => validateSettings(parseYaml(t), settingsPath)),
    }),
  );
  if (!p.hostNode)
    files.push(
      file({
        path: AGENT_NODE,
        source: p.localNodePath,
        content: localFile(p.localNodePath),
        mode: 0o755,
        owner: 'root',
        group: 'root',
        notify: ['agent'],
        binary: true,
      }),
    );
  files.push(
    file({
      path: AGENT_BUNDLE,
      source: 'dist/nms-agent.mjs',
      content: p.agentBundle,
      mode: 0o644,
      owner: 'root',
      group: 'root',
      notify: mine.includes('mariadb') ? ['migrate', 'agent'] : ['agent'],
      binary: true,
    }),
  );
  files.push(
    file({
      path: '/usr/local/bin/nms-agent',
      source: 'nms/nms-agent.hbs',
      content: render('nms/nms-agent.hbs'),
      mode: 0o755,
      owner: 'root',
      group: 'root',
      remoteCheck: 'sh -n {}',
    }),
  );
  if (p.systemd)
    files.push(
      file({
        path: '/etc/systemd/system/nms-agent.service',
        source: 'nms/nms-agent.service.hbs',
        content: render('nms/nms-agent.service.hbs'),
        mode: 0o644,
        owner: 'root',
        group: 'root',
        notify: ['agent'],
      }),
    );
  else
    files.push(
      file({
        path: '/etc/init.d/nms-agent',
        source: 'nms/nms-agent.init.hbs',
        content: render('nms/nms-agent.init.hbs'),
        mode: 0o755,
        owner: 'root',
        group: 'root',
        notify: ['agent'],
        remoteCheck: 'sh -n {}',
      }),
    );

  const wanted = new Set<ServiceKey>([
    ...(firewall ? ['firewall' as const] : []),
    ...(syslog ? ['rsyslog' as const] : []),
    ...mine.map((s) => (s === 'web' ? 'nginx' : s) as ServiceKey),
  ]);
  const services = ORDER.filter((k) => wanted.has(k)).map((key) => ({ key, name: profile.serviceNames[key] }));
  return {
    host,
    profile,
    values,
    packages: [...packages],
    dirs,
    files,
    services,
    selfSignedCert,
    database: mine.includes('mariadb'),
    firewall,
    nodeId,
  };
}

function problem(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
