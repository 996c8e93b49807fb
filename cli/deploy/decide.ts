// Deciding, apart from doing: operations(plan, facts) compares the wanted state of a host with
// its facts and returns the operations that close the difference, in order, and the names of
// the checks that found the host as wanted. Pure: no SSH, no clock (the one random part is the
// IV of the device credentials it encrypts, decide-db.ts); execute.ts runs the operations, or
// under --check only lists them. Handlers (restarts, migrations) are tracked here as the list
// is built: a changed file owes its service a restart, the service's operation pays it; a
// handler left over from an interrupted run (facts) is owed from the start.
import { databaseOperations, type DatabaseDecision, type DatabaseOptions } from './decide-db.js';
import type { Facts } from './facts.js';
import {
  clearPendingCommand,
  ensureDirCommand,
  ensureUserCommand,
  fileAttrsCommand,
  recordPendingCommand,
  selfSignedCertCommand,
  selfSignedMarker,
  serviceCommand,
  writeFileCommand,
} from './operations.js';
import type { Check, Op, Stage } from './op.js';
import type { FileSpec, HostPlan, ServiceSpec } from './plan.js';
import { HANDLER_KEYS, type HandlerKey } from './profile.js';
import { NMS_USER } from './values.js';

export type { Check, Op, Stage } from './op.js';

export interface Decision {
  ops: Op[];
  ok: Check[];
  warnings: string[];
  /**
   * The devices table does not exist yet (and this is no --check): the devices are compared
   * once the schema operation made it (deviceOperations). Under --check they are listed as new.
   */
  devicesAfterSchema: boolean;
}

/**
 * The inventory (accounts, devices), --prune, --check (nothing runs, so nothing is learnt after
 * the schema exists) and the first administrator's SQL (web-admin.ts; absent under --check).
 */
export type DecideOptions = DatabaseOptions;

/** Handlers a killed run left in the host's pending list (those this version knows). */
export function leftoverHandlers(facts: Facts): HandlerKey[] {
  return facts.pendingRestarts.filter((p): p is HandlerKey => (HANDLER_KEYS as readonly string[]).includes(p));
}

/** Builds the decision in order; `pending` holds the handlers owed so far. */
class Decider {
  readonly ops: Op[] = [];
  readonly ok: Check[] = [];
  readonly pending: Set<HandlerKey>;
  stage: Stage = 'system';

  constructor(
    readonly plan: HostPlan,
    readonly facts: Facts,
  ) {
    this.pending = new Set(leftoverHandlers(facts));
  }

  add(op: Omit<Op, 'stage'>): void {
    this.ops.push({ stage: this.stage, ...op });
  }

  fine(name: string): void {
    this.ok.push({ stage: this.stage, name });
  }

  packages(): void {
    const missing = this.plan.packages.filter((p) => !this.facts.packages[p]);
    if (!missing.length) return this.fine('packages');
    this.add({ title: `install packages ${missing.join(' ')}`, command: this.plan.profile.installCommand(missing) });
  }

  user(): void {
    if (this.facts.users[NMS_USER] && this.facts.groups.includes(NMS_USER)) return this.fine(`user ${NMS_USER}`);
    this.add({ title: `create service user ${NMS_USER}`, command: ensureUserCommand(NMS_USER) });
  }

  dirs(): void {
    for (const d of this.plan.dirs) {
      const f = this.facts.files[d.path];
      if (f && f.mode === d.mode && f.owner === d.owner && f.group === d.group) this.fine(`directory ${d.path}`);
      else
        this.add({
          title: `directory ${d.path} (${d.owner}:${d.group} ${d.mode.toString(8)})`,
          command: ensureDirCommand(d),
        });
    }
  }

  certificate(): void {
    const c = this.plan.selfSignedCert;
    if (!c) return;
    const files = this.facts.files;
    if (files[c.cert]?.sha256 && files[c.key]?.sha256 && files[selfSignedMarker(c.cert)])
      return this.fine(`certificate ${c.cert}`);
    this.add({
      title: `self-signed certificate for ${c.serverName}`,
      command: selfSignedCertCommand(c.cert, c.key, c.serverName) + '\n' + recordPendingCommand(['nginx']),
      notifies: ['nginx'],
    });
    this.pending.add('nginx');
  }

  file(f: FileSpec): void {
    const have = this.facts.files[f.path];
    // the service rewrites it: present is enough, whatever it holds now
    if (f.createOnce && have?.sha256) return this.fine(`file ${f.path}`);
    if (have?.sha256 === f.sha256) {
      if (have.mode === f.mode && have.owner === f.owner && have.group === f.group) return this.fine(`file ${f.path}`);
      this.add({
        title: `${f.path}: owner/mode ${f.owner}:${f.group} ${f.mode.toString(8)}`,
        command: fileAttrsCommand(f),
      });
      return;
    }
    // only the MariaDB host runs migrations
    const notify = (f.notify ?? []).filter((h) => h !== 'migrate' || this.plan.database);
    const exists = !!have?.sha256;
    const notes = notify.length ? ` (notifies ${notify.join(', ')})` : '';
    this.add({
      title: `${exists ? 'update' : 'create'} ${f.path}${notes}`,
      command: writeFileCommand(f, notify),
      stdin: f.content,
      write: { file: f, exists },
      ...(notify.length ? { notifies: notify } : {}),
    });
    for (const h of notify) this.pending.add(h);
  }

  /** Restart when a handler is owed, start when stopped, enable when not enabled. */
  service(s: ServiceSpec): void {
    const firewall = s.key === 'firewall';
    const fact = this.facts.services[firewall ? 'nftables' : s.name];
    const systemd = this.facts.systemd;
    const fw = firewall ? this.plan.profile.paths.nftablesConf : undefined;
    let acted = false;
    if (this.pending.has(s.key)) {
      this.add({
        title: `restart ${s.name}`,
        command: serviceCommand(s.name, 'restart', systemd, fw) + ' && ' + clearPendingCommand(s.key),
        runs: s.key,
      });
      this.pending.delete(s.key);
      acted = true;
    } else if (!fact?.running) {
      this.add({ title: `start ${s.name}`, command: serviceCommand(s.name, 'start', systemd, fw) });
      acted = true;
    }
    if (!fact?.enabled && !fw) {
      this.add({ title: `enable ${s.name}`, command: serviceCommand(s.name, 'enable', systemd) });
      acted = true;
    }
    if (!acted) this.fine(`service ${s.name}`);
  }

  /** A restart owed to a service this host no longer runs (its role moved) is forgotten. */
  forgetStale(): void {
    for (const stale of this.pending)
      this.add({ title: `forget pending ${stale} (not on this host any more)`, command: clearPendingCommand(stale) });
    this.pending.clear();
  }
}

/** What to do on a host, in order, so that it becomes what the plan says. */
export function operations(plan: HostPlan, facts: Facts, opts: DecideOptions): Decision {
  const d = new Decider(plan, facts);
  d.packages();
  d.user();
  d.dirs();
  d.certificate();
  for (const f of plan.files) d.file(f);
  for (const s of plan.services) d.service(s);
  let db: DatabaseDecision = { ops: [], ok: [], warnings: [], devicesAfterSchema: false };
  if (plan.database) {
    d.stage = 'database';
    db = databaseOperations(facts.db, d.pending, opts);
    for (const op of db.ops) d.add(op);
    for (const name of db.ok) d.fine(name);
  }
  d.stage = 'agent';
  d.service({ key: 'agent', name: plan.profile.serviceNames.agent });
  d.forgetStale();
  return { ops: d.ops, ok: d.ok, warnings: db.warnings, devicesAfterSchema: db.devicesAfterSchema };
}
