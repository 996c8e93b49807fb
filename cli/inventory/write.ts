// Writing inventories: whole new ones (`nms init inventory`, `nms lab up`) and small edits that
// keep the user's comments and layout (yaml's Document API): hosts, devices, db passwords.
// secrets.yaml is always written to a temporary file created with mode 0600, then renamed, so
// it is never readable by others, not even for a moment, and never half-written.
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Document, isMap, isScalar, isSeq, parseDocument, visit } from 'yaml';
import { generateAppKey, generateSecret } from '../../lib/crypto.js';
import { UsageError } from '../../lib/errors.js';
import { repoRoot } from '../../lib/repo-root.js';
import { DEVICES_FILE, HOSTS_FILE, SECRETS_FILE, type RawDevice, type RawHost, type RawHostsFile } from './load.js';
import type { Secrets } from './types.js';

/** Fresh secrets from the CSPRNG: APP_KEY, Redis password, API token, one db password per host. */
export function generateSecrets(hostNames: string[]): Secrets {
  return {
    app_key: generateAppKey(),
    redis_password: generateSecret(24),
    api_token: generateSecret(32),
    db_passwords: Object.fromEntries(hostNames.map((n) => [n, generateSecret(24)])),
    web_admin_password: generateSecret(18),
  };
}

/** Writes `text` to `file` through a temporary file and a rename; `mode` applies from creation. */
export function writeFileAtomic(file: string, text: string, mode = 0o644): void {
  const tmp = join(dirname(file), `.${Math.random().toString(36).slice(2)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
}

/** The `$schema` comment for YAML files in `dir`, pointing at docs/inventory.schema.json. */
export function schemaComment(dir: string): string {
  const file = join(repoRoot(), 'docs', 'inventory.schema.json');
  const schema = existsSync(file) ? relative(resolve(dir), file) : 'docs/inventory.schema.json';
  return ` yaml-language-server: $schema=${schema}`;
}

const SECRETS_HEADER =
  ' Secrets of this cluster: keep this file mode 0600 and out of version control.\n' +
  " nms never prints these values. Lose app_key and devices' stored credentials cannot be read.";

export function writeSecrets(dir: string, secrets: Secrets): void {
  const doc = new Document(secrets);
  doc.commentBefore = SECRETS_HEADER;
  writeFileAtomic(join(dir, SECRETS_FILE), doc.toString({ lineWidth: 0 }), 0o600);
}

/** The secrets of an inventory, unchecked (loadInventory checks them). */
export function readSecrets(dir: string): Secrets {
  const file = join(dir, SECRETS_FILE);
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const data = doc.errors.length ? undefined : doc.toJS();
  if (data === null || typeof data !== 'object')
    throw new UsageError(`${file} does not parse; run \`nms inventory check -i ${dir}\``);
  return data as Secrets;
}

export interface NewInventory {
  hosts: RawHostsFile;
  devices?: RawDevice[];
  secrets: Secrets;
  /** A comment for the top of hosts.yaml (after the schema line). */
  comment?: string;
}

/** YAML as a person would write it: lists of plain values and small mappings on one line. */
export function compactYaml(data: unknown): string {
  const doc = new Document(data);
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((i) => isScalar(i))) node.flow = true;
    },
    Map(_, node) {
      if (
        node.items.length <= 4 &&
        node.items.every((p) => isScalar(p.value) || (isSeq(p.value) && p.value.items.every((i) => isScalar(i))))
      )
        node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** Writes hosts.yaml, devices.yaml (when there are devices) and secrets.yaml (0600) into `dir`. */
export function writeInventory(dir: string, inv: NewInventory): void {
  mkdirSync(dir, { recursive: true });
  const head = '#' + schemaComment(dir) + '\n' + (inv.comment ? inv.comment.replace(/^/gm, '# ') + '\n' : '');
  writeFileAtomic(join(dir, HOSTS_FILE), head + compactYaml(inv.hosts));
  if (inv.devices?.length)
    writeFileAtomic(
      join(dir, DEVICES_FILE),
      '#' + schemaComment(dir) + '\n' + compactYaml({ devices: inv.devices }),
      DEVICES_FILE_MODE,
    );
  writeSecrets(dir, inv.secrets);
}

function editYaml(file: string, edit: (doc: Document.Parsed) => void, mode = 0o644): void {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  if (doc.errors.length) throw new UsageError(`${file} does not parse; run \`nms inventory check\` first`);
  edit(doc);
  writeFileAtomic(file, doc.toString({ lineWidth: 0 }), mode);
}

/** devices.yaml holds SNMP credentials: mode 0600, like secrets.yaml. */
export const DEVICES_FILE_MODE = 0o600;

/** Makes an existing devices.yaml private (inventories written before it had to be). */
export function privateDevicesFile(dir: string): void {
  const file = join(dir, DEVICES_FILE);
  if (existsSync(file)) chmodSync(file, DEVICES_FILE_MODE);
}

/** Sets (or replaces) the MariaDB password of host `name`; a new random one when not given. */
export function setDbPassword(dir: string, name: string, password = generateSecret(24)): void {
  const file = join(dir, SECRETS_FILE);
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.setIn(['db_passwords', name], password);
  writeFileAtomic(file, doc.toString({ lineWidth: 0 }), 0o600);
}

export function removeDbPassword(dir: string, name: string): void {
  const file = join(dir, SECRETS_FILE);
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.deleteIn(['db_passwords', name]);
  writeFileAtomic(file, doc.toString({ lineWidth: 0 }), 0o600);
}

/** Adds host `name` to hosts.yaml (comments kept) and gives it a db password. */
export function addHost(dir: string, name: string, host: RawHost): void {
  editYaml(join(dir, HOSTS_FILE), (doc) => {
    if (doc.hasIn(['hosts', name])) throw new UsageError(`host ${name} is already in ${join(dir, HOSTS_FILE)}`);
    const node = doc.createNode(host);
    for (const k of ['roles', 'agent', 'ssh']) {
      const v = node.get(k, true);
      if (isMap(v) || isSeq(v)) v.flow = true;
    }
    doc.setIn(['hosts', name], node);
  });
  setDbPassword(dir, name);
}

/** Removes host `name` from hosts.yaml and its db password from secrets.yaml. */
export function removeHost(dir: string, name: string): void {
  editYaml(join(dir, HOSTS_FILE), (doc) => {
    if (!doc.hasIn(['hosts', name])) throw new UsageError(`host ${name} is not in ${join(dir, HOSTS_FILE)}`);
    doc.deleteIn(['hosts', name]);
  });
  removeDbPassword(dir, name);
}

/** Appends a device to devices.yaml (created when missing). */
export function addDevice(dir: string, device: RawDevice): void {
  const file = join(dir, DEVICES_FILE);
  if (!existsSync(file)) writeFileAtomic(file, '#' + schemaComment(dir) + '\ndevices: []\n', DEVICES_FILE_MODE);
  editYaml(
    file,
    (doc) => {
      const list = doc.get('devices', true);
      const exists = (doc.toJS() as { devices?: RawDevice[] }).devices?.some(
        (d) => d.hostname === device.hostname && (d.port ?? 161) === (device.port ?? 161),
      );
      if (exists) throw new UsageError(`device ${device.hostname} port ${device.port ?? 161} is already in ${file}`);
      const node = doc.createNode(device);
      node.flow = true;
      if (isSeq(list)) {
        list.flow = false;
        list.items.push(node);
      } else doc.set('devices', doc.createNode([device]));
    },
    DEVICES_FILE_MODE,
  );
}

/** Removes the device with this hostname (and port, when given); returns how many were removed. */
export function removeDevice(dir: string, hostname: string, port?: number): number {
  let removed = 0;
  editYaml(
    join(dir, DEVICES_FILE),
    (doc) => {
      const list = doc.get('devices', true);
      if (!isSeq(list)) return;
      const data = (doc.toJS() as { devices: RawDevice[] }).devices;
      for (let i = data.length - 1; i >= 0; i--) {
        if (data[i].hostname === hostname && (port === undefined || (data[i].port ?? 161) === port)) {
          list.items.splice(i, 1);
          removed++;
        }
      }
    },
    DEVICES_FILE_MODE,
  );
  return removed;
}
