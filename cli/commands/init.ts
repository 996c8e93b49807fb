// `nms init inventory [name]`: writes inventories/<name>/ from the answers of a short wizard
// (or from --answers FILE and flags), with fresh secrets from the CSPRNG in a 0600 file, then
// validates the result with the same loader every other command uses.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../../lib/errors.js';
import { output } from '../../lib/run.js';
import { HOSTS_FILE, loadInventory, SECRETS_FILE } from '../inventory/load.js';
import { generateSecrets, readSecrets, writeInventory } from '../inventory/write.js';
import { Asker, flattenAnswers, runWizard } from '../inventory/wizard.js';
import { formatSummary, summarise, type InventorySummary } from './inventory.js';
import type { Secrets } from '../inventory/types.js';

export interface InitInventoryOptions {
  /** Parent directory of the new inventory. Default `inventories`. */
  dir?: string;
  /** YAML file with answers (same keys as the questions). Default none. */
  answers?: string;
  /** Replace an existing inventory's hosts (its secrets are kept). Default false. */
  force?: boolean;
  /** Never ask: anything not answered takes its default. Default: ask when stdin is a terminal. */
  yes?: boolean;
  /** Answers from flags, by question key. */
  preset?: Map<string, unknown>;
}

export interface InitInventoryResult {
  dir: string;
  keptSecrets: boolean;
  /** A .gitignore was written (none existed) so the key and secrets stay out of git. */
  wroteGitignore: boolean;
  summary: InventorySummary;
}

/** Keeps a cluster's existing secrets (a new APP_KEY would orphan every stored credential). */
function mergeSecrets(old: Secrets | undefined, hostNames: string[]): Secrets {
  const fresh = generateSecrets(hostNames);
  if (!old) return fresh;
  const db = Object.fromEntries(hostNames.map((n) => [n, old.db_passwords?.[n] ?? fresh.db_passwords[n]]));
  return { ...fresh, ...old, db_passwords: db };
}

const INVENTORY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const hasInventory = (dir: string): boolean => existsSync(join(dir, HOSTS_FILE)) || existsSync(join(dir, SECRETS_FILE));

/** Runs the wizard (or takes the answers) and writes `<dir>/<name>/`; `name` is asked when absent. */
export async function initInventory(
  name: string | undefined,
  opts: InitInventoryOptions = {},
): Promise<InitInventoryResult> {
  const parent = opts.dir ?? 'inventories';
  const interactive = !opts.yes && !opts.answers && Boolean(process.stdin.isTTY);
  if (!interactive && !opts.yes && !opts.answers)
    throw new UsageError('stdin is not a terminal, so nothing can be asked', {
      hint: 'give --answers FILE, or --yes with flags',
    });
  if (name === undefined) {
    if (!interactive) throw new UsageError('give the inventory name: nms init inventory NAME');
    const validName = (s: string): string | true =>
      !INVENTORY_NAME.test(s)
        ? 'letters, digits, ".", "_" or "-"'
        : hasInventory(join(parent, s)) && !opts.force
          ? `${join(parent, s)} already holds an inventory`
          : true;
    name = await new Asker({ interactive }).input(
      'name',
      `Inventory name (writes ${parent}/<name>/)`,
      'prod',
      validName,
    );
  }
  if (!INVENTORY_NAME.test(name))
    throw new UsageError(`inventory name "${name}" must be letters, digits, ".", "_" or "-"`);
  const dir = join(parent, name);
  const exists = hasInventory(dir);
  if (exists && !opts.force)
    throw new UsageError(`${dir} already holds an inventory`, {
      hint: 'add --force to replace its hosts (its secrets are kept), or choose another name',
    });

  const preset = new Map(opts.preset ?? []);
  if (opts.answers) {
    let data: unknown;
    try {
      data = parseYaml(readFileSync(opts.answers, 'utf8'));
    } catch (err) {
      throw new UsageError(`cannot read answers file ${opts.answers}: ${(err as Error).message.split('\n')[0]}`);
    }
    for (const [k, v] of flattenAnswers(data, opts.answers)) if (!preset.has(k)) preset.set(k, v);
  }

  const asker = new Asker({ preset, interactive });
  const result = await runWizard(asker, name);
  const unknown = asker.unused();
  if (unknown.length) asker.problems.push(...unknown.map((k) => `${k}: not a question of this wizard`));
  if (asker.problems.length)
    throw new UsageError(`answers have ${asker.problems.length} problem(s):\n  ${asker.problems.join('\n  ')}`);

  const old = exists && existsSync(join(dir, SECRETS_FILE)) ? readSecrets(dir) : undefined;
  writeInventory(dir, {
    hosts: result.hosts,
    secrets: mergeSecrets(old, result.hostNames),
    comment: `Written by \`nms init inventory ${name}\`; edit freely, then: nms inventory check -i ${dir}`,
  });
  const wroteGitignore = writeGitignore(dir);
  const inv = await loadInventory(dir);
  return { dir, keptSecrets: Boolean(old), wroteGitignore, summary: summarise(inv) };
}

const GITIGNORE = `# Written by \`nms init inventory\`: what must never be committed.
secrets.yaml
# devices.yaml holds the SNMP communities and passphrases
devices.yaml
# private SSH keys kept beside the inventory (their .pub may be committed)
id_*
!id_*.pub
*.key
`;

/** Writes <dir>/.gitignore unless one exists (then it is the user's); true when written. */
function writeGitignore(dir: string): boolean {
  const file = join(dir, '.gitignore');
  if (existsSync(file)) return false;
  writeFileSync(file, GITIGNORE);
  return true;
}

/** `--poller nms83=192.0.2.83:0,1:poller,discovery` → question keys. */
function pollerFlags(list: string[], preset: Map<string, unknown>): void {
  if (!list.length) return;
  preset.set('pollers', list.length);
  list.forEach((spec, i) => {
    const p = parsePollerSpec(spec);
    preset.set(`pollers[${i}].name`, p.name);
    preset.set(`pollers[${i}].address`, p.address);
    if (p.groups) preset.set(`pollers[${i}].groups`, p.groups);
    if (p.roles) preset.set(`pollers[${i}].roles`, p.roles);
  });
}

/**
 * NAME=ADDRESS[:GROUPS[:ROLES]]. An IPv6 address has colons of its own: write it in brackets
 * (`p1=[2001:db8::5]:0,1`), or alone (`p1=2001:db8::5`) when no groups or roles follow.
 */
export function parsePollerSpec(spec: string): { name: string; address: string; groups?: string; roles?: string } {
  const bad = (): UsageError =>
    new UsageError(
      `--poller ${spec}: expected NAME=ADDRESS[:GROUPS[:ROLES]], ` +
        'e.g. nms83=192.0.2.83:0,1:poller,discovery or nms83=[2001:db8::83]:0,1',
    );
  const eq = spec.indexOf('=');
  if (eq < 1) throw bad();
  const name = spec.slice(0, eq);
  const rest = spec.slice(eq + 1);
  let address: string;
  let tail: string;
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0) throw bad();
    address = rest.slice(1, end);
    tail = rest.slice(end + 1);
    if (tail && !tail.startsWith(':')) throw bad();
  } else if (isIP(rest) === 6) [address, tail] = [rest, ''];
  else {
    const colon = rest.indexOf(':');
    [address, tail] = colon < 0 ? [rest, ''] : [rest.slice(0, colon), rest.slice(colon)];
  }
  const [groups, roles, extra] = tail ? tail.slice(1).split(':') : [];
  if (!address || extra !== undefined) throw bad();
  return { name, address, ...(groups ? { groups } : {}), ...(roles ? { roles } : {}) };
}

interface InitFlags {
  dir?: string;
  answers?: string;
  force?: boolean;
  yes?: boolean;
  json?: boolean;
  cluster?: string;
  masterName?: string;
  masterAddress?: string;
  masterRoles?: string;
  sshUser?: string;
  sshPort?: string;
  sshKey?: string;
  poller: string[];
  tlsCert?: string;
  tlsKey?: string;
  serverName?: string;
  firewall?: boolean;
}

export function register(program: Command): void {
  const init = program.command('init').description('Create things nms works from');
  init
    .command('inventory')
    .argument('[name]', 'inventory name: writes <dir>/<name>/ (asked when absent)')
    .description('Write a new inventory by answering questions (or from --answers FILE / flags)')
    .option('--dir <parent>', 'parent directory of the inventory', 'inventories')
    .option('--answers <file>', 'YAML file with the answers (see docs/inventory.md); nothing is asked')
    .option('-y, --yes', 'ask nothing: unanswered questions take their defaults')
    .option('--force', 'replace an existing inventory (its secrets are kept)')
    .option('--cluster <name>', 'cluster name')
    .option('--master-name <name>', 'master host name')
    .option('--master-address <addr>', 'master address')
    .option('--master-roles <list>', 'comma list of what runs on the master')
    .option('--ssh-user <user>', 'SSH user (sudo is used when not root)')
    .option('--ssh-port <port>', 'SSH port')
    .option('--ssh-key <file>', 'SSH private key')
    .option(
      '--poller <spec>',
      'a poller: NAME=ADDRESS[:GROUPS[:ROLES]] (repeat for more)',
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option('--tls-cert <file>', 'TLS certificate (PEM); with --tls-key, instead of self-signed')
    .option('--tls-key <file>', 'TLS private key (PEM)')
    .option('--server-name <name>', 'server name of the web/API')
    .option('--no-firewall', 'leave the firewall alone')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Secrets (APP_KEY, Redis and MariaDB passwords, API token) are generated into secrets.yaml with
mode 0600 and never printed. The result is validated before the command says done.

Examples:
  nms init inventory prod
  nms init inventory prod --answers prod-answers.yaml
  nms init inventory lab2 --yes --master-address 192.0.2.82 --ssh-key ~/.ssh/id_ed25519 \\
      --poller nms83=192.0.2.83:0 --poller nms84=192.0.2.84:1:poller,discovery`,
    )
    .action(async (name: string | undefined, o: InitFlags) => {
      const preset = new Map<string, unknown>();
      const set = (k: string, v: unknown): void => {
        if (v !== undefined) preset.set(k, v);
      };
      set('cluster', o.cluster);
      set('master.name', o.masterName);
      set('master.address', o.masterAddress);
      set('master.roles', o.masterRoles);
      set('ssh.user', o.sshUser);
      set('ssh.port', o.sshPort);
      set('ssh.key', o.sshKey);
      if (o.tlsCert || o.tlsKey) set('tls', 'files');
      set('tls.cert', o.tlsCert);
      set('tls.key', o.tlsKey);
      set('server_name', o.serverName);
      if (o.firewall === false) set('firewall', false);
      pollerFlags(o.poller, preset);
      const r = await initInventory(name, { dir: o.dir, answers: o.answers, force: o.force, yes: o.yes, preset });
      output(
        r,
        o.json,
        (x) =>
          `wrote ${x.dir}/ (hosts.yaml; secrets.yaml mode 0600` +
          `${x.keptSecrets ? ', existing secrets kept' : ', fresh secrets'})\n` +
          `${formatSummary(x.summary)}next: nms deploy -i ${x.dir}\n`,
      );
    });
}
