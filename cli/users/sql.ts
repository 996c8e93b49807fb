// Web users in the cluster's `users` table, from the workstation: the SQL for `nms user` (the
// first administrator, which `nms deploy` creates, is in cli/deploy/web-admin.ts). Passwords
// are hashed here (scrypt) and travel only as hashes, inside SQL sent to `mysql` on stdin
// (database-run.ts), never on a command line.
import { UsageError } from '../../lib/errors.js';
import { hashPassword, MAX_PASSWORD_LENGTH } from '../../lib/password.js';
import { sqlIdent, sqlString } from '../deploy/database.js';

/** LibreNMS's levels: 10 administrator, 5 global read, 1 normal user. */
export const LEVELS: Record<string, number> = { admin: 10, read: 5, user: 1 };

export function checkUsername(name: string): string {
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) {
    throw new UsageError(`user name ${JSON.stringify(name)} must be 1-64 letters, digits, . _ @ -`);
  }
  return name;
}

export function checkPassword(pw: string): string {
  if (pw.length < 12) throw new UsageError('a web password needs at least 12 characters');
  if (pw.length > MAX_PASSWORD_LENGTH) {
    throw new UsageError(`a web password has at most ${MAX_PASSWORD_LENGTH} characters`);
  }
  return pw;
}

export async function addUserSql(db: string, username: string, password: string, level: number): Promise<string> {
  const hash = await hashPassword(password);
  return (
    `INSERT INTO ${sqlIdent(db)}.users (auth_type, username, password, level)\n` +
    `VALUES ('mysql', ${sqlString(username)}, ${sqlString(hash)}, ${level});`
  );
}

/** Sets the password and ends the user's sessions; prints the number of users changed. */
export async function passwdSql(db: string, username: string, password: string): Promise<string> {
  const hash = await hashPassword(password);
  const t = sqlIdent(db);
  const user = sqlString(username);
  return (
    `UPDATE ${t}.users SET password = ${sqlString(hash)} WHERE username = ${user};\nSELECT ROW_COUNT();\n` +
    `DELETE s FROM ${t}.sessions s JOIN ${t}.users u ON u.user_id = s.user_id WHERE u.username = ${user};`
  );
}

/** Removes the user and its sessions; prints the number of users removed. */
export function removeUserSql(db: string, username: string): string {
  const t = sqlIdent(db);
  const user = sqlString(username);
  return (
    `DELETE s FROM ${t}.sessions s JOIN ${t}.users u ON u.user_id = s.user_id WHERE u.username = ${user};\n` +
    `DELETE FROM ${t}.users WHERE username = ${user};\nSELECT ROW_COUNT();`
  );
}

export function listUsersSql(db: string): string {
  return `SELECT username, level, enabled FROM ${sqlIdent(db)}.users ORDER BY username;`;
}

// the first administrator is the deploy's (it creates it): kept importable from here too
export { firstAdminSql } from '../deploy/web-admin.js';
