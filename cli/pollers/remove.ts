// `nms remove-poller`: shrink the cluster by one poller. Refuses (without --force) when a poller
// group with devices would be left with no poller; stops the agent (SIGTERM drains its jobs),
// removes the agent and its configuration, takes the host out of the inventory, deploys the
// master hosts (the firewall no longer admits it) and drops its database account and its
// poller_cluster rows. Its data and logs (/var/lib/nms, /var/log/nms) stay on the host.
import { NmsError, UsageError } from '../../lib/errors.js';
import { loadInventory } from '../inventory/load.js';
import { removeHost } from '../inventory/write.js';
import { MASTER_SERVICES, type HostSpec, type Inventory } from '../inventory/types.js';
import { deploy, type HostResult } from '../deploy/runner.js';
import { runSql } from '../deploy/database-run.js';
import { sqlIdent, sqlString } from '../deploy/database.js';
import { AGENT_DIR, ENV_DIR, dbUser } from '../deploy/values.js';
import { sshFor } from '../status/collect.js';
import { masterHosts, summarise } from './add.js';

export interface RemovePollerOptions {
  inventory: string;
  name: string;
  /** Remove even when a group is left without a poller or the host cannot be reached. Default false. */
  force?: boolean;
  strictHostKeys?: boolean;
  onProgress?: (message: string) => void;
  agentBundlePath?: string;
}

export interface RemovePollerResult {
  name: string;
  /** The agent was stopped and removed on the host (false when it could not be reached). */
  agentRemoved: boolean;
  /** Groups left with devices and no poller (only with --force). */
  orphanedGroups: number[];
  deploy: Array<Pick<HostResult, 'host' | 'status' | 'changed' | 'error'>>;
  accountDropped: boolean;
  warnings: string[];
}

/**
 * Groups that have devices and would have no host with `poller` (or no host with `discovery`:
 * a device is discovered before its first poll) once `name` is gone.
 */
export function groupsLeftWithoutPoller(
  inv: Inventory,
  name: string,
): Array<{ group: number; devices: number; role: 'poller' | 'discovery' }> {
  const host = inv.hosts.find((h) => h.name === name);
  if (!host) return [];
  const out: Array<{ group: number; devices: number; role: 'poller' | 'discovery' }> = [];
  for (const g of host.agent.distributed_poller_group) {
    const devices = inv.devices.filter((d) => d.poller_group === g).length;
    if (devices === 0) continue;
    for (const role of ['poller', 'discovery'] as const) {
      if (!host.roles.includes(role)) continue;
      const others = inv.hosts.filter(
        (h) => h.name !== name && h.roles.includes(role) && h.agent.distributed_poller_group.includes(g),
      );
      if (others.length === 0) {
        out.push({ group: g, devices, role });
        break;
      }
    }
  }
  return out;
}

/** Stops and removes the agent: init script or systemd unit, wrapper, bundle, configuration. */
export function uninstallAgentScript(): string {
  return [
    // stop through whichever service manager runs it; both send SIGTERM and wait for the drain
    'if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then ' +
      'systemctl disable --now nms-agent 2>/dev/null || true; fi',
    'if [ -x /etc/init.d/nms-agent ]; then /etc/init.d/nms-agent stop || exit 1; fi',
    `rm -f /etc/init.d/nms-agent /etc/systemd/system/nms-agent.service /usr/local/bin/nms-agent`,
    `rm -rf ${AGENT_DIR} ${ENV_DIR}`,
    '[ -d /run/systemd/system ] && systemctl daemon-reload 2>/dev/null; exit 0',
  ].join('\n');
}

export async function removePoller(o: RemovePollerOptions): Promise<RemovePollerResult> {
  const say = o.onProgress ?? (() => {});
  const inv = await loadInventory(o.inventory);
  const host = inv.hosts.find((h) => h.name === o.name) as HostSpec | undefined;
  if (!host)
    throw new UsageError(`${o.name} is not in ${inv.name}/hosts.yaml`, {
      hint: `hosts are: ${inv.hosts.map((h) => h.name).join(', ')}`,
    });
  const services = host.roles.filter((r) => (MASTER_SERVICES as readonly string[]).includes(r));
  if (services.length)
    throw new UsageError(`${o.name} runs the cluster's ${services.join(', ')}: remove-poller only removes pollers`);
  const orphaned = groupsLeftWithoutPoller(inv, o.name);
  if (orphaned.length && !o.force) throw orphanError(o, orphaned);
  const warnings: string[] = [];
  if (orphaned.length)
    warnings.push(`poller group ${orphaned.map((g) => g.group).join(', ')} now has no poller (--force)`);

  // 1. drain and remove the agent on the host
  const agentRemoved = await uninstallAgent(o, inv, host, warnings, say);
  // 2. the inventory, then the master hosts (firewall), then the account and its rows
  removeHost(inv.dir, o.name);
  say(`${o.name} removed from ${inv.name}/hosts.yaml and its password from secrets.yaml`);
  const after = await loadInventory(o.inventory);
  const summary = await deployMasters(o, after, warnings, say);
  const accountDropped = await dropAccount(o, after, host, warnings, say);
  return {
    name: o.name,
    agentRemoved,
    orphanedGroups: orphaned.map((g) => g.group),
    deploy: summary,
    accountDropped,
    warnings,
  };
}

function orphanError(o: RemovePollerOptions, orphaned: ReturnType<typeof groupsLeftWithoutPoller>): UsageError {
  const groups = orphaned.map(
    (g) => `poller group ${g.group} (${g.devices} device${g.devices === 1 ? '' : 's'}) with no ${g.role} host`,
  );
  return new UsageError(`removing ${o.name} would leave ${groups.join(' and ')}`, {
    hint:
      `add another poller for ${orphaned.length > 1 ? 'those groups' : 'that group'} first ` +
      `(\`nms add-poller NAME --address ADDR --group ${orphaned[0].group}\`), move the devices, or pass --force`,
  });
}

/** Stops (drains) and removes the agent; unreachable is an error unless --force. */
async function uninstallAgent(
  o: RemovePollerOptions,
  inv: Inventory,
  host: HostSpec,
  warnings: string[],
  say: (m: string) => void,
): Promise<boolean> {
  const ssh = sshFor(inv, host, { strictHostKeys: o.strictHostKeys });
  try {
    await ssh.start();
    say(`stopping the agent on ${o.name} (SIGTERM: running jobs finish first) ...`);
    const r = await ssh.run(uninstallAgentScript());
    if (r.code !== 0) {
      const said = (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ');
      throw new NmsError(`could not stop the agent on ${o.name}: ${said}`);
    }
    say(`agent and configuration removed from ${o.name} (data in /var/lib/nms and logs in /var/log/nms kept)`);
    return true;
  } catch (err) {
    if (!o.force)
      throw new NmsError(`${(err as Error).message}`, {
        hint:
          `nothing was changed; pass --force to remove ${o.name} from the cluster anyway ` +
          '(its agent may keep running until the firewall shuts it out)',
        cause: err,
      });
    warnings.push(`${o.name} could not be reached: its agent was not stopped (${(err as Error).message})`);
    return false;
  } finally {
    ssh.close();
  }
}

async function deployMasters(
  o: RemovePollerOptions,
  after: Inventory,
  warnings: string[],
  say: (m: string) => void,
): Promise<RemovePollerResult['deploy']> {
  const limit = masterHosts(after);
  say(`deploying ${limit.join(', ')} (firewall) ...`);
  const res = await deploy({
    inventory: after,
    limit,
    strictHostKeys: o.strictHostKeys,
    agentBundlePath: o.agentBundlePath,
    onEvent: (h, m) => say(`  [${h}] ${m}`),
  });
  for (const h of res.hosts)
    if (h.status === 'failed' || h.status === 'unreachable')
      warnings.push(
        `deploy of ${h.host} ${h.status}: ${h.error ?? ''}; ` +
          `run \`nms deploy -i ${o.inventory} --limit ${h.host}\` again`,
      );
  return summarise(res.hosts);
}

/** Drops the poller's database account and forgets its poller_cluster rows. */
async function dropAccount(
  o: RemovePollerOptions,
  after: Inventory,
  host: HostSpec,
  warnings: string[],
  say: (m: string) => void,
): Promise<boolean> {
  let accountDropped = false;
  const dbHost = after.services.mariadb;
  const admin = after.secrets.db_admin_password;
  const db = sshFor(after, dbHost, { strictHostKeys: o.strictHostKeys });
  try {
    await db.start();
    const t = (table: string) => `${sqlIdent(after.cluster.mariadb.database)}.${table}`;
    const rows = `SELECT id FROM ${t('poller_cluster')} WHERE poller_name = ${sqlString(o.name)}`;
    // the table may not exist yet on a cluster that never ran an agent: the account goes first
    const account = `${sqlString(dbUser(o.name))}@${sqlString(host.address)}`;
    await runSql(db, `DROP USER IF EXISTS ${account};`, admin, `drop account ${dbUser(o.name)}`);
    accountDropped = true;
    const forget =
      `DELETE FROM ${t('poller_cluster_stats')} WHERE parent_poller IN (SELECT id FROM (${rows}) AS t);\n` +
      `DELETE FROM ${t('poller_cluster')} WHERE poller_name = ${sqlString(o.name)};`;
    await runSql(db, forget, admin, `forget ${o.name} in poller_cluster`).catch((err) =>
      warnings.push((err as Error).message),
    );
    say(`database account ${dbUser(o.name)}@${host.address} dropped; ${o.name} removed from poller_cluster`);
  } catch (err) {
    warnings.push(
      `could not drop the database account of ${o.name}: ${(err as Error).message}; ` +
        `\`nms deploy -i ${o.inventory} --limit ${dbHost.name} --prune\` drops it`,
    );
  } finally {
    db.close();
  }
  return accountDropped;
}
