// Checkers for rendered files whose service has none of its own: redis-server, memcached and
// rrdcached cannot test a configuration without starting, so the rendered text is parsed here
// and the settings nms relies on are checked. Each returns a problem or undefined.

const PORT = /^([1-9]\d{0,4})$/;
const portOk = (s: string | undefined) => !!s && PORT.test(s) && Number(s) <= 65535;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const addrOk = (s: string) =>
  (IPV4.test(s) && s.split('.').every((o) => Number(o) <= 255)) || /^[0-9a-fA-F:]+$/.test(s) || s === '-::1';

function directives(text: string): Array<[string, string[]]> {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [k, ...v] = l.split(/\s+/);
      return [k, v];
    });
}

/** Known redis.conf directives nms writes, with a check of their values. */
const REDIS_RULES: Record<string, (v: string[]) => boolean> = {
  bind: (v) => v.length > 0 && v.every(addrOk),
  'protected-mode': (v) => v[0] === 'yes',
  port: (v) => portOk(v[0]),
  requirepass: (v) => v.length === 1 && v[0].length >= 8,
  // Redis Sentinel: a Redis that may become a replica logs in to the master with it
  masterauth: (v) => v.length === 1 && v[0].length >= 8,
  databases: (v) => /^\d+$/.test(v[0] ?? ''),
  'maxmemory-policy': (v) => v[0] === 'noeviction',
  'tcp-backlog': (v) => /^\d+$/.test(v[0] ?? ''),
  timeout: (v) => /^\d+$/.test(v[0] ?? ''),
  'tcp-keepalive': (v) => /^\d+$/.test(v[0] ?? ''),
  daemonize: (v) => v[0] === 'yes' || v[0] === 'no',
  supervised: (v) => ['no', 'upstart', 'systemd', 'auto'].includes(v[0] ?? ''),
  pidfile: (v) => (v[0] ?? '').startsWith('/'),
  loglevel: (v) => ['debug', 'verbose', 'notice', 'warning'].includes(v[0] ?? ''),
  logfile: (v) => v.length === 1,
  dir: (v) => (v[0] ?? '').startsWith('/'),
  dbfilename: (v) => v.length === 1,
  save: (v) => v.length % 2 === 0 && v.every((x) => /^\d+$/.test(x)),
  'stop-writes-on-bgsave-error': (v) => v[0] === 'yes' || v[0] === 'no',
  appendonly: (v) => v[0] === 'yes' || v[0] === 'no',
  appendfsync: (v) => ['always', 'everysec', 'no'].includes(v[0] ?? ''),
};

export function checkRedisConf(text: string): string | undefined {
  const seen = new Set<string>();
  for (const [k, v] of directives(text)) {
    const rule = REDIS_RULES[k];
    if (!rule) return `redis.conf: unknown directive "${k}"`;
    if (!rule(v)) {
      const why = k === 'requirepass' ? ' (password must be one word of at least 8 characters)' : `: ${v.join(' ')}`;
      return `redis.conf: bad value for "${k}"${why}`;
    }
    seen.add(k);
  }
  for (const k of ['bind', 'port', 'requirepass', 'protected-mode', 'maxmemory-policy'])
    if (!seen.has(k)) return `redis.conf: "${k}" is missing`;
  return undefined;
}

/** Debian's /etc/memcached.conf: one memcached option per line, plus `logfile`. */
export function checkMemcachedConf(text: string): string | undefined {
  const seen = new Set<string>();
  for (const [k, v] of directives(text)) {
    if (k === 'logfile') continue;
    if (!/^-[a-zA-Z]$/.test(k)) return `memcached.conf: "${k}" is not a memcached option`;
    if ((k === '-p' || k === '-U') && !(portOk(v[0]) || v[0] === '0'))
      return `memcached.conf: bad port for ${k}: ${v.join(' ')}`;
    if (k === '-m' && !/^[1-9]\d*$/.test(v[0] ?? '')) return `memcached.conf: -m needs megabytes, got ${v.join(' ')}`;
    if (k === '-l' && !(v[0] ?? '').split(',').every(addrOk))
      return `memcached.conf: bad listen address ${v.join(' ')}`;
    seen.add(k);
  }
  for (const k of ['-p', '-m', '-l', '-u']) if (!seen.has(k)) return `memcached.conf: ${k} is missing`;
  return undefined;
}

/** /etc/default/rrdcached: shell assignments read by its init script. */
export function checkRrdcachedDefaults(text: string): string | undefined {
  const vars: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Z_]+)=("([^"$`\\]*)"|[^\s"'$`\\;&|]*)$/.exec(line);
    if (!m) return `rrdcached defaults: not a plain assignment: ${line}`;
    vars[m[1]] = m[3] ?? m[2];
  }
  if (!/^[1-9]\d*$/.test(vars.WRITE_THREADS ?? ''))
    return 'rrdcached defaults: WRITE_THREADS must be a positive number';
  if (!(vars.BASE_PATH ?? '').startsWith('/')) return 'rrdcached defaults: BASE_PATH must be absolute';
  const opts = (vars.BASE_OPTIONS ?? '').split(/\s+/);
  for (const o of ['-B', '-F', '-R']) if (!opts.includes(o)) return `rrdcached defaults: BASE_OPTIONS lacks ${o}`;
  const listen = /^-l (\S+):(\d+)$/.exec(vars.NETWORK_OPTIONS ?? '');
  if (!listen || !addrOk(listen[1]) || !portOk(listen[2]))
    return 'rrdcached defaults: NETWORK_OPTIONS must be "-l address:port"';
  return undefined;
}
