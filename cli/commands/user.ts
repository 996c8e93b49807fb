// `nms user add|passwd|remove|list`: the web UI's users, in the cluster's database on the MariaDB
// host (over SSH, SQL on stdin). A password comes from NMS_USER_PASSWORD or --password-stdin, or
// is generated and printed once; it never appears in argv or in the inventory.
import type { Command } from 'commander';
import { UsageError } from '../../lib/errors.js';
import { generateSecret } from '../../lib/crypto.js';
import { loadInventory } from '../inventory/load.js';
import { runSql } from '../deploy/database-run.js';
import { sshFor } from '../status/collect.js';
import {
  addUserSql,
  checkPassword,
  checkUsername,
  LEVELS,
  listUsersSql,
  passwdSql,
  removeUserSql,
} from '../users/sql.js';
import { output } from '../../lib/run.js';

interface Common {
  inventory: string;
  strictHostKeys?: boolean;
}

/** Runs SQL on the inventory's MariaDB host; `-N -B` output. */
async function onDb(o: Common, sql: string, what: string): Promise<string> {
  const inv = await loadInventory(o.inventory);
  const ssh = sshFor(inv, inv.services.mariadb, { strictHostKeys: o.strictHostKeys });
  try {
    await ssh.start();
    return await runSql(ssh, sql, inv.secrets.db_admin_password, what, '-N -B');
  } catch (err) {
    const msg = (err as Error).message;
    if (/Duplicate entry/.test(msg))
      throw new UsageError('that user exists already', { hint: 'change its password with `nms user passwd`' });
    if (/users' doesn't exist/.test(msg)) {
      throw new UsageError('the cluster has no users table yet', {
        hint: `run \`nms deploy -i ${o.inventory}\` first`,
      });
    }
    throw err;
  } finally {
    ssh.close();
  }
}

const noUser = (name: string) => new UsageError(`no web user ${name}`, { hint: 'see them with `nms user list`' });

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split('\n')[0];
}

/** The password to set and whether it was generated (then it is printed once). */
async function password(o: { passwordStdin?: boolean }): Promise<{ pw: string; generated: boolean }> {
  if (o.passwordStdin) return { pw: checkPassword(await readStdin()), generated: false };
  if (process.env.NMS_USER_PASSWORD) return { pw: checkPassword(process.env.NMS_USER_PASSWORD), generated: false };
  return { pw: generateSecret(18), generated: true };
}

export async function userAdd(
  o: Common & { username: string; level: string; passwordStdin?: boolean },
): Promise<{ username: string; level: number; password?: string }> {
  const level = LEVELS[o.level];
  if (level === undefined) throw new UsageError(`--level must be ${Object.keys(LEVELS).join(', ')}`);
  const name = checkUsername(o.username);
  const { pw, generated } = await password(o);
  const inv = await loadInventory(o.inventory);
  await onDb(o, await addUserSql(inv.cluster.mariadb.database, name, pw, level), `add web user ${name}`);
  return { username: name, level, ...(generated ? { password: pw } : {}) };
}

export async function userPasswd(
  o: Common & { username: string; passwordStdin?: boolean },
): Promise<{ username: string; password?: string }> {
  const name = checkUsername(o.username);
  const { pw, generated } = await password(o);
  const inv = await loadInventory(o.inventory);
  const out = await onDb(o, await passwdSql(inv.cluster.mariadb.database, name, pw), `set the password of ${name}`);
  if (out.trim().split('\n')[0] === '0') throw noUser(name);
  return { username: name, ...(generated ? { password: pw } : {}) };
}

export async function userRemove(o: Common & { username: string }): Promise<{ username: string }> {
  const name = checkUsername(o.username);
  const inv = await loadInventory(o.inventory);
  const out = await onDb(o, removeUserSql(inv.cluster.mariadb.database, name), `remove web user ${name}`);
  if (out.trim().split('\n').pop() === '0') throw noUser(name);
  return { username: name };
}

export async function userList(o: Common): Promise<Array<{ username: string; level: number; enabled: boolean }>> {
  const inv = await loadInventory(o.inventory);
  const out = await onDb(o, listUsersSql(inv.cluster.mariadb.database), 'list web users');
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [username, level, enabled] = l.split('\t');
      return { username, level: Number(level), enabled: enabled === '1' };
    });
}

const shown = (r: { username: string; password?: string }, did: string) =>
  `${did} ${r.username}${r.password ? `\npassword (shown once): ${r.password}` : ''}\n`;

const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}`;

function listText(l: Array<{ username: string; level: number; enabled: boolean }>): string {
  if (!l.length) return 'no web users\n';
  return l.map((u) => `${u.username.padEnd(20)} level ${u.level}${u.enabled ? '' : ' (disabled)'}`).join('\n') + '\n';
}

type Flags = Common & { json?: boolean; level: string; passwordStdin?: boolean };

export function register(program: Command): void {
  const user = program.command('user').description("Manage the web UI's users (in the cluster database)");
  const sub = (spec: string, description: string, help: string) =>
    user
      .command(spec)
      .description(description)
      .option('-i, --inventory <dir>', 'inventory directory', 'inventories/lab')
      .option('--json', 'print JSON')
      .addHelpText('after', help);
  sub(
    'add <username>',
    'add a web user; the password comes from NMS_USER_PASSWORD, --password-stdin, or is generated',
    examples(
      'nms user add alice -i inventories/prod',
      'printf "%s\\n" "$PW" | nms user add bob --level read --password-stdin -i inventories/prod',
    ),
  )
    .option('--level <level>', 'admin, read or user', 'admin')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action(async (username: string, o: Flags) => {
      const r = await userAdd({ ...o, username });
      output(r, o.json, (x) => shown(x, `added web user (level ${x.level})`));
    });
  sub(
    'passwd <username>',
    "set a web user's password (and end its sessions)",
    examples(
      'nms user passwd admin -i inventories/lab',
      'NMS_USER_PASSWORD=... nms user passwd alice -i inventories/prod',
    ),
  )
    .option('--password-stdin', 'read the password from stdin')
    .action(async (username: string, o: Flags) => {
      const r = await userPasswd({ ...o, username });
      output(r, o.json, (x) => shown(x, 'password changed for'));
    });
  sub(
    'remove <username>',
    'remove a web user and end its sessions',
    examples('nms user remove bob -i inventories/prod'),
  ).action(async (username: string, o: Flags) => {
    const r = await userRemove({ ...o, username });
    output(r, o.json, (x) => shown(x, 'removed web user'));
  });
  sub('list', 'list web users (no passwords)', examples('nms user list -i inventories/lab --json')).action(
    async (o: Flags) => output(await userList(o), o.json, listText),
  );
}
