// Facts: one batched shell script per host, sent on stdin to `sh -s`, printing one fact per
// line (`kind<TAB>fields...`); parseFacts() turns that text into a typed value. The script
// reads only: it never changes the host. Everything the operations compare against is here,
// so a run with nothing to do costs one round trip per host.
import { shq } from '../ssh/connection.js';
import { PENDING_RESTARTS } from './values.js';
import { serviceDigestSql } from './services.js';
import { parseSshLoginFact, sshLoginFactsSql, type StoredSshLogin } from './device-ssh.js';

export interface FileFact {
  sha256?: string;
  mode?: number;
  owner?: string;
  group?: string;
}

export interface ServiceFact {
  /** Init script / unit exists. */
  present: boolean;
  running: boolean;
  enabled: boolean;
}

export interface DbFacts {
  /** mysql answered as root over the unix socket. */
  reachable: boolean;
  databases: string[];
  /** `user@host` → authentication_string. */
  accounts: Record<string, string>;
  /** `user@host` → privilege letters from mysql.db for the cluster's database (`Y`/`N` list). */
  privileges: Record<string, string>;
  tables: string[];
  /** Rows of `devices` (credentials still encrypted). */
  devices: Array<Record<string, string | null>>;
  /** Digest of each device's inventory service checks, by `hostname:port` (cli/deploy/services.ts). */
  serviceDigests?: Record<string, string>;
  /** Devices' SSH logins for config backup, by `hostname:port` (cli/deploy/device-ssh.ts). */
  sshLogins?: Record<string, StoredSshLogin>;
}

export interface Facts {
  os: { id: string; version: string; idLike: string };
  systemd: boolean;
  /** Node on PATH: absolute path and major version. */
  node?: { path: string; major: number };
  packages: Record<string, boolean>;
  users: Record<string, { group: string }>;
  groups: string[];
  files: Record<string, FileFact>;
  services: Record<string, ServiceFact>;
  nodeId?: string;
  pendingRestarts: string[];
  db?: DbFacts;
}

export interface FactsRequest {
  packages: string[];
  users: string[];
  /** Paths whose sha256, mode and owner are wanted (files and directories). */
  paths: string[];
  /** Init/systemd service names, with the process name that shows it runs (no systemd). */
  services: Array<{ name: string; process?: string }>;
  /** Ask for the nftables table `inet nms`. */
  firewall: boolean;
  envPath: string;
  /** Query MariaDB for the cluster database and nms accounts. */
  database?: string;
  /** MariaDB admin password (else root over the unix socket); travels inside the script on stdin. */
  dbAdminPassword?: string;
  packageFactsCommand: (pkgs: string[]) => string;
}

export const PRIV_COLUMNS = [
  'Select_priv',
  'Insert_priv',
  'Update_priv',
  'Delete_priv',
  'Create_priv',
  'Drop_priv',
  'Alter_priv',
  'Index_priv',
  'References_priv',
  'Create_tmp_table_priv',
  'Lock_tables_priv',
] as const;
export const DEVICE_FACT_COLUMNS = [
  'hostname',
  'port',
  'transport',
  'snmpver',
  'poller_group',
  'community',
  'authlevel',
  'authname',
  'authpass',
  'authalgo',
  'cryptopass',
  'cryptoalgo',
] as const;

const T = '\t';
/** How facts print SQL NULL (mysql -B prints both NULL and the string 'NULL' alike). */
const NULL_MARK = '~null~';

export function factsScript(req: FactsRequest): string {
  // Independent sections run as background jobs, each into its own file, so the round trip
  // costs about the slowest one (usually `node -v` or mysql) rather than their sum.
  const sections: string[] = [
    [
      '. /etc/os-release 2>/dev/null',
      `printf 'os${T}%s${T}%s${T}%s\\n' "$ID" "$VERSION_ID" "$ID_LIKE"`,
      `if [ -d /run/systemd/system ]; then echo "init${T}systemd"; else echo "init${T}sysv"; fi`,
      `[ -f ${shq(req.envPath)} ] && sed -n 's/^NODE_ID=\\(.*\\)$/nodeid${T}\\1/p' ${shq(req.envPath)} | head -n 1`,
      `[ -f ${PENDING_RESTARTS} ] && sed 's/^/pending${T}/' ${PENDING_RESTARTS}`,
      ...req.users.map(
        (u) => `id -gn ${shq(u)} >/dev/null 2>&1 && printf 'user${T}%s${T}%s\\n' ${shq(u)} "$(id -gn ${shq(u)})"`,
      ),
      ...req.users.map((g) => `getent group ${shq(g)} >/dev/null && printf 'group${T}%s\\n' ${shq(g)}`),
    ].join('\n'),
    'n=$(command -v node 2>/dev/null); ' +
      `[ -n "$n" ] && printf 'node${T}%s${T}%s\\n' "$(readlink -f "$n")" "$("$n" -v 2>/dev/null)"`,
    req.packageFactsCommand(req.packages),
  ];
  if (req.paths.length) {
    const ps = req.paths.map(shq).join(' ');
    // one stat and one sha256sum for every path; missing paths and directories only warn
    sections.push(
      `stat -c 'stat${T}%n${T}%a${T}%U${T}%G' ${ps} 2>/dev/null\n` +
        `sha256sum ${ps} 2>/dev/null | sed 's/^\\([0-9a-f]*\\)  /sha${T}\\1${T}/'`,
    );
  }
  for (const svc of req.services) {
    const q = shq(svc.name);
    // without systemd: a process check is what the init scripts do, minus sourcing their libraries
    const running = svc.process ? `pidof ${shq(svc.process)}` : `/etc/init.d/${svc.name} status`;
    sections.push(
      `if [ -d /run/systemd/system ]; then` +
        ` p=0; systemctl cat ${q} >/dev/null 2>&1 && p=1; r=0; systemctl is-active -q ${q} && r=1;` +
        ` e=0; systemctl is-enabled -q ${q} 2>/dev/null && e=1;` +
        ` else p=0; r=0; e=0; if [ -x /etc/init.d/${svc.name} ]; then p=1;` +
        ` ${running} </dev/null >/dev/null 2>&1 && r=1; ls /etc/rc2.d/S*${svc.name} >/dev/null 2>&1 && e=1; fi; fi;` +
        ` printf 'svc${T}%s${T}%s${T}%s${T}%s\\n' ${q} $p $r $e`,
    );
  }
  if (req.firewall) {
    sections.push(
      'r=0; nft list table inet nms >/dev/null 2>&1 && r=1; e=1; ' +
        'if [ -d /run/systemd/system ]; then systemctl is-enabled -q nftables 2>/dev/null || e=0; fi; ' +
        `printf 'svc${T}nftables${T}1${T}%s${T}%s\\n' $r $e`,
    );
  }
  if (req.database) {
    const db = req.database.replace(/'/g, "''");
    const cols = DEVICE_FACT_COLUMNS.map((c) => `IFNULL(${c}, '${NULL_MARK}')`).join(', ');
    // --force: the devices query fails before the schema exists; the lines before it still count
    const sql = [
      `SELECT 'dbok';`,
      `SELECT 'dbname', SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${db}';`,
      `SELECT 'acct', CONCAT(User, '@', Host), authentication_string FROM mysql.user WHERE User LIKE 'nms\\\\_%';`,
      `SELECT 'priv', CONCAT(User, '@', Host), CONCAT_WS(',', ${PRIV_COLUMNS.join(', ')}) ` +
        `FROM mysql.db WHERE Db = '${db}';`,
      `SELECT 'table', TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${db}' ` +
        "AND TABLE_NAME IN ('devices', 'config', 'migrations');",
      `SELECT 'device', ${cols} FROM \`${req.database.replace(/`/g, '')}\`.devices ORDER BY device_id;`,
      serviceDigestSql(req.database),
      sshLoginFactsSql(req.database),
    ].join(' ');
    let mysql = 'mysql';
    let prelude = '';
    if (req.dbAdminPassword) {
      // printf is a shell builtin: the password reaches the 0600 file without any argv
      const pw = req.dbAdminPassword.replace(/'/g, `'\\''`).replace(/%/g, '%%');
      prelude = `umask 077; c=$(mktemp); trap 'rm -f "$c"' EXIT; printf '[client]\\npassword="${pw}"\\n' > "$c"\n`;
      mysql = 'mysql --defaults-extra-file="$c"';
    }
    sections.push(
      `${prelude}${mysql} --connect-timeout=3 --force -N -B -e ${shq(sql)} 2>/dev/null | sed 's/^/db${T}/'`,
    );
  }
  const lines = ['F=$(mktemp -d)'];
  sections.forEach((sec, i) => lines.push(`(\n${sec}\n) > "$F/${i}" 2>/dev/null &`));
  lines.push('wait', 'cat "$F"/*', 'rm -rf "$F"', 'exit 0');
  return lines.join('\n') + '\n';
}

export function emptyFacts(): Facts {
  return {
    os: { id: '', version: '', idLike: '' },
    systemd: false,
    packages: {},
    users: {},
    groups: [],
    files: {},
    services: {},
    pendingRestarts: [],
  };
}

export function parseFacts(text: string): Facts {
  const f = emptyFacts();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [kind, ...a] = line.split(T);
    switch (kind) {
      case 'os':
        f.os = { id: a[0] ?? '', version: a[1] ?? '', idLike: a[2] ?? '' };
        break;
      case 'init':
        f.systemd = a[0] === 'systemd';
        break;
      case 'node': {
        const m = /^v(\d+)\./.exec(a[1] ?? '');
        if (a[0] && m) f.node = { path: a[0], major: Number(m[1]) };
        break;
      }
      case 'pkg':
        f.packages[a[0]] = a[1] === '1';
        break;
      case 'user':
        f.users[a[0]] = { group: a[1] };
        break;
      case 'group':
        f.groups.push(a[0]);
        break;
      case 'stat':
        f.files[a[0]] = { ...f.files[a[0]], mode: parseInt(a[1], 8), owner: a[2], group: a[3] };
        break;
      case 'sha':
        f.files[a[1]] = { ...f.files[a[1]], sha256: a[0] };
        break;
      case 'svc':
        f.services[a[0]] = { present: a[1] === '1', running: a[2] === '1', enabled: a[3] === '1' };
        break;
      case 'nodeid':
        if (a[0]) f.nodeId = a[0].replace(/^["']|["']$/g, '');
        break;
      case 'pending':
        if (a[0] && !f.pendingRestarts.includes(a[0])) f.pendingRestarts.push(a[0]);
        break;
      case 'db':
        f.db ??= { reachable: true, databases: [], accounts: {}, privileges: {}, tables: [], devices: [] };
        parseDbLine(f.db, a);
        break;
    }
  }
  return f;
}

function parseDbLine(db: DbFacts, a: string[]): void {
  const [kind, ...v] = a;
  if (kind === 'dbname') db.databases.push(v[0]);
  else if (kind === 'acct') db.accounts[v[0]] = v[1] ?? '';
  else if (kind === 'priv') db.privileges[v[0]] = v[1] ?? '';
  else if (kind === 'table') db.tables.push(v[0]);
  else if (kind === 'svcsum') (db.serviceDigests ??= {})[`${v[0]}:${v[1]}`] = v[2] ?? '';
  else if (kind === 'sshlogin') parseSshLoginFact((db.sshLogins ??= {}), v);
  else if (kind === 'device') {
    const row: Record<string, string | null> = {};
    DEVICE_FACT_COLUMNS.forEach((c, i) => (row[c] = v[i] === NULL_MARK || v[i] === undefined ? null : v[i]));
    db.devices.push(row);
  }
}
