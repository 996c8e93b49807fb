// What differs between distributions: package names and commands, config paths, service names.
// Debian/Ubuntu (apt) is what the lab runs; the EL 8/9 (dnf) path is generated the same way and
// unit-tested. Everything else in the engine asks a profile instead of naming a distribution.
import { shq } from '../ssh/connection.js';
import type { MasterService } from '../inventory/types.js';

export type ServiceKey =
  'nginx' | 'redis' | 'sentinel' | 'mariadb' | 'rrdcached' | 'memcached' | 'firewall' | 'rsyslog' | 'agent';
/** Things a change can ask for afterwards: a service restart, or the schema migrations. */
export type HandlerKey = ServiceKey | 'migrate';
export const HANDLER_KEYS: readonly HandlerKey[] = [
  'firewall',
  'mariadb',
  'redis',
  'sentinel',
  'memcached',
  'rrdcached',
  'nginx',
  'rsyslog',
  'migrate',
  'agent',
];

export interface OsProfile {
  family: 'debian' | 'el';
  /** Packages each master service needs. */
  /** `availability`: fping and the monitoring plugins, for hosts that ping and run checks (docs/availability.md). */
  packages: Record<MasterService, string[]> & {
    firewall: string[];
    tls: string[];
    availability: string[];
    syslog: string[];
    /** Redis Sentinel (cluster.redis.sentinel). */
    sentinel: string[];
  };
  /** Init/systemd names of the services. */
  serviceNames: Record<ServiceKey, string>;
  /** Process names that show a service runs where there is no systemd (pidof). */
  processNames: Partial<Record<ServiceKey, string>>;
  paths: {
    nginxConf: string;
    redisConf: string;
    mariadbConf: string;
    rrdcachedDefaults: string;
    memcachedConf: string;
    nftablesConf: string;
    /** The rsyslog snippet of role syslog. */
    rsyslogConf: string;
    rrdcachedSocket: string;
    rrdcachedJournal: string;
    nginxUser: string;
    redisOwner: string;
    mimeTypes: string;
  };
  /** Shell command installing the given packages (non-interactive). */
  installCommand(pkgs: string[]): string;
  /** Shell snippet printing `pkg<TAB>name<TAB>1|0` for each package. */
  packageFactsCommand(pkgs: string[]): string;
}

export const DEBIAN: OsProfile = {
  family: 'debian',
  packages: {
    web: ['nginx', 'openssl', 'curl'],
    mariadb: ['mariadb-server', 'mariadb-client'],
    rrdcached: ['rrdcached', 'rrdtool'],
    redis: ['redis-server', 'redis-tools'],
    memcached: ['memcached'],
    firewall: ['nftables'],
    tls: ['openssl'],
    availability: ['fping', 'monitoring-plugins-basic'],
    syslog: ['rsyslog'],
    sentinel: ['redis-sentinel'],
  },
  serviceNames: {
    nginx: 'nginx',
    redis: 'redis-server',
    sentinel: 'redis-sentinel',
    mariadb: 'mariadb',
    rrdcached: 'rrdcached',
    memcached: 'memcached',
    firewall: 'nftables',
    rsyslog: 'rsyslog',
    agent: 'nms-agent',
  },
  processNames: {
    nginx: 'nginx',
    redis: 'redis-server',
    sentinel: 'redis-sentinel',
    mariadb: 'mariadbd',
    rrdcached: 'rrdcached',
    memcached: 'memcached',
    rsyslog: 'rsyslogd',
  },
  paths: {
    nginxConf: '/etc/nginx/nginx.conf',
    redisConf: '/etc/redis/redis.conf',
    mariadbConf: '/etc/mysql/mariadb.conf.d/90-nms.cnf',
    rrdcachedDefaults: '/etc/default/rrdcached',
    memcachedConf: '/etc/memcached.conf',
    nftablesConf: '/etc/nftables.conf',
    rsyslogConf: '/etc/rsyslog.d/60-nms.conf',
    rrdcachedSocket: '/var/run/rrdcached.sock',
    rrdcachedJournal: '/var/lib/rrdcached/journal',
    nginxUser: 'www-data',
    redisOwner: 'redis',
    mimeTypes: '/etc/nginx/mime.types',
  },
  installCommand(pkgs) {
    const list = pkgs.map(shq).join(' ');
    // the package lists may be missing on a fresh host: update once and retry
    const install = `apt-get install -y -q --no-install-recommends ${list}`;
    return `export DEBIAN_FRONTEND=noninteractive; ${install} || { apt-get update -q && ${install}; }`;
  },
  packageFactsCommand(pkgs) {
    if (!pkgs.length) return ':';
    // one dpkg-query for all; packages it does not know print nothing (= not installed)
    const query = `dpkg-query -W -f='\${Package}\\t\${db:Status-Abbrev}\\n' ${pkgs.map(shq).join(' ')} 2>/dev/null`;
    return `${query} | awk -F'\\t' '{ printf "pkg\\t%s\\t%d\\n", $1, ($2 ~ /^ii/) }'`;
  },
};

export const EL: OsProfile = {
  family: 'el',
  packages: {
    web: ['nginx', 'openssl', 'curl'],
    mariadb: ['mariadb-server', 'mariadb'],
    // EL's rrdtool package carries rrdcached
    rrdcached: ['rrdtool'],
    redis: ['redis'],
    memcached: ['memcached'],
    firewall: ['nftables'],
    tls: ['openssl'],
    // from EPEL, which the host must have enabled
    availability: ['fping', 'nagios-plugins-http', 'nagios-plugins-tcp', 'nagios-plugins-ping', 'nagios-plugins-dns'],
    syslog: ['rsyslog'],
    // EL's redis package carries redis-sentinel
    sentinel: ['redis'],
  },
  serviceNames: {
    nginx: 'nginx',
    redis: 'redis',
    sentinel: 'redis-sentinel',
    mariadb: 'mariadb',
    rrdcached: 'rrdcached',
    memcached: 'memcached',
    firewall: 'nftables',
    rsyslog: 'rsyslog',
    agent: 'nms-agent',
  },
  processNames: {
    nginx: 'nginx',
    redis: 'redis-server',
    sentinel: 'redis-sentinel',
    mariadb: 'mariadbd',
    rrdcached: 'rrdcached',
    memcached: 'memcached',
    rsyslog: 'rsyslogd',
  },
  paths: {
    nginxConf: '/etc/nginx/nginx.conf',
    redisConf: '/etc/redis/redis.conf',
    mariadbConf: '/etc/my.cnf.d/90-nms.cnf',
    rrdcachedDefaults: '/etc/sysconfig/rrdcached',
    memcachedConf: '/etc/sysconfig/memcached',
    nftablesConf: '/etc/sysconfig/nftables.conf',
    rsyslogConf: '/etc/rsyslog.d/60-nms.conf',
    rrdcachedSocket: '/run/rrdcached.sock',
    rrdcachedJournal: '/var/lib/rrdcached/journal',
    nginxUser: 'nginx',
    redisOwner: 'redis',
    mimeTypes: '/etc/nginx/mime.types',
  },
  installCommand(pkgs) {
    return `dnf install -y -q ${pkgs.map(shq).join(' ')}`;
  },
  packageFactsCommand(pkgs) {
    if (!pkgs.length) return ':';
    return `rpm -q --qf 'pkg\\t%{NAME}\\t1\\n' ${pkgs.map(shq).join(' ')} 2>/dev/null | grep '^pkg'`;
  },
};

/** Picks the profile for an os-release ID / ID_LIKE (or the inventory's `os`). */
export function profileFor(osId: string, idLike = ''): OsProfile {
  const words = `${osId} ${idLike}`.toLowerCase();
  if (/\b(el8|el9|rhel|centos|rocky|almalinux|fedora)\b/.test(words)) return EL;
  return DEBIAN;
}
