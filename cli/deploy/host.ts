// One host's deploy: facts once, then each kind of operation compares the plan with them and
// acts only on a difference. Handlers (restarts, migrations) are written to the host's
// pending list before anything acts on them and removed only after they ran, so a run that is
// killed half-way restarts the right services on the next run.
import { Readable } from 'node:stream';
import { DeployError } from '../../lib/errors.js';
import type { HostSpec } from '../inventory/types.js';
import { shq, type SshHost } from '../ssh/connection.js';
import { accountChanges, deviceChanges } from './database.js';
import { queryDevices, runSql } from './database-run.js';
import { ensureAdminSecret, firstAdminSql } from '../users/sql.js';
import { factsScript, parseFacts, type Facts } from './facts.js';
import {
  CHECK_FAILED_EXIT,
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
import { buildPlan, type FileSpec, type HostPlan, type ServiceSpec } from './plan.js';
import { DEBIAN, HANDLER_KEYS, profileFor, type HandlerKey, type OsProfile } from './profile.js';
import type { DeployContext, HostResult } from './runner.js';
import { AGENT_NODE, NMS_USER } from './values.js';

const DIFF_MAX_BYTES = 256 * 1024;

export class HostDeploy {
  /** Handlers owed on this host: left over from an earlier run, plus those this run notifies. */
  private pending = new Set<HandlerKey>();

  constructor(
    private readonly ctx: DeployContext,
    private readonly host: HostSpec,
    private readonly ssh: SshHost,
    private readonly r: HostResult,
  ) {}

  async run(): Promise<void> {
    let profile = this.host.os ? profileFor(this.host.os) : DEBIAN;
    let facts = await this.gather(profile);
    const detected = profileFor(facts.os.id, facts.os.idLike);
    if (!this.host.os && detected !== profile) {
      profile = detected;
      facts = await this.gather(profile);
    }
    const plan = buildPlan({
      inventory: this.ctx.inventory,
      host: this.host,
      profile,
      renderer: this.ctx.renderer,
      systemd: facts.systemd,
      existingNodeId: facts.nodeId,
      hostNode: facts.node && facts.node.major >= 20 ? facts.node.path : undefined,
      agentBundle: this.ctx.agentBundle,
      localNodePath: process.execPath,
    });
    for (const f of plan.files) {
      const problem = f.localCheck?.(f.content.toString('utf8'));
      if (problem) throw new DeployError(`${f.path} (from ${f.source}) is not valid: ${problem}`);
    }
    for (const p of facts.pendingRestarts)
      if ((HANDLER_KEYS as readonly string[]).includes(p)) this.pending.add(p as HandlerKey);
    if (this.pending.size) this.note(`restarts left over from an interrupted run: ${[...this.pending].join(', ')}`);

    await this.packages(plan, facts);
    await this.user(facts);
    await this.dirs(plan, facts);
    await this.certificate(plan, facts);
    for (const f of plan.files) await this.file(f, facts, plan);
    for (const s of plan.services) await this.service(s, plan, facts);
    if (plan.database) {
      await this.database(plan, facts);
      this.ctx.databaseReady.open();
    } else {
      await this.ctx.databaseReady.done;
    }
    await this.service({ key: 'agent', name: profile.serviceNames.agent }, plan, facts);
    // a restart owed to a service this host no longer runs (its role moved) is forgotten
    for (const stale of this.pending)
      await this.act(`forget pending ${stale} (not on this host any more)`, clearPendingCommand(stale));
  }

  private async gather(profile: OsProfile): Promise<Facts> {
    // a throwaway plan gives the paths; NODE_ID and the Node runtime do not change them
    const pre = buildPlan({
      inventory: this.ctx.inventory,
      host: this.host,
      profile,
      renderer: this.ctx.renderer,
      systemd: false,
      hostNode: '/usr/bin/node',
      agentBundle: this.ctx.agentBundle,
      localNodePath: process.execPath,
    });
    const paths = [
      ...pre.dirs.map((d) => d.path),
      ...pre.files.map((f) => f.path),
      AGENT_NODE,
      '/etc/systemd/system/nms-agent.service',
    ];
    if (pre.selfSignedCert)
      paths.push(pre.selfSignedCert.cert, pre.selfSignedCert.key, selfSignedMarker(pre.selfSignedCert.cert));
    const script = factsScript({
      packages: pre.packages,
      users: [NMS_USER],
      paths,
      services: [
        ...pre.services
          .filter((s) => s.key !== 'firewall')
          .map((s) => ({ name: s.name, process: profile.processNames[s.key] })),
        { name: profile.serviceNames.agent },
      ],
      firewall: pre.firewall,
      envPath: '/etc/nms/.env',
      database: pre.database ? this.ctx.inventory.cluster.mariadb.database : undefined,
      dbAdminPassword: this.ctx.inventory.secrets.db_admin_password,
      packageFactsCommand: (p) => profile.packageFactsCommand(p),
    });
    const t0 = Date.now();
    const r = await this.ssh.run('sh -s', { stdin: script });
    this.r.timings.factsMs += Date.now() - t0;
    if (r.code !== 0)
      throw new DeployError(
        `gathering facts failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    return parseFacts(r.stdout);
  }

  private note(message: string): void {
    this.ctx.emit(this.host.name, message);
  }

  private ok(): void {
    this.r.ok++;
  }

  /** Counts a change (the caller acts on it unless --check). */
  private record(title: string): void {
    this.r.changed++;
    this.r.changes.push(this.ctx.masker.mask(title));
    if (!this.ctx.check) this.note(title);
  }

  /** Records a change and, unless --check, runs it (a non-zero exit fails the host). */
  private async act(title: string, command: string, stdin?: string | Buffer): Promise<void> {
    this.record(title);
    if (this.ctx.check) return;
    const input = Buffer.isBuffer(stdin) ? Readable.from([stdin]) : stdin;
    const res = await this.ssh.run(command, { stdin: input });
    if (res.code !== 0)
      throw new DeployError(
        `${title}: ${(res.stderr || res.stdout).trim().split('\n').slice(-6).join('\n  ') || `exit ${res.code}`}`,
      );
  }

  private async packages(plan: HostPlan, facts: Facts): Promise<void> {
    const missing = plan.packages.filter((p) => !facts.packages[p]);
    if (!missing.length) return this.ok();
    await this.act(`install packages ${missing.join(' ')}`, plan.profile.installCommand(missing));
  }

  private async user(facts: Facts): Promise<void> {
    if (facts.users[NMS_USER] && facts.groups.includes(NMS_USER)) return this.ok();
    await this.act(`create service user ${NMS_USER}`, ensureUserCommand(NMS_USER));
  }

  private async dirs(plan: HostPlan, facts: Facts): Promise<void> {
    for (const d of plan.dirs) {
      const f = facts.files[d.path];
      if (f && f.mode === d.mode && f.owner === d.owner && f.group === d.group) {
        this.ok();
        continue;
      }
      await this.act(`directory ${d.path} (${d.owner}:${d.group} ${d.mode.toString(8)})`, ensureDirCommand(d));
    }
  }

  private async certificate(plan: HostPlan, facts: Facts): Promise<void> {
    const c = plan.selfSignedCert;
    if (!c) return;
    if (facts.files[c.cert]?.sha256 && facts.files[c.key]?.sha256 && facts.files[selfSignedMarker(c.cert)])
      return this.ok();
    await this.act(
      `self-signed certificate for ${c.serverName}`,
      selfSignedCertCommand(c.cert, c.key, c.serverName) + '\n' + recordPendingCommand(['nginx']),
    );
    this.pending.add('nginx');
  }

  private async file(f: FileSpec, facts: Facts, plan: HostPlan): Promise<void> {
    const have = facts.files[f.path];
    if (have?.sha256 === f.sha256) {
      if (have.mode === f.mode && have.owner === f.owner && have.group === f.group) return this.ok();
      await this.act(`${f.path}: owner/mode ${f.owner}:${f.group} ${f.mode.toString(8)}`, fileAttrsCommand(f));
      return;
    }
    const notify = (f.notify ?? []).filter((h) => h !== 'migrate' || plan.database);
    if (this.ctx.diff) await this.showDiff(f, !!have?.sha256);
    const title = `${have?.sha256 ? 'update' : 'create'} ${f.path}${notify.length ? ` (notifies ${notify.join(', ')})` : ''}`;
    this.record(title);
    for (const h of notify) this.pending.add(h);
    if (this.ctx.check) return;
    const res = await this.ssh.run(writeFileCommand(f, notify), { stdin: Readable.from([f.content]) });
    if (res.code === CHECK_FAILED_EXIT) {
      for (const h of notify) if (!this.ctx.check) this.pending.delete(h);
      throw new DeployError(
        `${f.path} (from ${f.source}) was rejected by \`${f.remoteCheck?.replace('{}', f.path + '.nms-new')}\`; the old file is unchanged:\n  ${this.ctx.masker.mask(res.stderr.trim()).split('\n').join('\n  ')}`,
      );
    }
    if (res.code !== 0)
      throw new DeployError(`${title}: ${(res.stderr || res.stdout).trim().split('\n').slice(-6).join('\n  ')}`);
  }

  private async showDiff(f: FileSpec, exists: boolean): Promise<void> {
    let text: string;
    if (f.secret) text = `--- ${f.path}\n+++ ${f.path}\n(secret contents changed)\n`;
    else if (f.binary || f.content.length > DIFF_MAX_BYTES)
      text = `--- ${f.path}\n+++ ${f.path}\n(binary or large file changed: ${f.content.length} bytes, sha256 ${f.sha256.slice(0, 16)}…)\n`;
    else {
      let old = '';
      if (exists) {
        const r = await this.ssh.run(`cat ${shq(f.path)}`);
        old = r.code === 0 ? r.stdout : '';
      }
      text = this.ctx.masker.diff(old, f.content.toString('utf8'), f.path);
    }
    this.r.diffs.push(this.ctx.masker.mask(text));
  }

  /** Restart when a handler is owed, start when stopped, enable when not enabled. */
  private async service(s: ServiceSpec, plan: HostPlan, facts: Facts): Promise<void> {
    const fact = facts.services[s.key === 'firewall' ? 'nftables' : s.name];
    const systemd = facts.systemd;
    const fw = s.key === 'firewall' ? plan.profile.paths.nftablesConf : undefined;
    let acted = false;
    if (this.pending.has(s.key)) {
      await this.act(
        `restart ${s.name}`,
        serviceCommand(s.name, 'restart', systemd, fw) + ' && ' + clearPendingCommand(s.key),
      );
      this.pending.delete(s.key);
      acted = true;
    } else if (!fact?.running) {
      await this.act(`start ${s.name}`, serviceCommand(s.name, 'start', systemd, fw));
      acted = true;
    }
    if (!fact?.enabled && !fw) {
      await this.act(`enable ${s.name}`, serviceCommand(s.name, 'enable', systemd));
      acted = true;
    }
    if (!acted) this.ok();
  }

  /** The web UI's first administrator (`web.admin_user`), created once; its password is in secrets.yaml. */
  private async webAdmin(admin: string | undefined): Promise<void> {
    const inv = this.ctx.inventory;
    ensureAdminSecret(inv);
    const out = await runSql(this.ssh, await firstAdminSql(inv), admin, 'web administrator', '-N -B');
    if (out.trim() === '1') this.record(`web: administrator ${inv.cluster.web.adminUser} (password in secrets.yaml)`);
    else this.ok();
  }

  private async database(plan: HostPlan, facts: Facts): Promise<void> {
    const inv = this.ctx.inventory;
    const admin = inv.secrets.db_admin_password;
    const changes = accountChanges(inv, facts.db, this.ctx.prune);
    if (changes.length) {
      // the schema follows the accounts: migrations run as this node's own account
      this.pending.add('migrate');
      await this.act(`database: ${changes.map((c) => c.what).join(', ')}`, recordPendingCommand(['migrate']));
      if (!this.ctx.check) await runSql(this.ssh, changes.map((c) => c.sql).join('\n'), admin, 'database accounts');
    } else this.ok();

    const hasSchema = facts.db?.tables.includes('devices') ?? false;
    if (!hasSchema) this.pending.add('migrate');
    if (this.pending.has('migrate')) {
      await this.act(
        'schema: nms-agent migrate',
        `/usr/local/bin/nms-agent migrate </dev/null 2>&1 && ${clearPendingCommand('migrate')}`,
      );
      this.pending.delete('migrate');
    } else this.ok();

    if (!this.ctx.check) await this.webAdmin(admin);
    if (this.ctx.check && !hasSchema) {
      if (inv.devices.length) this.record(`devices: add ${inv.devices.length}`);
      return;
    }
    const fromFacts = hasSchema && !!facts.db;
    const rows = fromFacts ? facts.db!.devices : await queryDevices(this.ssh, inv.cluster.mariadb.database, admin);
    const dc = deviceChanges(
      inv,
      rows,
      this.ctx.prune,
      fromFacts ? facts.db!.serviceDigests : undefined,
      fromFacts ? facts.db!.sshLogins : undefined,
    );
    if (dc.extra.length)
      this.r.warnings.push(
        `${dc.extra.length} device(s) in the database are not in the inventory (kept; --prune removes them): ${dc.extra.slice(0, 5).join(', ')}${dc.extra.length > 5 ? ', …' : ''}`,
      );
    if (!dc.sql) return this.ok();
    const parts = [
      dc.added.length && `add ${dc.added.length}`,
      dc.updated.length && `update ${dc.updated.length}`,
      dc.removed.length && `remove ${dc.removed.length}`,
      dc.services.length && `service checks of ${dc.services.length}`,
      dc.sshLogins.length && `SSH logins of ${dc.sshLogins.length}`,
    ].filter(Boolean);
    this.record(`devices: ${parts.join(', ')}`);
    if (!this.ctx.check)
      await runSql(this.ssh, `USE \`${inv.cluster.mariadb.database.replace(/`/g, '')}\`;\n${dc.sql}`, admin, 'devices');
  }
}
