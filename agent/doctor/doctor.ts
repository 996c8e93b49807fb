// `nms-agent doctor`: this node's view of its own health, for a human and for `nms status`
// (which runs it on every node over SSH and reads the JSON: lib/contracts/doctor.ts, documented
// in docs/agent-coordination.md). The checks are named objects (checks.ts); this file runs them.
// Every check is bounded by a timeout and reports a `fix` when it fails; nothing here changes
// state except a short-lived probe key in memcached.
import { Redis } from 'ioredis';
import { loadNodeConfig, type NodeConfig } from '../../lib/node-config.js';
import { appKeyFingerprint } from '../../lib/crypto.js';
import { RrdcachedClient } from '../../lib/rrdcached.js';
import { withTimeout } from '../../lib/timeout.js';
import {
  DOCTOR_CHECK_NAMES,
  DOCTOR_SCHEMA,
  type DoctorCheck,
  type DoctorCheckName,
  type DoctorReport,
} from '../../lib/contracts/doctor.js';
import { CoordKeys, keyPrefixFromEnv } from '../coord/keys.js';
import { Registry } from '../registry/registry.js';
import { redisOptions } from '../daemon/connections.js';
import { AGENT_VERSION } from '../daemon/agent.js';
import { checkSupervision, type SupervisionOptions } from './supervision.js';
import { CheckFailed, NODE_CHECKS, UNREACHABLE, type Check, type DoctorContext } from './checks.js';

export interface DoctorOptions {
  envPath: string;
  /** Per-check timeout. Default 3000 ms. */
  timeoutMs?: number;
  /** Largest clock skew counted as healthy. Default 2000 ms. */
  maxSkewMs?: number;
  /** Where and how the agent's supervisor is read (agent/doctor/supervision.ts). */
  supervision?: SupervisionOptions;
}

export const DEFAULT_DOCTOR_OPTIONS = { timeoutMs: 3000, maxSkewMs: 2000 };

type Options = DoctorOptions & typeof DEFAULT_DOCTOR_OPTIONS;

/** What the first two checks share: the options, and the configuration once it is read. */
interface StartContext {
  o: Options;
  cfg?: NodeConfig;
}

const CRASH_LOOP_FIX =
  'read the last lines of /var/log/nms/agent.log (or `journalctl -u nms-agent`) for why it stops, mend that ' +
  '(often .env or config.yaml: `nms deploy` rewrites them); it keeps being restarted';

const config: Check<StartContext> = {
  name: 'config',
  fix: 'run `nms deploy` for this node (it rewrites .env and config.yaml), or fix the file named above',
  async run(ctx) {
    const cfg = loadNodeConfig(ctx.o.envPath);
    keyPrefixFromEnv();
    ctx.cfg = cfg;
    return `${cfg.envPath} and ${cfg.settingsPath} read`;
  },
};

const supervisor: Check<StartContext> = {
  name: 'supervisor',
  fix: 'read the agent log',
  async run(ctx) {
    const v = await checkSupervision(ctx.o.supervision);
    if (v.ok) return v.detail;
    const restart = 'restart the agent with `/etc/init.d/nms-agent restart` (it starts the supervisor)';
    throw new CheckFailed(v.detail, v.crashLoop ? CRASH_LOOP_FIX : restart);
  },
};

/** Runs one check within the timeout; the result goes into the report. Resolves true when ok. */
async function runCheck<C>(check: Check<C>, ctx: C, report: DoctorReport, timeoutMs: number): Promise<boolean> {
  const t0 = Date.now();
  try {
    const detail = await withTimeout(check.run(ctx), timeoutMs, check.name);
    report.checks.push({ name: check.name, ok: true, detail, ms: Date.now() - t0 });
    return true;
  } catch (err) {
    const e = err as Error & { code?: string };
    const failed = e instanceof CheckFailed;
    const detail = failed ? e.message : `${e.message || e.code || String(err)}`;
    report.checks.push({ name: check.name, ok: false, detail, fix: failed ? e.fix : check.fix, ms: Date.now() - t0 });
    return false;
  }
}

/** One chain of checks, in order; a check whose prerequisite did not pass is "not checked". */
async function runChain(chain: Check<DoctorContext>[], ctx: DoctorContext): Promise<void> {
  const passed = new Set<DoctorCheckName>();
  for (const check of chain) {
    if (check.when && !check.when(ctx)) continue;
    if (check.needs && !passed.has(check.needs)) {
      const detail = `not checked: ${UNREACHABLE[check.needs] ?? `${check.needs} failed`}`;
      ctx.report.checks.push({ name: check.name, ok: false, detail, fix: `fix the ${check.needs} check first`, ms: 0 });
      continue;
    }
    if (await runCheck(check, ctx, ctx.report, ctx.timeoutMs)) passed.add(check.name);
  }
}

function nodeContext(cfg: NodeConfig, report: DoctorReport, o: Options): DoctorContext {
  const s = cfg.settings;
  const keys = new CoordKeys(keyPrefixFromEnv());
  const redis = new Redis({
    ...redisOptions(cfg.env),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: o.timeoutMs,
  });
  redis.on('error', () => {});
  return {
    cfg,
    report,
    timeoutMs: o.timeoutMs,
    maxSkewMs: o.maxSkewMs,
    keys,
    redis,
    registry: new Registry({
      host: s.distributed_poller_memcached_host,
      port: s.distributed_poller_memcached_port,
      keys,
      timeoutSeconds: o.timeoutMs / 1000,
    }),
    rrd: new RrdcachedClient({ address: s.rrdcached, connectTimeoutMs: o.timeoutMs, commandTimeoutMs: o.timeoutMs }),
  };
}

async function closeContext(ctx: DoctorContext): Promise<void> {
  ctx.registry.close();
  ctx.redis.disconnect();
  await ctx.rrd.close().catch(() => {});
  await ctx.db?.end().catch(() => {});
}

function emptyReport(): DoctorReport {
  return {
    schema: DOCTOR_SCHEMA,
    healthy: false,
    checked_at: new Date().toISOString(),
    version: AGENT_VERSION,
    node_id: null,
    poller_name: null,
    groups: [],
    app_key_fingerprint: null,
    clock_skew_ms: null,
    registry: null,
    dispatcher: null,
    checks: [],
  };
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const o: Options = { ...DEFAULT_DOCTOR_OPTIONS, ...options };
  const report = emptyReport();
  const start: StartContext = { o };
  await runCheck(config, start, report, o.timeoutMs);
  // before the early return: an agent that dies on a bad config is in a crash loop too
  await runCheck(supervisor, start, report, o.timeoutMs);
  const cfg = start.cfg;
  if (!cfg) return finish(report);
  report.node_id = cfg.env.NODE_ID;
  report.poller_name = cfg.settings.distributed_poller_name;
  report.groups = cfg.settings.distributed_poller_group;
  report.app_key_fingerprint = appKeyFingerprint(cfg.env.APP_KEY);
  const ctx = nodeContext(cfg, report, o);
  try {
    await Promise.all(NODE_CHECKS.map((chain) => runChain(chain, ctx)));
  } finally {
    await closeContext(ctx);
  }
  return finish(report);
}

/** Checks only some nodes have (by role). */
const OPTIONAL = new Set<DoctorCheckName>(['syslog']);

function finish(r: DoctorReport): DoctorReport {
  const order = (c: DoctorCheck) => DOCTOR_CHECK_NAMES.indexOf(c.name);
  r.checks.sort((a, b) => order(a) - order(b));
  r.healthy =
    r.checks.length > 0 &&
    r.checks.every((c) => c.ok) &&
    DOCTOR_CHECK_NAMES.every((n) => OPTIONAL.has(n) || r.checks.some((c) => c.name === n));
  return r;
}

export function formatDoctor(r: DoctorReport): string {
  const verdict = r.healthy ? 'healthy' : 'UNHEALTHY';
  const lines = [`nms-agent doctor: node ${r.node_id ?? '?'} (${r.poller_name ?? '?'}): ${verdict}`];
  for (const c of r.checks) {
    lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(10)} ${c.detail}`);
    if (!c.ok && c.fix) lines.push(`       ${''.padEnd(10)} fix: ${c.fix}`);
  }
  return lines.join('\n') + '\n';
}
