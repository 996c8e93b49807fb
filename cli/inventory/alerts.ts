// `alerts.yaml` in an inventory (optional): alert rules and transports, checked like the other
// files (schema, normalise, rules; every problem with file:line and field path), plus the
// `alert_transports` section of secrets.yaml that holds the transports' secret fields. The
// result is what deploy writes for the agents: the rules and transports without secrets into
// config.yaml (`alerts`), the secrets into .env (ALERT_SECRETS). Built-in rules: lib/alerts.ts.
import { readFileSync } from 'node:fs';
import type { InventoryProblem } from '../../lib/errors.js';
import { DEFAULT_ALERT_RULES, RULE_KINDS, type AlertRuleConfig, type TransportSecrets } from '../../lib/alerts.js';
import { alertsFileSchema } from './alerts-schema.js';
import { checkSchema, parseSource, problemAt, type SourceFile } from './source.js';

export const ALERTS_FILE = 'alerts.yaml';

/** What deploy hands to the agents. */
export interface InventoryAlerts {
  /** config.yaml `alerts`: interval, defaults, rules (complete), transports without secrets. */
  settings: { interval?: number; defaults: boolean; rules: AlertRuleConfig[]; transports: Record<string, unknown>[] };
  /** .env ALERT_SECRETS. */
  secrets: TransportSecrets;
}

interface RawAlerts {
  interval?: number;
  defaults?: boolean;
  rules?: (Partial<AlertRuleConfig> | undefined)[];
  transports?: (Record<string, unknown> | undefined)[];
}

/** Reads and checks alerts.yaml; problems are appended (never thrown). */
export function loadAlerts(file: string, secrets: TransportSecrets | undefined, secretsSrc: SourceFile | undefined, problems: InventoryProblem[]): InventoryAlerts | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push({ file, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
    return undefined;
  }
  const { src, problems: syntax } = parseSource(file, text);
  problems.push(...syntax);
  if (syntax.length) return undefined;
  const checked = checkSchema(src, alertsFileSchema);
  problems.push(...checked.problems);
  const raw = (checked.data ?? {}) as RawAlerts;
  const rules = normaliseRules(src, raw, problems);
  const transports = (raw.transports ?? []).filter((t): t is Record<string, unknown> => t !== undefined);
  const names = new Set<string>();
  (raw.transports ?? []).forEach((t, i) => {
    if (!t?.name) return;
    const name = String(t.name);
    if (names.has(name)) problems.push(problemAt(src, ['transports', i, 'name'], `transport ${name} is defined twice`));
    names.add(name);
    const s = secrets?.[name] ?? {};
    const has = (k: string) => t[k] !== undefined || (s as Record<string, unknown>)[k] !== undefined;
    if ((t.type === 'webhook' || t.type === 'slack') && !has('url')) problems.push(problemAt(src, ['transports', i], `transport ${name} needs a url (here, or in secrets.yaml alert_transports.${name}.url)`));
    if (t.type === 'email') for (const k of ['host', 'from', 'to']) if (!has(k)) problems.push(problemAt(src, ['transports', i], `email transport ${name} needs ${k}`));
    if (t.type === 'email' && t.user !== undefined && !has('password')) problems.push(problemAt(src, ['transports', i, 'user'], `give its password in secrets.yaml alert_transports.${name}.password`));
  });
  (raw.rules ?? []).forEach((r, i) =>
    (r?.transports ?? []).forEach((n, j) => {
      if (!names.has(n)) problems.push(problemAt(src, ['rules', i, 'transports', j], `no transport named ${n} in ${ALERTS_FILE}`));
    }),
  );
  if (secretsSrc) for (const n of Object.keys(secrets ?? {})) if (!names.has(n)) problems.push(problemAt(secretsSrc, ['alert_transports', n], `no transport named ${n} in ${ALERTS_FILE}`, true));
  return {
    settings: { ...(raw.interval !== undefined ? { interval: raw.interval } : {}), defaults: raw.defaults ?? true, rules, transports },
    secrets: secrets ?? {},
  };
}

/** Complete rules: a rule named like a built-in one inherits what it leaves out. */
function normaliseRules(src: SourceFile, raw: RawAlerts, problems: InventoryProblem[]): AlertRuleConfig[] {
  const out: AlertRuleConfig[] = [];
  const seen = new Set<string>();
  (raw.rules ?? []).forEach((r, i) => {
    if (!r?.name) return;
    if (seen.has(r.name)) problems.push(problemAt(src, ['rules', i, 'name'], `rule ${r.name} is defined twice`));
    seen.add(r.name);
    const base = DEFAULT_ALERT_RULES.find((d) => d.name === r.name);
    const kind = r.kind ?? base?.kind;
    if (!kind) {
      problems.push(problemAt(src, ['rules', i], `rule ${r.name} needs a kind (one of ${RULE_KINDS.join(', ')}); only built-in rules (${DEFAULT_ALERT_RULES.map((d) => d.name).join(', ')}) may leave it out`));
      return;
    }
    if (r.threshold !== undefined && kind !== 'storage') problems.push(problemAt(src, ['rules', i, 'threshold'], 'threshold applies to kind storage only'));
    if (r.cycles !== undefined && kind !== 'poller_down') problems.push(problemAt(src, ['rules', i, 'cycles'], 'cycles applies to kind poller_down only'));
    out.push({ severity: 'critical', delay: 0, disabled: false, ...(base?.kind === kind ? base : {}), ...r, name: r.name, kind } as AlertRuleConfig);
  });
  return out;
}
