// Step 3 of loading: rules that span fields and files. Each rule is a small function that
// returns problems (never throws), so the user sees all of them at once.
import { openSync, readSync, closeSync, existsSync, statSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { isIP } from 'node:net';
import type { InventoryProblem } from '../../lib/errors.js';
import { isValidAppKey } from '../../lib/crypto.js';
import { problemAt, type FieldPath } from './source.js';
import { HOST_NAME_HINT, HOST_NAME_PATTERN } from './schema.js';
import { MASTER_SERVICES } from './types.js';
import { sshKeyProblem, tlsProblems } from './files.js';
import type { LoadContext } from './load-context.js';
import { sentinelProblems } from './sentinel.js';
import { configBackup } from './config-backup.js';

/** Platforms nms deploys to (the agent needs Node 20: glibc >= 2.28, systemd or sysv init). */
export const SUPPORTED_OS = ['debian', 'ubuntu', 'el8', 'el9'] as const;

/** Platforms users ask for that nms refuses, with the reason. */
const UNSUPPORTED_OS: Record<string, string> = {
  centos7:
    'CentOS 7 is not supported: it reached end of life on 2024-06-30 (no security updates, its mirrors moved ' +
    'to vault.centos.org), and its glibc 2.17 cannot run Node.js 20, which nms-agent needs (glibc >= 2.28). ' +
    'Move the host to EL 8/9 (Rocky, Alma, RHEL), Debian or Ubuntu',
  el7:
    'EL 7 is not supported: its glibc 2.17 cannot run Node.js 20, which nms-agent needs (glibc >= 2.28), ' +
    'and it is past end of life. Use el8 or el9',
  centos8:
    'CentOS 8 is not supported: it reached end of life on 2021-12-31. ' +
    'Use an EL 8 rebuild (Rocky, Alma) and write os: el8',
  centos6:
    'CentOS 6 is not supported: end of life since 2020 and its glibc 2.12 cannot run Node.js 20. ' +
    'Use el8, el9, Debian or Ubuntu',
};
for (const alias of ['rhel7', 'centos-7', 'centos_7']) UNSUPPORTED_OS[alias] = UNSUPPORTED_OS.centos7;

const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** Why `s` is not an IP address or DNS name, or undefined when it is one. */
export function addressProblem(s: string): string | undefined {
  if (isIP(s)) return undefined;
  if (/^[\d.]+$/.test(s)) return `is not a valid IPv4 address (got "${s}")`;
  if (s.includes(':')) return `is not a valid IPv6 address (got "${s}")`;
  if (s.length > 253 || !s.split('.').every((l) => LABEL.test(l)))
    return `is not a valid IP address or DNS name (got "${s}")`;
  return undefined;
}

function hostNames(ctx: LoadContext): InventoryProblem[] {
  const re = new RegExp(HOST_NAME_PATTERN);
  return ctx.hosts
    .filter((h) => !re.test(h.name))
    .map((h) => problemAt(ctx.hostsSrc, ['hosts', h.name], `host name must be ${HOST_NAME_HINT}`, true));
}

function addresses(ctx: LoadContext): InventoryProblem[] {
  const out: InventoryProblem[] = [];
  const seen = new Map<string, string>();
  for (const h of ctx.hosts) {
    const path = ['hosts', h.name, 'address'];
    if (!h.address) continue; // missing: reported by the schema step
    const bad = addressProblem(h.address);
    if (bad) out.push(problemAt(ctx.hostsSrc, path, bad));
    const key = h.address.toLowerCase();
    const other = seen.get(key);
    if (other)
      out.push(
        problemAt(ctx.hostsSrc, path, `address ${h.address} is also host ${other}'s: each host needs its own address`),
      );
    else seen.set(key, h.name);
  }
  return out;
}

function masterServices(ctx: LoadContext): InventoryProblem[] {
  const out: InventoryProblem[] = [];
  for (const s of MASTER_SERVICES) {
    const on = ctx.hosts.filter((h) => h.roles.includes(s));
    if (on.length === 0)
      out.push(
        problemAt(
          ctx.hostsSrc,
          ['hosts'],
          `no host has role ${s}: exactly one host must run it (usually the master)`,
          true,
        ),
      );
    for (const h of on.slice(1))
      out.push(
        problemAt(
          ctx.hostsSrc,
          ['hosts', h.name, 'roles', ctx.raw.hosts[h.name].roles.indexOf(s)],
          `role ${s} is already on host ${on[0].name}: exactly one host may run it`,
        ),
      );
  }
  return out;
}

function platforms(ctx: LoadContext): InventoryProblem[] {
  const out: InventoryProblem[] = [];
  for (const h of ctx.hosts) {
    if (h.os === undefined || (SUPPORTED_OS as readonly string[]).includes(h.os)) continue;
    const origin = ctx.origins.get(h.name)?.os ?? ['hosts', h.name, 'os'];
    const why =
      UNSUPPORTED_OS[h.os.toLowerCase()] ??
      `platform "${h.os}" is not supported: write one of ${SUPPORTED_OS.join(', ')}, or leave os out to detect it`;
    out.push(problemAt(ctx.hostsSrc, origin, `host ${h.name}: ${why}`));
  }
  return out;
}

/** A path as the user would type it: relative to the working directory when it is below it. */
function shown(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** One word for a POSIX shell, quoted only when it needs to be. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./~-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Why a file cannot be used, or undefined when it can be read. */
function unreadable(file: string): string | undefined {
  try {
    if (!statSync(file).isFile()) return `${file} is not a regular file`;
    const fd = openSync(file, 'r');
    try {
      readSync(fd, Buffer.alloc(1), 0, 1, 0);
    } finally {
      closeSync(fd);
    }
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? `${file} does not exist`
      : code === 'EACCES'
        ? `${file} is not readable by you`
        : `${file} cannot be read (${code})`;
  }
}

function keyFiles(ctx: LoadContext): InventoryProblem[] {
  if (!ctx.checkFiles) return [];
  const out: InventoryProblem[] = [];
  const reported = new Set<string>();
  for (const h of ctx.hosts) {
    const origin = ctx.origins.get(h.name);
    const path: FieldPath = origin?.ssh.key ?? ['hosts', h.name];
    const id = `${path.join('.')}|${h.ssh.keyPath}`;
    if (reported.has(id)) continue;
    const why = unreadable(h.ssh.keyPath) ?? sshKeyProblem(h.ssh.keyPath);
    if (!why) continue;
    reported.add(id);
    if (origin?.keyGuessed) {
      const msg = `no ssh.key given and no default key found (${why}): set defaults.ssh.key`;
      out.push(problemAt(ctx.hostsSrc, path, msg));
      continue;
    }
    const missing = !existsSync(h.ssh.keyPath);
    const make = `ssh-keygen -t ed25519 -N '' -f ${shellWord(shown(h.ssh.keyPath))}`;
    const p = problemAt(ctx.hostsSrc, path, `SSH private key: ${why}${missing ? ` (make one with \`${make}\`)` : ''}`);
    out.push(missing ? { ...p, fix: make } : p);
  }
  return out;
}

function tls(ctx: LoadContext): InventoryProblem[] {
  const t = ctx.raw.cluster.tls;
  if (!t) return [];
  const base = ['cluster', 'tls'];
  if ((t.cert === undefined) !== (t.key === undefined))
    return [
      problemAt(ctx.hostsSrc, base, 'give both cert and key, or neither (a self-signed certificate is then made)'),
    ];
  if (!ctx.checkFiles) return [];
  const out: InventoryProblem[] = [];
  for (const [k, p] of [
    ['cert', ctx.cluster.tls.certPath],
    ['key', ctx.cluster.tls.keyPath],
  ] as const) {
    const why = p && unreadable(p);
    if (why) out.push(problemAt(ctx.hostsSrc, [...base, k], `TLS ${k}: ${why}`));
  }
  if (out.length || !ctx.cluster.tls.certPath || !ctx.cluster.tls.keyPath) return out;
  const bad = tlsProblems(ctx.cluster.tls.certPath, ctx.cluster.tls.keyPath);
  for (const k of ['cert', 'key'] as const) {
    if (bad[k]) out.push(problemAt(ctx.hostsSrc, [...base, k], `TLS ${k}: ${bad[k]}`));
  }
  return out;
}

function serverName(ctx: LoadContext): InventoryProblem[] {
  const name = ctx.raw.cluster.web?.server_name;
  const bad = typeof name === 'string' ? addressProblem(name) : undefined;
  return bad ? [problemAt(ctx.hostsSrc, ['cluster', 'web', 'server_name'], bad)] : [];
}

function ports(ctx: LoadContext): InventoryProblem[] {
  const w = ctx.cluster.web;
  if (w.httpPort !== w.httpsPort) return [];
  return [
    problemAt(
      ctx.hostsSrc,
      ['cluster', 'web', 'http_port'],
      `http_port and https_port are both ${w.httpPort}: nginx needs two ports`,
    ),
  ];
}

function pollerGroups(ctx: LoadContext): InventoryProblem[] {
  if (!ctx.devicesSrc) return [];
  const servedBy = (role: 'poller' | 'discovery'): Set<number> =>
    new Set(ctx.hosts.filter((h) => h.roles.includes(role)).flatMap((h) => h.agent.distributed_poller_group));
  const polled = servedBy('poller');
  const discovered = servedBy('discovery');
  const out: InventoryProblem[] = [];
  const reported = new Set<string>();
  ctx.devices.forEach((d, i) => {
    if (!d.hostname) return;
    const g = d.poller_group;
    const path: FieldPath =
      ctx.rawDevices?.[i]?.poller_group === undefined ? ['devices', i] : ['devices', i, 'poller_group'];
    if (!polled.has(g) && !reported.has(`p${g}`)) {
      reported.add(`p${g}`).add(`d${g}`);
      const also = discovered.has(g) ? '' : ' (nor with role discovery)';
      out.push(
        problemAt(
          ctx.devicesSrc!,
          path,
          `poller group ${g} has devices but no host with role poller serves it${also}: ` +
            `add ${g} to a poller's agent.distributed_poller_group`,
        ),
      );
    }
    if (!discovered.has(g) && !reported.has(`d${g}`)) {
      reported.add(`d${g}`);
      out.push(
        problemAt(
          ctx.devicesSrc!,
          path,
          `poller group ${g} has devices but no host with role discovery serves it: a device is discovered ` +
            `before its first poll, so these would never be polled (give a host of group ${g} the discovery role)`,
        ),
      );
    }
  });
  return out;
}

function devices(ctx: LoadContext): InventoryProblem[] {
  const src = ctx.devicesSrc;
  if (!src) return [];
  const out: InventoryProblem[] = [];
  const seen = new Map<string, number>();
  ctx.devices.forEach((d, i) => {
    const s = ctx.rawDevices?.[i]?.snmp;
    if (!d.hostname || !s?.version) return; // reported by the schema step
    const bad = addressProblem(d.hostname);
    if (bad) out.push(problemAt(src, ['devices', i, 'hostname'], bad));
    const id = `${d.hostname.toLowerCase()}:${d.port}`;
    const first = seen.get(id);
    if (first !== undefined)
      out.push(problemAt(src, ['devices', i], `device ${d.hostname} port ${d.port} is already devices[${first}]`));
    else seen.set(id, i);
    const p = (k: string): FieldPath => ['devices', i, 'snmp', k];
    const need = (k: string, why: string): void => {
      if (s[k] === undefined) out.push(problemAt(src, p(k), `is required ${why}`));
    };
    const forbid = (keys: string[], why: string): void => {
      for (const k of keys) if (s[k] !== undefined) out.push(problemAt(src, p(k), `does not apply ${why}`, true));
    };
    if (s.version === 'v3') {
      need('authlevel', 'for SNMP v3');
      need('authname', 'for SNMP v3');
      forbid(['community'], 'to SNMP v3 (use authname/authpass)');
      if (s.authlevel === 'authNoPriv' || s.authlevel === 'authPriv') need('authpass', `with authlevel ${s.authlevel}`);
      if (s.authlevel === 'authPriv') need('cryptopass', 'with authlevel authPriv');
    } else {
      need('community', `for SNMP ${s.version}`);
      forbid(['authlevel', 'authname', 'authpass', 'authalgo', 'cryptopass', 'cryptoalgo'], `to SNMP ${s.version}`);
    }
  });
  return out;
}

/** A file that holds secrets must be 0600 (or stricter): a problem with the chmod that fixes it. */
function privateFile(file: string, what: string): InventoryProblem[] {
  let mode: number;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    return []; // missing: already reported by the loader
  }
  if (!(mode & 0o077)) return [];
  const fix = `chmod 600 ${shellWord(file)}`;
  const octal = mode.toString(8).padStart(4, '0');
  return [{ file, message: `${what} is readable or writable by group or others (mode ${octal}): run \`${fix}\``, fix }];
}

const SNMP_SECRETS = ['community', 'authpass', 'cryptopass'];

/** devices.yaml keeps the SNMP credentials beside their device, so it is private like secrets.yaml. */
function devicesFileMode(ctx: LoadContext): InventoryProblem[] {
  const src = ctx.devicesSrc;
  if (!ctx.checkFiles || !src) return [];
  const holdsSecrets = ctx.rawDevices?.some((d) => d?.snmp && SNMP_SECRETS.some((k) => d.snmp[k] !== undefined));
  return holdsSecrets ? privateFile(src.file, 'devices file (it holds SNMP communities and passphrases)') : [];
}

function secrets(ctx: LoadContext): InventoryProblem[] {
  const src = ctx.secretsSrc;
  const out: InventoryProblem[] = ctx.checkFiles ? privateFile(ctx.secretsFile, 'secrets file') : [];
  const s = ctx.secrets;
  if (!src || !s) return out;
  if (typeof s.app_key === 'string' && !isValidAppKey(s.app_key))
    out.push(
      problemAt(
        src,
        ['app_key'],
        'must be "base64:" followed by 32 random bytes in base64 (Laravel form; `nms init inventory` makes one)',
      ),
    );
  if (s.db_passwords === null || typeof s.db_passwords !== 'object') return out; // reported by the schema step
  for (const h of ctx.hosts)
    if (s.db_passwords[h.name] === undefined)
      out.push(
        problemAt(src, ['db_passwords'], `no MariaDB password for host ${h.name}: add db_passwords.${h.name}`, true),
      );
  for (const name of Object.keys(s.db_passwords))
    if (!ctx.hosts.some((h) => h.name === name))
      out.push(
        problemAt(
          src,
          ['db_passwords', name],
          `password for ${name}, which is not a host in ${ctx.hostsSrc.file}: remove it`,
          true,
        ),
      );
  return out;
}

const RULES = [
  hostNames,
  addresses,
  masterServices,
  platforms,
  keyFiles,
  tls,
  serverName,
  ports,
  pollerGroups,
  devices,
  devicesFileMode,
  secrets,
  sentinelProblems,
  configBackup,
];

export function checkRules(ctx: LoadContext): InventoryProblem[] {
  return RULES.flatMap((rule) => rule(ctx));
}
