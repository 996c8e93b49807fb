// The questions of `nms init inventory`: what the seed's administrator had to decide. Each
// question has a key (`master.address`, `pollers[0].groups`), a default and a validator; an
// answer given beforehand (--answers FILE, flags) is checked by the same validator, so the
// interactive and the non-interactive paths cannot disagree on what is valid.
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import inquirer from 'inquirer';
import { NmsError, UsageError } from '../../lib/errors.js';
import { AGENT_ROLES, MASTER_SERVICES, type AgentSettings, type Role } from './types.js';
import { addressProblem } from './rules.js';
import { DEFAULT_AGENT_SETTINGS, DEFAULT_KEY_FILES, expandHome, type RawHost, type RawHostsFile } from './load.js';
import { HOST_NAME_HINT, HOST_NAME_PATTERN } from './schema.js';

/** The user left the wizard (Ctrl+C); nothing was written. */
export class WizardCancelled extends NmsError {
  override exitCode = 130;
  constructor() {
    super('cancelled: nothing was written');
  }
}

export type Validator<T> = (value: T) => string | true;

export interface AskerOptions {
  /** Answers given beforehand, by question key. Default: none. */
  preset?: Map<string, unknown>;
  /** Ask in the terminal what has no preset answer; otherwise take the default. Default false. */
  interactive?: boolean;
}

/** Asks questions, or answers them from presets; collects what was wrong in presets. */
export class Asker {
  readonly problems: string[] = [];
  private readonly preset: Map<string, unknown>;
  private readonly interactive: boolean;
  private readonly used = new Set<string>();

  constructor(opts: AskerOptions = {}) {
    this.preset = opts.preset ?? new Map();
    this.interactive = opts.interactive ?? false;
  }

  has(key: string): boolean {
    return this.preset.has(key);
  }

  /** Preset keys no question asked for (typos in an answers file). */
  unused(): string[] {
    return [...this.preset.keys()].filter((k) => !this.used.has(k));
  }

  private async ask<T>(
    key: string,
    fallback: T,
    validate: Validator<T>,
    coerce: (v: unknown) => T,
    question: Record<string, unknown>,
  ): Promise<T> {
    if (this.preset.has(key)) {
      this.used.add(key);
      const v = coerce(this.preset.get(key));
      const ok = validate(v);
      if (ok === true) return v;
      if (!this.interactive) {
        this.problems.push(`${key}: ${ok}`);
        return fallback;
      }
      process.stderr.write(`${key}: ${ok}\n`);
    }
    if (!this.interactive) {
      const ok = validate(fallback);
      if (ok !== true) this.problems.push(`${key}: no answer given and the default does not do: ${ok}`);
      return fallback;
    }
    try {
      const answer = await inquirer.prompt([{ name: 'v', default: fallback, validate, ...question } as never]);
      return (answer as { v: T }).v;
    } catch (err) {
      // Ctrl+C or a closed terminal: the user's choice, not our bug
      if ((err as Error)?.name === 'ExitPromptError') throw new WizardCancelled();
      throw err;
    }
  }

  input(key: string, message: string, fallback: string, validate: Validator<string> = () => true): Promise<string> {
    const v = (s: string): string | true => validate(String(s ?? '').trim());
    return this.ask(key, fallback, v, (x) => (Array.isArray(x) ? x.join(',') : String(x ?? '')).trim(), {
      type: 'input',
      message,
      filter: (s: string) => s.trim(),
    });
  }

  confirm(key: string, message: string, fallback: boolean): Promise<boolean> {
    const coerce = (x: unknown): boolean =>
      typeof x === 'string' ? ['yes', 'y', 'true', '1', 'on'].includes(x.toLowerCase()) : Boolean(x);
    return this.ask(key, fallback, () => true, coerce, { type: 'confirm', message });
  }

  checkbox<T extends string>(
    key: string,
    message: string,
    choices: readonly T[],
    fallback: T[],
    validate: Validator<T[]> = () => true,
  ): Promise<T[]> {
    const v = (xs: T[]): string | true => {
      const bad = xs.filter((x) => !choices.includes(x));
      return bad.length ? `unknown choice ${bad.join(', ')} (choose from ${choices.join(', ')})` : validate(xs);
    };
    const coerce = (x: unknown): T[] =>
      (Array.isArray(x) ? x.map(String) : String(x).split(',')).map((s) => s.trim()).filter(Boolean) as T[];
    // inquirer hands the checkbox validator the chosen items, not their values
    const promptValidate = (items: ({ value: T } | T)[]): string | true =>
      v(items.map((i) => (typeof i === 'object' ? i.value : i)));
    return this.ask(key, fallback, v, coerce, {
      type: 'checkbox',
      message,
      pageSize: choices.length,
      choices: choices.map((c) => ({ name: c, value: c, checked: fallback.includes(c) })),
      validate: promptValidate,
    });
  }

  select<T extends string>(key: string, message: string, choices: readonly T[], fallback: T): Promise<T> {
    const v = (x: T): string | true => (choices.includes(x) ? true : `must be one of ${choices.join(', ')}`);
    return this.ask(key, fallback, v, (x) => String(x) as T, {
      type: 'select',
      message,
      choices: choices.map((c) => ({ name: c, value: c })),
    });
  }
}

// --- validators -------------------------------------------------------------------------

const nameRe = new RegExp(HOST_NAME_PATTERN);
export const validName =
  (taken: string[]): Validator<string> =>
  (s) =>
    !nameRe.test(s) ? `use ${HOST_NAME_HINT}` : taken.includes(s) ? `${s} is already used by another host` : true;
export const validAddress =
  (taken: string[]): Validator<string> =>
  (s) =>
    !s
      ? 'an address is required'
      : (addressProblem(s) ?? (taken.includes(s) ? `${s} is already another host's address` : true));
export const validPort: Validator<string> = (s) =>
  /^\d+$/.test(s) && +s >= 1 && +s <= 65535 ? true : `a port is a whole number from 1 to 65535 (got "${s}")`;
export const validCount =
  (min: number, max: number): Validator<string> =>
  (s) =>
    /^\d+$/.test(s) && +s >= min && +s <= max ? true : `enter a whole number from ${min} to ${max}`;
export const validGroups: Validator<string> = (s) =>
  /^\d+(\s*,\s*\d+)*$/.test(s) ? true : 'enter poller group numbers separated by commas, e.g. 0 or 0,1';
export const validFile =
  (what: string): Validator<string> =>
  (s) => {
    try {
      return statSync(expandHome(s)).isFile() ? true : `${s} is not a file`;
    } catch {
      return `${what} ${s} does not exist`;
    }
  };
const validUser: Validator<string> = (s) =>
  /^[a-z_][a-z0-9_.-]*$/.test(s) ? true : 'a Unix user name: lower-case letters, digits, "_", "." or "-"';
const groups = (s: string): number[] => [...new Set(s.split(',').map((x) => Number(x.trim())))];
/** Paths typed by the user are relative to where they stand; the inventory's are relative to it. */
const absolutePath = (s: string): string => (s.startsWith('~') || isAbsolute(s) ? s : resolve(s));

export interface WizardResult {
  hosts: RawHostsFile;
  hostNames: string[];
}

/** Asks every question, in this order, and builds hosts.yaml's content. */
export async function runWizard(a: Asker, inventoryName: string): Promise<WizardResult> {
  const clusterName = await a.input(
    'cluster',
    'Cluster name',
    nameRe.test(inventoryName) ? inventoryName : 'nms',
    validName([]),
  );
  const { masterName, masterAddress, hosts } = await askMaster(a);
  const ssh = await askSsh(a);
  await askPollers(a, hosts);
  await placeServices(a, hosts, masterName);
  const agent = await askAgentSettings(a);
  const web = await askWeb(a, hosts, masterAddress || clusterName);
  return {
    hostNames: Object.keys(hosts),
    hosts: {
      cluster: { name: clusterName, ...web },
      defaults: { ssh, ...(Object.keys(agent).length ? { agent } : {}) },
      hosts,
    },
  };
}

/** The master host: its name, address, roles and (when it polls) poller groups. */
async function askMaster(
  a: Asker,
): Promise<{ masterName: string; masterAddress: string; hosts: Record<string, RawHost> }> {
  const masterName = await a.input('master.name', 'Name of the master host (its hostname)', 'master', validName([]));
  const masterAddress = await a.input(
    'master.address',
    `Address of ${masterName} (IP or DNS name)`,
    '',
    validAddress([]),
  );
  const masterRoles = await a.checkbox(
    'master.roles',
    `What runs on ${masterName}?`,
    [...MASTER_SERVICES, ...AGENT_ROLES],
    [...MASTER_SERVICES, 'poller', 'discovery'],
    (xs) => (xs.length ? true : 'choose at least one'),
  );
  const master: RawHost = { address: masterAddress, roles: masterRoles as Role[] };
  if (masterRoles.includes('poller'))
    master.agent = {
      distributed_poller_group: groups(
        await a.input('master.groups', `Poller groups ${masterName} polls`, '0', validGroups),
      ),
    };
  return { masterName, masterAddress, hosts: { [masterName]: master } };
}

/** SSH user, port and key shared by every host (defaults.ssh). */
async function askSsh(a: Asker): Promise<{ user: string; port: number; key: string }> {
  const keyDefault = DEFAULT_KEY_FILES.find((k) => validFile('')(k) === true) ?? DEFAULT_KEY_FILES[0];
  const user = await a.input(
    'ssh.user',
    'SSH user on every host (sudo is used when it is not root)',
    'root',
    validUser,
  );
  const port = Number(await a.input('ssh.port', 'SSH port', '22', validPort));
  const key = absolutePath(await a.input('ssh.key', 'SSH private key file', keyDefault, validFile('key file')));
  return { user, port, key };
}

/** Poller hosts, added to `hosts`: a given number of them, or one at a time while the user says yes. */
async function askPollers(a: Asker, hosts: Record<string, RawHost>): Promise<void> {
  const count = a.has('pollers')
    ? Number(await a.input('pollers', 'Number of pollers', '0', validCount(0, 500)))
    : undefined;
  for (let i = 0; count === undefined || i < count; i++) {
    if (
      count === undefined &&
      !(await a.confirm(`pollers[${i}].add`, i === 0 ? 'Add a poller host?' : 'Add another poller host?', false))
    )
      break;
    const p = `pollers[${i}]`;
    const names = Object.keys(hosts);
    const addresses = Object.values(hosts).map((h) => h.address);
    const name = await a.input(`${p}.name`, 'Poller name', `poller${i + 1}`, validName(names));
    const address = await a.input(`${p}.address`, `Address of ${name}`, '', validAddress(addresses));
    const placed = Object.values(hosts).flatMap((h) => h.roles);
    const choices = [...AGENT_ROLES, ...MASTER_SERVICES.filter((s) => !placed.includes(s))];
    const roles = await a.checkbox(`${p}.roles`, `What runs on ${name}?`, choices, ['poller'], (xs) =>
      xs.length ? true : 'choose at least one',
    );
    const host: RawHost = { address, roles: roles as Role[] };
    if (roles.includes('poller'))
      host.agent = {
        distributed_poller_group: groups(await a.input(`${p}.groups`, `Poller groups ${name} polls`, '0', validGroups)),
      };
    hosts[name] = host;
  }
}

/** Each master service no host took yet goes where the user says (exactly one host runs each). */
async function placeServices(a: Asker, hosts: Record<string, RawHost>, masterName: string): Promise<void> {
  for (const s of MASTER_SERVICES) {
    if (Object.values(hosts).some((h) => h.roles.includes(s))) continue;
    const on = await a.select(
      `services.${s}`,
      `Which host runs ${s}? (exactly one must)`,
      Object.keys(hosts),
      masterName,
    );
    hosts[on]?.roles.push(s);
  }
}

/** Worker counts and frequencies: LibreNMS's unless the user wants others (defaults.agent). */
async function askAgentSettings(a: Asker): Promise<Partial<AgentSettings>> {
  const agent: Partial<AgentSettings> = {};
  const keep =
    "Keep LibreNMS's worker counts and frequencies " +
    '(poller 24 every 300 s, discovery 16 every 21600 s, ping 8 every 120 s)?';
  if (await a.confirm('agent.librenms_defaults', keep, true)) return agent;
  const settings: [keyof AgentSettings, string, number, number][] = [
    ['service_poller_workers', 'Poller workers per host', 1, 1024],
    ['service_poller_frequency', 'Seconds between polls of a device', 10, 86400],
    ['service_discovery_workers', 'Discovery workers per host', 1, 1024],
    ['service_discovery_frequency', 'Seconds between discoveries of a device', 60, 604800],
    ['service_ping_workers', 'Ping workers per host', 1, 1024],
    ['service_ping_frequency', 'Seconds between pings of a device', 10, 86400],
  ];
  for (const [k, msg, lo, hi] of settings)
    (agent as Record<string, number>)[k] = Number(
      await a.input(`agent.${k}`, msg, String(DEFAULT_AGENT_SETTINGS[k]), validCount(lo, hi)),
    );
  return agent;
}

/** The web/API: its certificate, server name and the master's firewall (cluster.web, tls, firewall). */
async function askWeb(
  a: Asker,
  hosts: Record<string, RawHost>,
  fallbackName: string,
): Promise<Pick<RawHostsFile['cluster'], 'web' | 'tls' | 'firewall'>> {
  const tlsMode = await a.select('tls', 'TLS certificate for the web/API', ['self-signed', 'files'], 'self-signed');
  const tls: { cert?: string; key?: string } = {};
  if (tlsMode === 'files') {
    tls.cert = absolutePath(await a.input('tls.cert', 'Certificate file (PEM)', '', validFile('certificate')));
    tls.key = absolutePath(await a.input('tls.key', 'Its private key file (PEM)', '', validFile('key file')));
  }
  const webHost = Object.values(hosts).find((h) => h.roles.includes('web'));
  const serverName = await a.input(
    'server_name',
    'Server name for the web/API (certificate name)',
    webHost?.address || fallbackName,
    (s) => (s ? true : 'a name is required'),
  );
  const firewall = await a.confirm(
    'firewall',
    'Open the master ports to cluster members only (nftables firewall)?',
    true,
  );
  return { web: { https_port: 443, http_port: 80, server_name: serverName }, tls, firewall };
}

/** Flattens an answers file into question keys (`master: {address: x}` → `master.address`). */
export function flattenAnswers(data: unknown, file: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new UsageError(`${file}: must be a mapping of answers (see docs/inventory.md)`);
  const walk = (v: unknown, key: string): void => {
    if (key === 'pollers' && Array.isArray(v)) {
      out.set('pollers', v.length);
      v.forEach((p, i) => walk(p, `pollers[${i}]`));
    } else if (key === 'tls' && v !== null && typeof v === 'object') {
      out.set('tls', 'files');
      for (const [k, x] of Object.entries(v)) walk(x, `tls.${k}`);
    } else if (key === 'agent' && v !== null && typeof v === 'object') {
      out.set('agent.librenms_defaults', false);
      for (const [k, x] of Object.entries(v)) walk(x, `agent.${k}`);
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, key ? `${key}.${k}` : k);
    } else out.set(key, v);
  };
  walk(data, '');
  return out;
}
