// Running SQL on the MariaDB host: as root over the unix socket, or with the admin password
// from secrets.yaml written to a 0600 defaults file by the shell's own printf (a builtin, so
// the password is in no process's argv). SQL always arrives on stdin.
import { DeployError } from '../../lib/errors.js';
import type { SshHost } from '../ssh/connection.js';
import { DEVICE_FACT_COLUMNS, parseFacts, type DbFacts } from './facts.js';
import { sqlIdent } from './database.js';

/** Shell lines that set $MYSQL, reading the admin password (if any) from the first stdin line. */
export function mysqlPrelude(withPassword: boolean): string {
  if (!withPassword) return 'MYSQL="mysql --connect-timeout=5"';
  return [
    'umask 077',
    'NMS_MYCNF=$(mktemp)',
    'trap \'rm -f "$NMS_MYCNF"\' EXIT',
    'IFS= read -r NMS_PW',
    `printf '[client]\\npassword="%s"\\n' "$NMS_PW" > "$NMS_MYCNF"`,
    'unset NMS_PW',
    'MYSQL="mysql --defaults-extra-file=$NMS_MYCNF --connect-timeout=5"',
  ].join('\n');
}

/**
 * The command and stdin that run SQL through `mysql` on the host. The script is short and
 * secret-free: it goes through `sh -c`; stdin carries the password and the SQL. `before` runs
 * first (a failure stops the script).
 */
export function sqlCommand(
  sql: string,
  adminPassword: string | undefined,
  batchArgs = '',
  before?: string,
): { command: string; stdin: string } {
  const first = before ? `{ ${before}; } || exit 1\n` : '';
  return {
    command: `${first}${mysqlPrelude(!!adminPassword)}\n$MYSQL ${batchArgs}`,
    stdin: (adminPassword ? adminPassword + '\n' : '') + sql + '\n',
  };
}

/** Runs SQL through `mysql` on the host; throws DbError with mysql's own message. */
export async function runSql(
  h: SshHost,
  sql: string,
  adminPassword: string | undefined,
  what: string,
  batchArgs = '',
): Promise<string> {
  const { command, stdin } = sqlCommand(sql, adminPassword, batchArgs);
  const r = await h.run(command, { stdin });
  if (r.code !== 0)
    throw new DeployError(`${what}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout;
}

/** Reads the devices table again (after migrations created it). */
export async function queryDevices(
  h: SshHost,
  database: string,
  adminPassword: string | undefined,
): Promise<DbFacts['devices']> {
  const cols = DEVICE_FACT_COLUMNS.map((c) => `IFNULL(${c}, '~null~')`).join(', ');
  const out = await runSql(
    h,
    `SELECT 'device', ${cols} FROM ${sqlIdent(database)}.devices ORDER BY device_id;`,
    adminPassword,
    'read devices',
    '-N -B',
  );
  const facts = parseFacts(
    'dbok\n' +
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => `db\t${l}`)
        .join('\n'),
  );
  return facts.db?.devices ?? [];
}
