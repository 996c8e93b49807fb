// One host's deploy: facts once (the request built from the layout, nothing rendered), the plan
// rendered once, the decision (decide.ts, pure), then the executor (execute.ts) runs it in three
// stages: the system, the database (on the MariaDB host, which then opens the pollers' barrier)
// and the agent. Handlers are written to the host's pending list before anything acts on them
// and removed only after they ran, so a killed run restarts the right services on the next one.
import { DeployError } from '../../lib/errors.js';
import type { HostSpec } from '../inventory/types.js';
import type { SshHost } from '../ssh/connection.js';
import type { DeployContext, HostResult } from './context.js';
import { queryDevices } from './database-run.js';
import { deviceOperations } from './decide-db.js';
import { leftoverHandlers, operations } from './decide.js';
import { Executor } from './execute.js';
import { factsScript, parseFacts, type Facts } from './facts.js';
import { planLayout, type LayoutInputs } from './layout.js';
import { selfSignedMarker } from './operations.js';
import { buildPlan, checkRendered, type HostPlan } from './plan.js';
import { DEBIAN, profileFor, type OsProfile } from './profile.js';
import { NMS_USER } from './values.js';
import { ensureAdminSecret, firstAdminSql } from './web-admin.js';

export class HostDeploy {
  private readonly exec: Executor;

  constructor(
    private readonly ctx: DeployContext,
    private readonly host: HostSpec,
    private readonly ssh: SshHost,
    private readonly r: HostResult,
  ) {
    this.exec = new Executor(ctx, host.name, ssh, r);
  }

  async run(): Promise<void> {
    const { profile, facts } = await this.factsAndProfile();
    const plan = buildPlan({
      ...this.layoutInputs(profile),
      renderer: this.ctx.renderer,
      systemd: facts.systemd,
      existingNodeId: facts.nodeId,
      hostNode: facts.node && facts.node.major >= 20 ? facts.node.path : undefined,
    });
    checkRendered(plan);
    const left = leftoverHandlers(facts);
    if (left.length) this.exec.note(`restarts left over from an interrupted run: ${left.join(', ')}`);

    const d = operations(plan, facts, {
      inventory: this.ctx.inventory,
      prune: this.ctx.prune,
      check: this.ctx.check,
      firstAdminSql: await this.firstAdmin(plan),
    });
    await this.exec.stage(d, 'system');
    if (plan.database) {
      this.r.warnings.push(...d.warnings);
      await this.exec.stage(d, 'database');
      if (d.devicesAfterSchema) await this.devicesAfterSchema();
      this.ctx.databaseReady.open();
    } else {
      await this.ctx.databaseReady.done;
    }
    await this.exec.stage(d, 'agent');
  }

  private layoutInputs(profile: OsProfile): Omit<LayoutInputs, 'systemd'> {
    return {
      inventory: this.ctx.inventory,
      host: this.host,
      profile,
      agentBundle: this.ctx.agentBundle,
      localNodePath: process.execPath,
    };
  }

  /** Facts with the inventory's OS profile, or the detected one (a second round trip). */
  private async factsAndProfile(): Promise<{ profile: OsProfile; facts: Facts }> {
    let profile = this.host.os ? profileFor(this.host.os) : DEBIAN;
    let facts = await this.gather(profile);
    const detected = profileFor(facts.os.id, facts.os.idLike);
    if (!this.host.os && detected !== profile) {
      profile = detected;
      facts = await this.gather(profile);
    }
    return { profile, facts };
  }

  private async gather(profile: OsProfile): Promise<Facts> {
    // the init system and the Node runtime are facts still to learn: ask about the paths of both
    const inputs = this.layoutInputs(profile);
    const sysv = planLayout({ ...inputs, systemd: false });
    const withSystemd = planLayout({ ...inputs, systemd: true });
    const paths = new Set([...sysv.dirs, ...sysv.files, ...withSystemd.files].map((f) => f.path));
    if (sysv.selfSignedCert) {
      const c = sysv.selfSignedCert;
      for (const p of [c.cert, c.key, selfSignedMarker(c.cert)]) paths.add(p);
    }
    const script = factsScript({
      packages: sysv.packages,
      users: [NMS_USER],
      paths: [...paths],
      services: [
        ...sysv.services
          .filter((s) => s.key !== 'firewall')
          .map((s) => ({ name: s.name, process: profile.processNames[s.key] })),
        { name: profile.serviceNames.agent },
      ],
      firewall: sysv.firewall,
      envPath: '/etc/nms/.env',
      database: sysv.database ? this.ctx.inventory.cluster.mariadb.database : undefined,
      dbAdminPassword: this.ctx.inventory.secrets.db_admin_password,
      packageFactsCommand: (p) => profile.packageFactsCommand(p),
    });
    const t0 = Date.now();
    const r = await this.ssh.run('sh -s', { stdin: script });
    this.r.timings.factsMs += Date.now() - t0;
    if (r.code !== 0) {
      const said = r.stderr.trim().split('\n').slice(-3).join(' | ');
      throw new DeployError(`gathering facts failed (exit ${r.code}): ${said}`);
    }
    return parseFacts(r.stdout);
  }

  /** The first administrator's SQL on the MariaDB host (not under --check: it may write secrets.yaml). */
  private async firstAdmin(plan: HostPlan): Promise<string | undefined> {
    if (!plan.database || this.ctx.check) return undefined;
    ensureAdminSecret(this.ctx.inventory);
    return firstAdminSql(this.ctx.inventory);
  }

  /** The schema did not exist when the facts were read: read the devices now that it does. */
  private async devicesAfterSchema(): Promise<void> {
    const inv = this.ctx.inventory;
    const rows = await queryDevices(this.ssh, inv.cluster.mariadb.database, inv.secrets.db_admin_password);
    const dev = deviceOperations(inv, rows, this.ctx.prune);
    this.r.warnings.push(...dev.warnings);
    this.r.ok += dev.ok.length;
    await this.exec.run(dev.ops.map((o) => ({ stage: 'database' as const, ...o })));
  }
}
