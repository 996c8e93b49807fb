// `alerts.yaml` in an inventory (optional): alert rules and transports, checked like the other
// files (schema, normalise, rules; every problem with file:line and field path), plus the
// `alert_transports` section of secrets.yaml that holds the transports' secret fields. The
// result is what deploy writes for the agents: the rules and transports without secrets into
// config.yaml (`alerts`), the secrets into .env (ALERT_SECRETS). Built-in rules: lib/alerts.ts.
import { readFileSync } from 'node:fs';
import type { InventoryProblem } from '../../lib/errors.js';
import { DEFAULT_ALERT_RULES, RULE_KINDS, syslogPatternProblem } from '../../lib/alerts.js';
import type { AlertRuleConfig, TransportSecrets } from '../../lib/alerts.js';
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
export function loadAlerts(
  file: string,
  secrets: TransportSecrets | undefined,
  secretsSrc: SourceFile | undefined,
  problems: InventoryProblem[],
): InventoryAlerts | undefined {
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
  const names = checkTransports(src, raw, secrets ?? {}, problems);
  (raw.rules ?? []).forEach((r, i) =>
    (r?.transports ?? []).forEach((n, j) => {
      if (names.has(n)) return;
      problems.push(problemAt(src, ['rules', i, 'transports', j], `no transport named ${n} in ${ALERTS_FILE}`));
    }),
  );
  for (const n of Object.keys(secrets ?? {})) {
    if (!secretsSrc || names.has(n)) continue;
    problems.push(problemAt(secretsSrc, ['alert_transports', n], `no transport named ${n} in ${ALERTS_FILE}`, true));
  }
  const transports = (raw.transports ?? []).filter((t): t is Record<string, unknown> => t !== undefined);
  const interval = raw.interval !== undefined ? { interval: raw.interval } : {};
  return { settings: { ...interval, defaults: raw.defaults ?? true, rules, transports }, secrets: secrets ?? {} };
}

/** Unique names and the fields each type needs (here or in secrets.yaml); returns the names. */
function checkTransports(
  src: SourceFile,
  raw: RawAlerts,
  secrets: TransportSecrets,
  problems: InventoryProblem[],
): Set<string> {
  const names = new Set<string>();
  (raw.transports ?? []).forEach((t, i) => {
    if (!t?.name) return;
    const name = String(t.name);
    const at = (message: string, ...path: string[]) =>
      problems.push(problemAt(src, ['transports', i, ...path], message));
    if (names.has(name)) at(`transport ${name} is defined twice`, 'name');
    names.add(name);
    const secret = (secrets[name] ?? {}) as Record<string, unknown>;
    const has = (k: string) => t[k] !== undefined || secret[k] !== undefined;
    if ((t.type === 'webhook' || t.type === 'slack') && !has('url')) {
      at(`transport ${name} needs a url (here, or in secrets.yaml alert_transports.${name}.url)`);
    }
    if (t.type !== 'email') return;
    for (const k of ['host', 'from', 'to']) if (!has(k)) at(`email transport ${name} needs ${k}`);
    if (t.user !== undefined && !has('password')) {
      at(`give its password in secrets.yaml alert_transports.${name}.password`, 'user');
    }
  });
  return names;
}

const SYSLOG_FIELDS = ['match', 'program', 'level', 'within'] as const;

/** A syslog rule needs a match that is a regular expression; false when it has none usable. */
function checkSyslogRule(
  src: SourceFile,
  i: number,
  r: Partial<AlertRuleConfig>,
  at: (message: string, ...path: string[]) => void,
): boolean {
  const problem = syslogPatternProblem(r.match);
  if (!problem) return true;
  // a match the schema step refused (not a string, empty) is gone from `r` and was reported
  const original = (src.data as RawAlerts | undefined)?.rules?.[i];
  if (r.match === undefined && original?.match !== undefined) return false;
  at(`rule ${r.name} of kind syslog ${problem}`, 'match');
  return false;
}

/** Complete rules: a rule named like a built-in one inherits what it leaves out. */
function normaliseRules(src: SourceFile, raw: RawAlerts, problems: InventoryProblem[]): AlertRuleConfig[] {
  const out: AlertRuleConfig[] = [];
  const seen = new Set<string>();
  (raw.rules ?? []).forEach((r, i) => {
    if (!r?.name) return;
    const at = (message: string, ...path: string[]) => problems.push(problemAt(src, ['rules', i, ...path], message));
    if (seen.has(r.name)) at(`rule ${r.name} is defined twice`, 'name');
    seen.add(r.name);
    const base = DEFAULT_ALERT_RULES.find((d) => d.name === r.name);
    const kind = r.kind ?? base?.kind;
    if (!kind) {
      const builtIn = DEFAULT_ALERT_RULES.map((d) => d.name).join(', ');
      const kinds = RULE_KINDS.join(', ');
      at(`rule ${r.name} needs a kind (one of ${kinds}); only built-in rules (${builtIn}) may leave it out`);
      return;
    }
    if (r.threshold !== undefined && kind !== 'storage') at('threshold applies to kind storage only', 'threshold');
    if (r.cycles !== undefined && kind !== 'poller_down') at('cycles applies to kind poller_down only', 'cycles');
    for (const k of SYSLOG_FIELDS)
      if (r[k] !== undefined && kind !== 'syslog') at(`${k} applies to kind syslog only`, k);
    if (kind === 'syslog' && !checkSyslogRule(src, i, r, at)) return;
    const inherited = base?.kind === kind ? base : {};
    const defaults = { severity: 'critical', delay: 0, disabled: false };
    out.push({ ...defaults, ...inherited, ...r, name: r.name, kind } as AlertRuleConfig);
  });
  return out;
}
