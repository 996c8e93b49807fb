// The web UI's first administrator (`web.admin_user`), which the deploy creates on the MariaDB
// host once: its password is generated into secrets.yaml when absent and travels only as a
// scrypt hash inside SQL on stdin. A user of that name that exists already is left as it is.
import { generateSecret } from '../../lib/crypto.js';
import { hashPassword } from '../../lib/password.js';
import { readSecrets, writeSecrets } from '../inventory/write.js';
import type { Inventory } from '../inventory/types.js';
import { sqlIdent, sqlString } from './database.js';

/** The first administrator, created only when no user of that name exists (a changed password stays). */
export async function firstAdminSql(inv: Inventory): Promise<string> {
  const db = inv.cluster.mariadb.database;
  const name = inv.cluster.web.adminUser;
  const hash = await hashPassword(inv.secrets.web_admin_password ?? '');
  return `INSERT INTO ${sqlIdent(db)}.users (auth_type, username, password, level)
SELECT 'mysql', ${sqlString(name)}, ${sqlString(hash)}, 10 FROM DUAL
WHERE NOT EXISTS (SELECT 1 FROM ${sqlIdent(db)}.users WHERE username = ${sqlString(name)});\nSELECT ROW_COUNT();`;
}

/** Gives the inventory a web admin password in secrets.yaml when it has none yet (older inventories). */
export function ensureAdminSecret(inv: Inventory): void {
  if (inv.secrets.web_admin_password) return;
  const secrets = readSecrets(inv.dir);
  secrets.web_admin_password = generateSecret(18);
  writeSecrets(inv.dir, secrets);
  inv.secrets.web_admin_password = secrets.web_admin_password;
}
