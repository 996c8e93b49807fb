// Database objects on the MariaDB host: the cluster's database, one account per node limited
// to that node's address with the least privileges it needs, and the inventory's devices. The
// SQL is generated here from facts and travels to `mysql` on stdin, so no password is ever
// on a command line. Credentials are encrypted with APP_KEY before they leave the workstation.
import { createHash } from 'node:crypto';
import { decrypt, encrypt } from '../../lib/crypto.js';
import type { DeviceSpec, Inventory } from '../inventory/types.js';
import { PRIV_COLUMNS, type DbFacts } from './facts.js';
import { dbUser } from './values.js';
import { serviceSql } from './services.js';
import { sshLoginChanges, type StoredSshLogin } from './device-ssh.js';

/** DML for every node; the MariaDB host's own account also runs the migrations (DDL). */
const DML = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];
const DDL = ['CREATE', 'DROP', 'ALTER', 'INDEX', 'REFERENCES'];
const PRIV_OF_COLUMN: Record<(typeof PRIV_COLUMNS)[number], string> = {
  Select_priv: 'SELECT',
  Insert_priv: 'INSERT',
  Update_priv: 'UPDATE',
  Delete_priv: 'DELETE',
  Create_priv: 'CREATE',
  Drop_priv: 'DROP',
  Alter_priv: 'ALTER',
  Index_priv: 'INDEX',
  References_priv: 'REFERENCES',
  Create_tmp_table_priv: 'CREATE TEMPORARY TABLES',
  Lock_tables_priv: 'LOCK TABLES',
};

export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\0/g, '\\0')}'`;
}
export function sqlIdent(s: string): string {
  return '`' + s.replace(/`/g, '``') + '`';
}

/** mysql_native_password's stored form: `*` + hex(SHA1(SHA1(password))), upper case. */
export function nativePasswordHash(password: string): string {
  const inner = createHash('sha1').update(password, 'utf8').digest();
  return '*' + createHash('sha1').update(inner).digest('hex').toUpperCase();
}

export interface Account {
  user: string;
  host: string;
  password: string;
  privileges: string[];
}

export function wantedAccounts(inv: Inventory): Account[] {
  const dbHost = inv.services.mariadb.name;
  return inv.hosts.map((h) => ({
    user: dbUser(h.name),
    host: h.address,
    password: inv.secrets.db_passwords[h.name] ?? '',
    privileges: h.name === dbHost ? [...DML, ...DDL] : DML,
  }));
}

/** The `Y,N,...` string facts report for a set of privileges. */
export function privilegeString(privs: string[]): string {
  return PRIV_COLUMNS.map((c) => (privs.includes(PRIV_OF_COLUMN[c]) ? 'Y' : 'N')).join(',');
}

export interface DbChange {
  what: string;
  sql: string;
}

/** Statements that bring the database and the accounts to the wanted state; [] when they are. */
export function accountChanges(inv: Inventory, db: DbFacts | undefined, prune: boolean): DbChange[] {
  const name = inv.cluster.mariadb.database;
  const out: DbChange[] = [];
  if (!db?.databases.includes(name))
    out.push({
      what: `database ${name}`,
      sql: `CREATE DATABASE IF NOT EXISTS ${sqlIdent(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;`,
    });
  const wanted = wantedAccounts(inv);
  for (const a of wanted) {
    const key = `${a.user}@${a.host}`;
    const acct = `${sqlString(a.user)}@${sqlString(a.host)}`;
    const sameAuth = db?.accounts[key] === nativePasswordHash(a.password);
    const samePriv = db?.privileges[key] === privilegeString(a.privileges);
    if (sameAuth && samePriv) continue;
    const sql = [
      `CREATE USER IF NOT EXISTS ${acct} IDENTIFIED BY ${sqlString(a.password)};`,
      `ALTER USER ${acct} IDENTIFIED BY ${sqlString(a.password)};`,
      `REVOKE ALL PRIVILEGES, GRANT OPTION FROM ${acct};`,
      `GRANT ${a.privileges.join(', ')} ON ${sqlIdent(name)}.* TO ${acct};`,
    ].join('\n');
    out.push({
      what: `account ${key}${db?.accounts[key] === undefined ? ' (new)' : sameAuth ? ' (privileges)' : ' (password)'}`,
      sql,
    });
  }
  // an account of an inventory host at an old address is ours and stale: drop it; accounts of
  // hosts no longer in the inventory only with --prune
  const wantedKeys = new Set(wanted.map((a) => `${a.user}@${a.host}`));
  const ourUsers = new Set(wanted.map((a) => a.user));
  for (const key of Object.keys(db?.accounts ?? {})) {
    if (wantedKeys.has(key)) continue;
    const at = key.lastIndexOf('@');
    const [user, host] = [key.slice(0, at), key.slice(at + 1)];
    if (ourUsers.has(user) || prune)
      out.push({ what: `drop account ${key}`, sql: `DROP USER IF EXISTS ${sqlString(user)}@${sqlString(host)};` });
  }
  return out;
}

/** The credential columns of a device (plain text), in the devices table's terms. */
function deviceColumns(d: DeviceSpec): Record<string, string | null> {
  const s = d.snmp;
  const base = {
    hostname: d.hostname,
    port: String(d.port),
    transport: d.transport,
    snmpver: s.version,
    poller_group: String(d.poller_group),
  };
  if (s.version !== 'v3')
    return {
      ...base,
      community: s.community,
      authlevel: null,
      authname: null,
      authpass: null,
      authalgo: null,
      cryptopass: null,
      cryptoalgo: null,
    };
  return {
    ...base,
    community: null,
    authlevel: s.authlevel,
    authname: s.authname,
    authpass: s.authpass ?? null,
    authalgo: s.authalgo ?? null,
    cryptopass: s.cryptopass ?? null,
    cryptoalgo: s.cryptoalgo ?? null,
  };
}

const SECRET_COLUMNS = new Set(['community', 'authpass', 'cryptopass']);

function sameDevice(row: Record<string, string | null>, want: Record<string, string | null>, appKey: string): boolean {
  for (const [k, v] of Object.entries(want)) {
    let have = row[k] ?? null;
    if (SECRET_COLUMNS.has(k) && have !== null) {
      try {
        have = decrypt(appKey, have);
      } catch {
        return false; // encrypted with another key: rewrite with ours
      }
    }
    if ((have ?? null) !== (v ?? null)) return false;
  }
  return true;
}

export interface DeviceChanges {
  added: string[];
  updated: string[];
  removed: string[];
  /** Devices in the database and not in the inventory, kept because --prune is off. */
  extra: string[];
  /** Devices whose service checks are written anew (cli/deploy/services.ts). */
  services: string[];
  /** Devices whose SSH login for config backup is written or removed (cli/deploy/device-ssh.ts). */
  sshLogins: string[];
  sql: string;
}

export function deviceChanges(
  inv: Inventory,
  rows: Array<Record<string, string | null>>,
  prune: boolean,
  serviceDigests: Record<string, string> = {},
  sshLogins?: Record<string, StoredSshLogin>,
): DeviceChanges {
  const appKey = inv.secrets.app_key;
  const byKey = new Map(rows.map((r) => [`${r.hostname}:${r.port}`, r]));
  const out: DeviceChanges = { added: [], updated: [], removed: [], extra: [], services: [], sshLogins: [], sql: '' };
  const serviceStmts: string[] = [];
  const stmts: string[] = [];
  const wantedKeys = new Set<string>();
  for (const d of inv.devices) {
    const key = `${d.hostname}:${d.port}`;
    wantedKeys.add(key);
    const want = deviceColumns(d);
    const row = byKey.get(key);
    const svc = serviceSql(d, serviceDigests[key], sqlString);
    if (svc) {
      out.services.push(key);
      serviceStmts.push(svc);
    }
    if (row && sameDevice(row, want, appKey)) continue;
    (row ? out.updated : out.added).push(key);
    const cols = Object.keys(want);
    const vals = cols.map((c) => {
      const v = want[c];
      if (v === null) return 'NULL';
      if (c === 'port' || c === 'poller_group') return String(Number(v));
      return sqlString(SECRET_COLUMNS.has(c) ? encrypt(appKey, v) : v);
    });
    stmts.push(
      `INSERT INTO devices (${cols.join(', ')}) VALUES (${vals.join(', ')}) ON DUPLICATE KEY UPDATE ${cols
        .filter((c) => c !== 'hostname' && c !== 'port')
        .map((c) => `${c} = VALUES(${c})`)
        .join(', ')};`,
    );
  }
  for (const key of byKey.keys()) {
    if (wantedKeys.has(key)) continue;
    if (!prune) {
      out.extra.push(key);
      continue;
    }
    out.removed.push(key);
    const r = byKey.get(key)!;
    stmts.push(`DELETE FROM devices WHERE hostname = ${sqlString(r.hostname ?? '')} AND port = ${Number(r.port)};`);
  }
  // after the devices, whose ids the service rows take
  const ssh = sshLoginChanges(inv, sshLogins, sqlString);
  out.sshLogins = ssh.changed;
  out.sql = [...stmts, ...serviceStmts, ...(ssh.sql ? [ssh.sql] : [])].join('\n');
  return out;
}
