// The MariaDB host's part of the decision: the database and the nodes' accounts, the schema
// (nms-agent migrate), the web UI's first administrator and the inventory's devices (with their
// service checks and SSH logins for config backup). Pure like decide.ts (the one random part is
// the IV of the credentials encrypted for the devices table and config_backups).
import type { Inventory } from '../inventory/types.js';
import { accountChanges, deviceChanges } from './database.js';
import { sqlCommand } from './database-run.js';
import type { Op } from './op.js';
import type { DbFacts } from './facts.js';
import type { StoredSshLogin } from './device-ssh.js';
import { clearPendingCommand, recordPendingCommand } from './operations.js';
import type { HandlerKey } from './profile.js';

export type DbOp = Omit<Op, 'stage'>;

export interface DatabaseDecision {
  ops: DbOp[];
  /** Names of the checks that found the database as wanted. */
  ok: string[];
  warnings: string[];
  /** No devices table yet: the devices are compared once the schema operation made it. */
  devicesAfterSchema: boolean;
}

export interface DatabaseOptions {
  inventory: Inventory;
  prune: boolean;
  check: boolean;
  firstAdminSql?: string;
}

/** Accounts, schema, first administrator and (when the table exists) devices, in that order. */
export function databaseOperations(
  db: DbFacts | undefined,
  pending: Set<HandlerKey>,
  o: DatabaseOptions,
): DatabaseDecision {
  const inv = o.inventory;
  const admin = inv.secrets.db_admin_password;
  const out: DatabaseDecision = { ops: [], ok: [], warnings: [], devicesAfterSchema: false };
  const changes = accountChanges(inv, db, o.prune);
  if (changes.length) {
    // the schema follows the accounts: migrations run as this node's own account
    pending.add('migrate');
    const sql = changes.map((c) => c.sql).join('\n');
    out.ops.push({
      title: `database: ${changes.map((c) => c.what).join(', ')}`,
      ...sqlCommand(sql, admin, '', recordPendingCommand(['migrate'])),
      notifies: ['migrate'],
    });
  } else out.ok.push('database accounts');

  const hasSchema = db?.tables.includes('devices') ?? false;
  if (!hasSchema) pending.add('migrate');
  if (pending.has('migrate')) {
    out.ops.push({
      title: 'schema: nms-agent migrate',
      command: `/usr/local/bin/nms-agent migrate </dev/null 2>&1 && ${clearPendingCommand('migrate')}`,
      runs: 'migrate',
    });
    pending.delete('migrate');
  } else out.ok.push('schema');

  if (o.firstAdminSql !== undefined)
    out.ops.push({
      title: `web: administrator ${inv.cluster.web.adminUser} (password in secrets.yaml)`,
      ...sqlCommand(o.firstAdminSql, admin, '-N -B'),
      changedWhenOutput: '1',
    });

  if (!hasSchema && !o.check) {
    out.devicesAfterSchema = true;
    return out;
  }
  const dev = deviceOperations(inv, hasSchema ? db!.devices : undefined, o.prune, db?.serviceDigests, db?.sshLogins);
  out.ops.push(...dev.ops);
  out.ok.push(...dev.ok);
  out.warnings.push(...dev.warnings);
  return out;
}

/**
 * The devices table made like the inventory's devices. `rows` undefined: there is no table yet
 * (under --check), so every device is new. Service checks are compared by their digests when
 * the facts have them, else written anew; so are the devices' SSH logins for config backup
 * (cli/deploy/device-ssh.ts).
 */
export function deviceOperations(
  inv: Inventory,
  rows: DbFacts['devices'] | undefined,
  prune: boolean,
  serviceDigests?: Record<string, string>,
  sshLogins?: Record<string, StoredSshLogin>,
): Omit<DatabaseDecision, 'devicesAfterSchema'> {
  const out: Omit<DatabaseDecision, 'devicesAfterSchema'> = { ops: [], ok: [], warnings: [] };
  const use = `USE \`${inv.cluster.mariadb.database.replace(/`/g, '')}\`;\n`;
  const admin = inv.secrets.db_admin_password;
  if (!rows) {
    if (inv.devices.length)
      out.ops.push({
        title: `devices: add ${inv.devices.length}`,
        ...sqlCommand(use + deviceChanges(inv, [], prune).sql, admin),
      });
    return out;
  }
  const dc = deviceChanges(inv, rows, prune, serviceDigests, sshLogins);
  if (dc.extra.length) {
    const some = dc.extra.slice(0, 5).join(', ') + (dc.extra.length > 5 ? ', …' : '');
    out.warnings.push(
      `${dc.extra.length} device(s) in the database are not in the inventory (kept; --prune removes them): ${some}`,
    );
  }
  if (!dc.sql) {
    out.ok.push('devices');
    return out;
  }
  const parts = [
    dc.added.length && `add ${dc.added.length}`,
    dc.updated.length && `update ${dc.updated.length}`,
    dc.removed.length && `remove ${dc.removed.length}`,
    dc.services.length && `service checks of ${dc.services.length}`,
    dc.sshLogins.length && `SSH logins of ${dc.sshLogins.length}`,
  ].filter(Boolean);
  out.ops.push({ title: `devices: ${parts.join(', ')}`, ...sqlCommand(use + dc.sql, admin) });
  return out;
}
