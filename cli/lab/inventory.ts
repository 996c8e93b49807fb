// Writes inventories/lab/ for the other commands (format: docs/contracts.md): hosts.yaml,
// devices.yaml, secrets.yaml (0600, fresh secrets) and known_hosts from each host's own key.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { Document, isCollection, stringify, visit } from 'yaml';
import { generateAppKey, generateSecret } from '../../lib/crypto.js';
import type { HostRecord } from './host.js';
import { KEY_PATH, deviceAddress } from './plan.js';

/** Simulator credentials of v3 devices (docs/contracts.md "Simulated devices"). */
const V3 = { authname: 'nmsv3', authpass: 'nmsv3authpass', cryptopass: 'nmsv3privpass' };

function hostsYaml(hosts: HostRecord[]): string {
  const doc: Record<string, unknown> = {
    cluster: {
      name: 'lab',
      redis: { port: 6379, db: 0 },
      mariadb: { port: 3306, database: 'nms' },
      rrdcached: { port: 42217, write_threads: 4, journal: true, base_dir: '/var/lib/nms/rrd' },
      memcached: { port: 11211, memory_mb: 64 },
      web: { https_port: 443, http_port: 80, server_name: 'nms.lab' },
      tls: {},
      firewall: true,
    },
    defaults: {
      ssh: { user: 'root', port: 22, key: KEY_PATH },
      agent: { service_poller_workers: 24, service_poller_frequency: 300 },
    },
    hosts: Object.fromEntries(
      hosts
        .filter((h) => h.kind === 'master' || h.kind === 'poller')
        .map((h): [string, unknown] =>
          h.kind === 'master'
            ? [
                h.name,
                {
                  address: h.address,
                  roles: ['web', 'mariadb', 'rrdcached', 'redis', 'memcached', 'poller'],
                  agent: { distributed_poller_group: [0] },
                },
              ]
            : [
                h.name,
                {
                  address: h.address,
                  roles: ['poller', 'discovery', 'ping'],
                  agent: { distributed_poller_group: [0, 1] },
                },
              ],
        ),
    ),
  };
  // Block style for the first two levels, flow below, as in docs/contracts.md.
  const yaml = new Document(doc);
  visit(yaml, {
    Collection(_key, node, path) {
      if (path.filter((p) => isCollection(p)).length >= 2) node.flow = true;
    },
  });
  return (
    '# yaml-language-server: $schema=../../docs/inventory.schema.json\n' +
    '# Written by `nms lab up`; rewritten on each run.\n' +
    yaml.toString({ lineWidth: 0 })
  );
}

/** One flow mapping per line: 10,000 devices stay readable and quick to write. */
export function devicesYaml(count: number): string {
  const lines = ['# Written by `nms lab up`: the devices host simulates these (docs/contracts.md).', 'devices:'];
  for (let i = 0; i < count; i++) {
    const snmp =
      i % 10 === 9
        ? `{ version: v3, authlevel: authPriv, authname: ${V3.authname}, authpass: ${V3.authpass}, authalgo: SHA, ` +
          `cryptopass: ${V3.cryptopass}, cryptoalgo: AES }`
        : '{ version: v2c, community: public }';
    lines.push(`  - { hostname: ${deviceAddress(i)}, poller_group: ${i % 2}, snmp: ${snmp} }`);
  }
  if (count === 0) lines[1] = 'devices: []';
  return lines.join('\n') + '\n';
}

export function knownHostsText(hosts: HostRecord[]): string {
  return hosts.map((h) => `${h.address} ${h.hostKey}`).join('\n') + '\n';
}

export function writeInventory(dir: string, hosts: HostRecord[], devices: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/hosts.yaml`, hostsYaml(hosts));
  writeFileSync(`${dir}/devices.yaml`, devicesYaml(devices), { mode: 0o600 });
  chmodSync(`${dir}/devices.yaml`, 0o600); // it holds the devices' communities
  const nodes = hosts.filter((h) => h.kind === 'master' || h.kind === 'poller');
  const secrets = {
    app_key: generateAppKey(),
    redis_password: generateSecret(),
    api_token: generateSecret(32),
    db_passwords: Object.fromEntries(nodes.map((h) => [h.name, generateSecret()])),
    web_admin_password: generateSecret(18),
  };
  const secretsFile = `${dir}/secrets.yaml`;
  writeFileSync(secretsFile, '# Written by `nms lab up`. Never print or commit this file.\n' + stringify(secrets), {
    mode: 0o600,
  });
  chmodSync(secretsFile, 0o600); // an existing file keeps its mode on write
  writeFileSync(`${dir}/known_hosts`, knownHostsText(hosts));
}
