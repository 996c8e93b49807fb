// Writes the Ansible side of the deploy bench into a private work directory: an inventory from
// inventories/<lab> (address, the lab key, the inventory's known_hosts, strict checking,
// pipelining on, forks ≥ hosts) and, per host, the vars of bench/ansible/deploy.yml taken from
// nms's own plan (cli/deploy/plan.ts) with the NODE_ID each host already has, so that both tools
// want exactly the same packages, directories, files, services, restarts and database accounts.
// The files' rendered contents and the accounts' SQL hold secrets: the work directory is mode
// 0700 and the bench removes it.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { loadInventory } from '../../cli/inventory/load.js';
import type { HostSpec, Inventory } from '../../cli/inventory/types.js';
import {
  accountChanges,
  nativePasswordHash,
  privilegeString,
  sqlString,
  wantedAccounts,
} from '../../cli/deploy/database.js';
import { buildPlan, type HostPlan } from '../../cli/deploy/plan.js';
import { PRIV_COLUMNS } from '../../cli/deploy/facts.js';
import { selfSignedCertCommand, selfSignedMarker } from '../../cli/deploy/operations.js';
import { DEBIAN } from '../../cli/deploy/profile.js';
import { TemplateRenderer } from '../../cli/deploy/render.js';
import { ROOT } from './report.js';

export interface AnsibleWork {
  dir: string;
  inventoryFile: string;
  hosts: string[];
}

function ssh(inv: Inventory, invDir: string, h: HostSpec, command: string): string {
  return execFileSync(
    'ssh',
    [
      '-i',
      h.ssh.keyPath,
      '-p',
      String(h.ssh.port),
      '-o',
      `UserKnownHostsFile=${join(invDir, 'known_hosts')}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      `${h.ssh.user}@${h.address}`,
      command,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
}

/** The service a handler key restarts on this host (`migrate` and `firewall` are tasks of their own). */
function handlerTarget(plan: HostPlan, key: string): string {
  if (key === 'agent') return plan.profile.serviceNames.agent;
  return plan.services.find((s) => s.key === key)?.name ?? key;
}

/**
 * The database host's part, as nms deploy's database step does it: the SQL that makes the
 * database and the accounts (nms's own statements, sent on mysql's stdin), and the state they
 * lead to as one sorted text, so the playbook acts only when the server differs from it.
 */
function databaseVars(inv: Inventory): Record<string, string> {
  if (inv.secrets.db_admin_password)
    throw new Error(
      'the Ansible side reaches MariaDB as root over its socket: ' +
        'an inventory with db_admin_password is not supported by this bench',
    );
  const db = inv.cluster.mariadb.database;
  const q = sqlString(db);
  const accounts = wantedAccounts(inv);
  // only the cluster's own accounts count, as in nms deploy's comparison
  const users = [...new Set(accounts.map((a) => sqlString(a.user)))].join(', ');
  const want = [`db ${db}`];
  for (const a of accounts) {
    want.push(`acct ${a.user}@${a.host} ${nativePasswordHash(a.password)}`);
    want.push(`priv ${a.user}@${a.host} ${privilegeString(a.privileges)}`);
  }
  return {
    database: db,
    sql:
      accountChanges(inv, undefined, false)
        .map((c) => c.sql)
        .join('\n') + '\n',
    query: [
      `SELECT CONCAT('db ', SCHEMA_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${q};`,
      `SELECT CONCAT('acct ', User, '@', Host, ' ', authentication_string) FROM mysql.user WHERE User IN (${users});`,
      `SELECT CONCAT('priv ', User, '@', Host, ' ', CONCAT_WS(',', ${PRIV_COLUMNS.join(', ')})) ` +
        `FROM mysql.db WHERE Db = ${q} AND User IN (${users});`,
    ].join(' '),
    // byte order, as `LC_ALL=C sort` on the host
    want: want.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join('\n'),
  };
}

/** The NODE_ID nms gave the host, and the host's own Node when it is recent enough to run the agent. */
function hostFacts(inv: Inventory, invDir: string, h: HostSpec): { nodeId: string; hostNode?: string } {
  const env = ssh(inv, invDir, h, 'cat /etc/nms/.env 2>/dev/null || true');
  const nodeId = /^NODE_ID=(.*)$/m.exec(env)?.[1]?.replace(/^["']|["']$/g, '');
  if (!nodeId) throw new Error(`${h.name}: no NODE_ID in /etc/nms/.env: run nms deploy first`);
  const hostNode = ssh(
    inv,
    invDir,
    h,
    'command -v node && node -e "process.exit(+process.versions.node.split(\\".\\")[0] >= 20 ? 0 : 1)" || true',
  )
    .trim()
    .split('\n')[0];
  return { nodeId, hostNode: hostNode || undefined };
}

/** Writes the plan's rendered files under the work directory; the playbook's list of them. */
function planFiles(plan: HostPlan, dir: string, host: string): Record<string, unknown>[] {
  return plan.files.map((f, i) => {
    const src = join(dir, 'files', host, `${i}-${f.path.replace(/\//g, '_')}`);
    mkdirSync(dirname(src), { recursive: true });
    writeFileSync(src, f.content, { mode: 0o600 });
    // what a change of this file restarts (service names) or runs (migrate), as nms's handlers
    const notify = (f.notify ?? []).filter((k) => k !== 'migrate' || plan.database).map((k) => handlerTarget(plan, k));
    return {
      path: f.path,
      src,
      owner: f.owner,
      group: f.group,
      mode: '0' + f.mode.toString(8),
      notify,
      ...(f.secret ? { secret: true } : {}),
    };
  });
}

/** bench/ansible/deploy.yml's vars for one host, from its plan. */
function planVars(inv: Inventory, plan: HostPlan, files: Record<string, unknown>[]): Record<string, unknown> {
  const vars: Record<string, unknown> = {
    nms_packages: plan.packages,
    nms_dirs: plan.dirs.map((d) => ({
      path: d.path,
      owner: d.owner,
      group: d.group,
      mode: '0' + d.mode.toString(8),
    })),
    nms_files: files,
    nms_services: plan.services.filter((s) => s.key !== 'firewall').map((s) => s.name),
    nms_firewall: plan.firewall,
  };
  // nms's own command (EC P-256 with a subjectAltName, then a marker once both files are in place)
  const c = plan.selfSignedCert;
  if (c)
    vars.nms_cert = { command: selfSignedCertCommand(c.cert, c.key, c.serverName), marker: selfSignedMarker(c.cert) };
  if (plan.database) vars.nms_db = databaseVars(inv);
  return vars;
}

/** The inventory and ansible.cfg: the lab's known_hosts with strict checking, pipelining, forks ≥ hosts. */
function writeAnsibleConfig(dir: string, invDir: string, lines: string[]): string {
  const inventoryFile = join(dir, 'inventory.ini');
  const knownHosts = join(invDir, 'known_hosts');
  const sshArgs =
    `-o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${knownHosts} ` + '-o StrictHostKeyChecking=yes';
  writeFileSync(inventoryFile, lines.join('\n') + '\n');
  writeFileSync(
    join(dir, 'ansible.cfg'),
    `[defaults]
inventory = ${inventoryFile}
forks = 10
host_key_checking = True
retry_files_enabled = False
interpreter_python = auto_silent
stdout_callback = default
[ssh_connection]
pipelining = True
control_path_dir = ${join(dir, 'cp')}
ssh_args = ${sshArgs}
`,
  );
  return inventoryFile;
}

/** Builds the work directory for the deployed lab inventory at `invDir`; templates and agent bundle from `buildDir`. */
export async function writeAnsibleWork(invDir: string, buildDir = ROOT): Promise<AnsibleWork> {
  const inv = await loadInventory(invDir);
  const dir = mkdtempSync(join(tmpdir(), 'nms-bench-ansible-'));
  chmodSync(dir, 0o700);
  const renderer = new TemplateRenderer(join(buildDir, 'templates'));
  const agentBundle = readFileSync(join(buildDir, 'dist/nms-agent.mjs'));
  const lines = ['[all]'];
  for (const h of inv.hosts) {
    const { nodeId, hostNode } = hostFacts(inv, invDir, h);
    const plan = buildPlan({
      inventory: inv,
      host: h,
      profile: DEBIAN,
      renderer,
      systemd: false,
      existingNodeId: nodeId,
      hostNode,
      agentBundle,
      localNodePath: process.execPath,
    });
    const vars = planVars(inv, plan, planFiles(plan, dir, h.name));
    mkdirSync(join(dir, 'host_vars'), { recursive: true });
    writeFileSync(join(dir, 'host_vars', `${h.name}.yml`), stringify(vars), { mode: 0o600 });
    lines.push(
      `${h.name} ansible_host=${h.address} ansible_port=${h.ssh.port} ansible_user=${h.ssh.user} ` +
        `ansible_ssh_private_key_file=${h.ssh.keyPath}`,
    );
  }
  const inventoryFile = writeAnsibleConfig(dir, invDir, lines);
  return { dir, inventoryFile, hosts: inv.hosts.map((h) => h.name) };
}

/**
 * Ends the work directory's SSH control masters (ControlPersist would keep each for 60 s after
 * its last use: processes outliving the bench, holding connections to hosts it removes) and
 * removes the directory with the rendered files and secrets.
 */
export function removeAnsibleWork(work: AnsibleWork): void {
  const cp = join(work.dir, 'cp');
  if (existsSync(cp)) {
    for (const sock of readdirSync(cp))
      spawnSync('ssh', ['-o', `ControlPath=${join(cp, sock)}`, '-O', 'exit', 'nms-bench'], {
        stdio: 'ignore',
        timeout: 10_000,
      });
  }
  rmSync(work.dir, { recursive: true, force: true });
}
