// Runs a deploy: every host in parallel, each in its own HostDeploy (one SSH connection, one
// facts round trip, then only the operations whose facts differ from the plan). One host's
// failure never stops the others; the result is a recap per host and an exit code.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeployError, HostKeyError, NmsError, UsageError } from '../../lib/errors.js';
import { repoRoot } from '../../lib/repo-root.js';
import type { HostSpec, Inventory } from '../inventory/types.js';
import { ConnectionLostError, sshForHost } from '../ssh/connection.js';
import { Barrier, emptyHostResult, type DeployContext, type HostResult } from './context.js';
import { SecretMasker } from './diff.js';
import { HostDeploy } from './host.js';
import { TemplateRenderer, defaultTemplatesDir } from './render.js';

export type { DeployContext, HostResult, HostStatus } from './context.js';
export { Barrier } from './context.js';

export interface DeployOptions {
  inventory: Inventory;
  /** Templates folder. Default: templates/ of this checkout, or $NMS_TEMPLATES. */
  templatesDir?: string;
  /** Agent bundle pushed to every node. Default: dist/nms-agent.mjs of this checkout. */
  agentBundlePath?: string;
  /** Report what would change; change nothing. Default false. */
  check?: boolean;
  /** Show file differences (secrets masked). Default false. */
  diff?: boolean;
  /** Only these inventory hosts. Default: all. */
  limit?: string[];
  /** The hosts, already chosen with selectHosts (instead of `limit`, so it runs once). */
  hosts?: HostSpec[];
  /** Remove devices and accounts that are no longer in the inventory. Default false. */
  prune?: boolean;
  /** Refuse hosts whose key is not in known_hosts yet. Default false (accept-new). */
  strictHostKeys?: boolean;
  /** Progress lines, already masked. */
  onEvent?: (host: string, message: string) => void;
}

/** The defaults of the optional DeployOptions flags (paths default to this checkout's). */
export const DEFAULT_DEPLOY_OPTIONS = { check: false, diff: false, prune: false, strictHostKeys: false } as const;

export interface DeployResult {
  check: boolean;
  hosts: HostResult[];
  exitCode: number;
  durationMs: number;
}

export const EXIT = { ok: 0, badInput: 2, failed: 3, unreachable: 4 } as const;

export function exitCodeFor(hosts: HostResult[]): number {
  if (hosts.some((h) => h.status === 'failed')) return EXIT.failed;
  if (hosts.some((h) => h.status === 'unreachable')) return EXIT.unreachable;
  return EXIT.ok;
}

function repoFile(...parts: string[]): string {
  return join(repoRoot(), ...parts);
}

export function selectHosts(inv: Inventory, limit?: string[]): HostSpec[] {
  if (!limit?.length) return inv.hosts;
  const names = new Set(inv.hosts.map((h) => h.name));
  const unknown = limit.filter((n) => !names.has(n));
  if (unknown.length)
    throw new UsageError(
      `--limit names host${unknown.length > 1 ? 's' : ''} not in the inventory: ${unknown.join(', ')}`,
      { hint: `hosts are: ${[...names].join(', ')}` },
    );
  return inv.hosts.filter((h) => limit.includes(h.name));
}

/** Reads the agent bundle and checks the templates folder: bad input stops before any SSH. */
function prepare(opts: DeployOptions): { agentBundle: Buffer; templatesDir: string } {
  const bundlePath = opts.agentBundlePath ?? repoFile('dist', 'nms-agent.mjs');
  let agentBundle: Buffer;
  try {
    agentBundle = readFileSync(bundlePath);
  } catch {
    throw new UsageError(`agent bundle ${bundlePath} is missing`, { hint: 'build it with `node scripts/build.mjs`' });
  }
  const templatesDir = opts.templatesDir ?? defaultTemplatesDir();
  if (!existsSync(join(templatesDir, 'nms', 'env.hbs')))
    throw new UsageError(`${templatesDir} is not a templates folder (no nms/env.hbs in it)`, {
      hint: 'check --templates or NMS_TEMPLATES',
    });
  return { agentBundle, templatesDir };
}

export async function deploy(opts: DeployOptions): Promise<DeployResult> {
  const t0 = Date.now();
  const inv = opts.inventory;
  const hosts = opts.hosts ?? selectHosts(inv, opts.limit);
  const { agentBundle, templatesDir } = prepare(opts);
  const masker = SecretMasker.forInventory(inv);
  const ctx: DeployContext = {
    inventory: inv,
    renderer: new TemplateRenderer(templatesDir),
    masker,
    agentBundle,
    // `??`, not a spread: commander passes absent flags as undefined
    check: opts.check ?? DEFAULT_DEPLOY_OPTIONS.check,
    diff: opts.diff ?? DEFAULT_DEPLOY_OPTIONS.diff,
    prune: opts.prune ?? DEFAULT_DEPLOY_OPTIONS.prune,
    databaseReady: new Barrier(),
    emit: (host, message) => opts.onEvent?.(host, masker.mask(message)),
  };
  // nothing to wait for when the database host is not part of this run
  if (!hosts.some((h) => h.name === inv.services.mariadb.name) || ctx.check) ctx.databaseReady.open();
  const strictHostKeys = opts.strictHostKeys ?? DEFAULT_DEPLOY_OPTIONS.strictHostKeys;
  const results = await Promise.all(hosts.map((host) => deployHost(ctx, host, strictHostKeys)));
  return { check: ctx.check, hosts: results, exitCode: exitCodeFor(results), durationMs: Date.now() - t0 };
}

/** One host, start to end; whatever happens it returns its result (and opens the barrier). */
async function deployHost(ctx: DeployContext, host: HostSpec, strictHostKeys: boolean): Promise<HostResult> {
  const inv = ctx.inventory;
  const started = Date.now();
  const ssh = sshForHost(inv, host, {
    strictHostKeys,
    onNewHostKey: (name, fp) => ctx.emit(name, `new host key for ${name} recorded in known_hosts: ${fp}`),
  });
  const base = emptyHostResult(host.name);
  const isDbHost = host.name === inv.services.mariadb.name;
  try {
    await ssh.start();
    base.timings.connectMs = Date.now() - started;
  } catch (err) {
    if (isDbHost) ctx.databaseReady.open();
    const unreachable = !(err instanceof HostKeyError);
    return {
      ...base,
      status: unreachable ? 'unreachable' : 'failed',
      error: ctx.masker.mask((err as Error).message),
      durationMs: Date.now() - started,
    };
  }
  try {
    await new HostDeploy(ctx, host, ssh, base).run();
    base.status = base.changed > 0 ? 'changed' : 'ok';
  } catch (err) {
    base.status = err instanceof ConnectionLostError ? 'unreachable' : 'failed';
    base.error = ctx.masker.mask(
      err instanceof NmsError ? err.message : `internal error (a bug in nms): ${(err as Error)?.stack ?? err}`,
    );
  } finally {
    if (isDbHost) ctx.databaseReady.open();
    ssh.close();
  }
  base.durationMs = Date.now() - started;
  return base;
}

export { DeployError };
