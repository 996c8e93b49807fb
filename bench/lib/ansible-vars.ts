// Writes the Ansible side of the deploy bench into a private work directory: an inventory from
// inventories/<lab> (address, the lab key, the inventory's known_hosts, strict checking,
// pipelining on, forks ≥ hosts) and, per host, the vars of bench/ansible/deploy.yml taken from
// nms's own plan (cli/deploy/plan.ts) with the NODE_ID each host already has, so that both tools
// want exactly the same packages, directories, files and services. The files' rendered contents
// hold secrets: the work directory is mode 0700 and the bench removes it.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { loadInventory } from '../../cli/inventory/load.js';
import type { HostSpec, Inventory } from '../../cli/inventory/types.js';
import { buildPlan } from '../../cli/deploy/plan.js';
import { DEBIAN } from '../../cli/deploy/profile.js';
import { TemplateRenderer } from '../../cli/deploy/render.js';
import { ROOT } from './report.js';

export interface AnsibleWork {
  dir: string;
  inventoryFile: string;
  hosts: string[];
}

function ssh(inv: Inventory, invDir: string, h: HostSpec, command: string): string {
  return execFileSync('ssh', ['-i', h.ssh.keyPath, '-p', String(h.ssh.port), '-o', `UserKnownHostsFile=${join(invDir, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `${h.ssh.user}@${h.address}`, command], { encoding: 'utf8', timeout: 30_000 });
}

/** Builds the work directory for the deployed lab inventory at `invDir`. */
export async function writeAnsibleWork(invDir: string): Promise<AnsibleWork> {
  const inv = await loadInventory(invDir);
  const dir = mkdtempSync(join(tmpdir(), 'nms-bench-ansible-'));
  chmodSync(dir, 0o700);
  const renderer = new TemplateRenderer(join(ROOT, 'templates'));
  const agentBundle = readFileSync(join(ROOT, 'dist/nms-agent.mjs'));
  const lines = ['[all]'];
  for (const h of inv.hosts) {
    const env = ssh(inv, invDir, h, 'cat /etc/nms/.env 2>/dev/null || true');
    const nodeId = /^NODE_ID=(.*)$/m.exec(env)?.[1]?.replace(/^["']|["']$/g, '');
    if (!nodeId) throw new Error(`${h.name}: no NODE_ID in /etc/nms/.env: run nms deploy first`);
    const hostNode = ssh(inv, invDir, h, 'command -v node && node -e "process.exit(+process.versions.node.split(\\".\\")[0] >= 20 ? 0 : 1)" || true').trim().split('\n')[0];
    const plan = buildPlan({ inventory: inv, host: h, profile: DEBIAN, renderer, systemd: false, existingNodeId: nodeId, hostNode: hostNode || undefined, agentBundle, localNodePath: process.execPath });
    const files = plan.files.map((f, i) => {
      const src = join(dir, 'files', h.name, `${i}-${f.path.replace(/\//g, '_')}`);
      mkdirSync(dirname(src), { recursive: true });
      writeFileSync(src, f.content, { mode: 0o600 });
      return { path: f.path, src, owner: f.owner, group: f.group, mode: '0' + f.mode.toString(8), ...(f.secret ? { secret: true } : {}) };
    });
    const vars: Record<string, unknown> = {
      nms_packages: plan.packages,
      nms_dirs: plan.dirs.map((d) => ({ path: d.path, owner: d.owner, group: d.group, mode: '0' + d.mode.toString(8) })),
      nms_files: files,
      nms_services: plan.services.filter((s) => s.key !== 'firewall').map((s) => s.name),
      nms_firewall: plan.firewall,
    };
    if (plan.selfSignedCert) vars.nms_cert = { cert: plan.selfSignedCert.cert, key: plan.selfSignedCert.key, server_name: plan.selfSignedCert.serverName };
    if (plan.database) vars.nms_database = inv.cluster.mariadb.database;
    mkdirSync(join(dir, 'host_vars'), { recursive: true });
    writeFileSync(join(dir, 'host_vars', `${h.name}.yml`), stringify(vars), { mode: 0o600 });
    lines.push(`${h.name} ansible_host=${h.address} ansible_port=${h.ssh.port} ansible_user=${h.ssh.user} ansible_ssh_private_key_file=${h.ssh.keyPath}`);
  }
  const inventoryFile = join(dir, 'inventory.ini');
  writeFileSync(inventoryFile, lines.join('\n') + '\n');
  writeFileSync(join(dir, 'ansible.cfg'), `[defaults]
inventory = ${inventoryFile}
forks = 10
host_key_checking = True
retry_files_enabled = False
interpreter_python = auto_silent
stdout_callback = default
[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${join(invDir, 'known_hosts')} -o StrictHostKeyChecking=yes
`);
  return { dir, inventoryFile, hosts: inv.hosts.map((h) => h.name) };
}
