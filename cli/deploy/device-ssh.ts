// The devices' SSH logins for config backup (secrets.yaml `device_ssh`) into `config_backups`,
// the password encrypted with APP_KEY before it leaves the workstation, like the SNMP secrets.
// Facts carry the stored rows (password still encrypted); a row is written only when its
// decrypted values differ from the inventory's, so an unchanged inventory changes nothing.
import { decrypt, encrypt } from '../../lib/crypto.js';
import type { Inventory } from '../inventory/types.js';

/** A stored login as facts report it, by `hostname:port` of the device. */
export interface StoredSshLogin {
  username: string;
  port: number;
  /** Encrypted with APP_KEY. */
  password: string;
}

/** A facts query line per stored login: 'sshlogin', hostname, port, username, ssh port, password. */
export function sshLoginFactsSql(database: string): string {
  const db = `\`${database.replace(/`/g, '')}\``;
  return (
    "SELECT 'sshlogin', d.hostname, d.port, c.ssh_username, c.ssh_port, c.ssh_password " +
    `FROM ${db}.config_backups c JOIN ${db}.devices d ON d.device_id = c.device_id;`
  );
}

/** Reads one facts line (after its kind) into `into`. */
export function parseSshLoginFact(into: Record<string, StoredSshLogin>, v: string[]): void {
  into[`${v[0]}:${v[1]}`] = { username: v[2] ?? '', port: Number(v[3]), password: v[4] ?? '' };
}

function same(
  have: StoredSshLogin | undefined,
  want: { username: string; port: number; password: string },
  key: string,
) {
  if (!have || have.username !== want.username || have.port !== want.port) return false;
  try {
    return decrypt(key, have.password) === want.password;
  } catch {
    return false; // encrypted with another key: rewrite with ours
  }
}

/**
 * SQL that makes `config_backups` hold the inventory's logins (run after the devices exist), and
 * the devices it changes. `have` undefined (no facts yet): every login is written.
 */
export function sshLoginChanges(
  inv: Inventory,
  have: Record<string, StoredSshLogin> | undefined,
  sqlString: (s: string) => string,
): { changed: string[]; sql: string } {
  const logins = new Map(Object.entries(inv.secrets.device_ssh ?? {}).map(([h, l]) => [h.toLowerCase(), l]));
  const changed: string[] = [];
  const stmts: string[] = [];
  for (const d of inv.devices) {
    const key = `${d.hostname}:${d.port}`;
    const l = logins.get(d.hostname.toLowerCase());
    const dev = `SELECT device_id FROM devices WHERE hostname = ${sqlString(d.hostname)} AND port = ${Number(d.port)}`;
    if (!l) {
      // a login removed from secrets.yaml: the device is no longer backed up
      if (!have?.[key]) continue;
      changed.push(key);
      stmts.push(`DELETE FROM config_backups WHERE device_id = (${dev});`);
      continue;
    }
    const want = { username: l.username, port: l.port ?? 22, password: l.password };
    if (same(have?.[key], want, inv.secrets.app_key)) continue;
    changed.push(key);
    const pw = sqlString(encrypt(inv.secrets.app_key, want.password));
    stmts.push(
      `INSERT INTO config_backups (device_id, ssh_username, ssh_password, ssh_port) ` +
        `SELECT device_id, ${sqlString(want.username)}, ${pw}, ${want.port} FROM (${dev}) AS d ` +
        'ON DUPLICATE KEY UPDATE ssh_username = VALUES(ssh_username), ssh_password = VALUES(ssh_password), ' +
        'ssh_port = VALUES(ssh_port);',
    );
  }
  return { changed, sql: stmts.join('\n') };
}
