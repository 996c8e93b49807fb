// The alert engine: run by the elected dispatcher only (agent/daemon wires it to the
// dispatcher's tick), so rules are evaluated once per cluster whatever the number of agents.
// Every `interval` seconds it evaluates the rules (rules.ts), applies the state machine
// (state.ts) and writes each rule's changes in batches (changes.ts); on every tick it delivers
// the outbox (outbox.ts), which also finishes what a previous dispatcher left unsent.
import type { ResultSetHeader } from 'mysql2/promise';
import type { Db } from '../db/index.js';
import type { Logger } from '../../lib/log.js';
import type { AlertRuleConfig, AlertsConfig, TransportConfig } from '../../lib/alerts.js';
import { decide } from './state.js';
import { existingTables, RULE_QUERIES, type Fault, type RuleContext } from './rules.js';
import { alertKey, openAlerts, syncRules, type AlertRow } from './store.js';
import { applyChanges, type RuleChanges } from './changes.js';
import { deliverDue } from './outbox.js';
import { makeTransport, type Transport } from './transports/index.js';
import { throttled } from '../../lib/throttle.js';

export interface AlertEngineOptions {
  db: Db;
  log: Logger;
  /** Names this engine in outbox claims (the dispatcher's owner token). */
  owner: string;
  /** The alerting configuration, read at each round (so SIGHUP changes apply). */
  config: () => AlertsConfig;
  /** service_poller_frequency in seconds (poller_down's cycle). */
  pollerFrequency: () => number;
}

export interface EvaluationResult {
  rules: number;
  raised: number;
  recovered: number;
}

export class AlertEngine {
  private running?: Promise<void>;
  private lastEval = 0;
  private configKey = '';
  private ruleIds = new Map<string, number>();
  private transports = new Map<string, { config: TransportConfig; transport: Transport }>();
  private closed = false;
  /** A round fails every tick while MariaDB is away: one warning per minute says so. */
  private readonly warn = throttled(
    (err, repeats) => this.o.log.warn('alerts_round_failed', { err: err.message, repeats }),
    60_000,
  );

  constructor(private readonly o: AlertEngineOptions) {}

  /** Called on every dispatcher tick; does nothing unless master and idle. Never throws. */
  onTick(master: boolean): void {
    if (!master || this.running || this.closed) return;
    this.running = this.round()
      .catch((err) => this.warn(err as Error))
      .finally(() => (this.running = undefined));
  }

  private async round(): Promise<void> {
    const cfg = this.o.config();
    await this.applyConfig(cfg);
    if (Date.now() - this.lastEval >= cfg.interval * 1000) {
      this.lastEval = Date.now();
      const r = await this.evaluate(cfg);
      if (r.raised || r.recovered) this.o.log.info('alerts_evaluated', { ...r });
    }
    await deliverDue({ db: this.o.db, log: this.o.log, owner: this.o.owner }, this.transports);
  }

  private async applyConfig(cfg: AlertsConfig): Promise<void> {
    const key = JSON.stringify(cfg);
    if (key === this.configKey) return;
    this.ruleIds = await syncRules(this.o.db, cfg.rules);
    this.transports = new Map(cfg.transports.map((t) => [t.name, { config: t, transport: makeTransport(t) }]));
    this.configKey = key;
    this.lastEval = 0;
  }

  /** One evaluation of every rule. Public for tests. */
  async evaluate(cfg: AlertsConfig, now = Date.now()): Promise<EvaluationResult> {
    await this.applyConfig(cfg);
    const tables = await existingTables(this.o.db);
    const ctx: RuleContext = { db: this.o.db, pollerFrequency: this.o.pollerFrequency(), tables, now, log: this.o.log };
    const result: EvaluationResult = { rules: 0, raised: 0, recovered: 0 };
    for (const rule of cfg.rules) {
      const ruleId = this.ruleIds.get(rule.name);
      if (ruleId === undefined) continue;
      if (rule.disabled) {
        // a disabled rule's alerts close without a notification
        await this.o.db.query<ResultSetHeader>(
          `UPDATE alerts SET state = 0, open = 0, pending_since = NULL
           WHERE rule_id = ? AND (state <> 0 OR pending_since IS NOT NULL)`,
          [ruleId],
        );
        continue;
      }
      const faults = await RULE_QUERIES[rule.kind](ctx, rule);
      if (faults === undefined) continue;
      result.rules++;
      const r = await this.applyRule(rule, ruleId, faults, now, this.transportsFor(rule, cfg));
      result.raised += r.raised;
      result.recovered += r.recovered;
    }
    return result;
  }

  private transportsFor(rule: AlertRuleConfig, cfg: AlertsConfig): string[] {
    const all = cfg.transports.map((t) => t.name);
    return rule.transports?.length ? all.filter((n) => rule.transports!.includes(n)) : all;
  }

  /** The rule's transitions (state.ts) from its faults now and its open alerts, written in batches. */
  private async applyRule(
    rule: AlertRuleConfig,
    ruleId: number,
    faults: Fault[],
    now: number,
    transports: string[],
  ): Promise<{ raised: number; recovered: number }> {
    const rows = await openAlerts(this.o.db, ruleId);
    const open = new Map<string, AlertRow>(rows.map((a) => [alertKey(a.deviceId, a.entity), a]));
    const x: RuleChanges = { rule, ruleId, transports, pend: [], unpend: [], raise: [], recover: [] };
    const seen = new Set<string>();
    for (const f of faults) {
      const key = alertKey(f.deviceId, f.entity);
      if (seen.has(key)) continue;
      seen.add(key);
      const t = decide(open.get(key), true, now, rule.delay);
      if (t === 'pend') x.pend.push(f);
      else if (t === 'alert') x.raise.push(f);
    }
    for (const [key, row] of open) {
      if (seen.has(key)) continue;
      const t = decide(row, false, now, rule.delay);
      if (t === 'unpend') x.unpend.push(row.id);
      else if (t === 'recover') x.recover.push(row.id);
    }
    return applyChanges(this.o.db, x);
  }

  /** Stops taking ticks and waits (bounded) for a round in progress. Safe to call twice. */
  async close(timeoutMs = 5000): Promise<void> {
    this.closed = true;
    const r = this.running;
    if (r) await Promise.race([r, new Promise((res) => setTimeout(res, timeoutMs).unref())]);
  }
}
