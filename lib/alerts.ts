// Alerting configuration as the CLI writes it for the agent and the agent reads it back: the
// rule kinds, the built-in default rules, transport shapes and their defaults. The inventory's
// `alerts.yaml` (validated by cli/inventory/alerts.ts) becomes the `alerts` entry of each
// node's config.yaml; transport secrets from secrets.yaml travel in the node's .env as
// ALERT_SECRETS (JSON) and are merged over the transports here, on the agent only.

/** What a rule looks at. Each kind is one query in agent/alerts/rules.ts. */
export const RULE_KINDS = [
  'device_down',
  'port_down',
  'sensor',
  'storage',
  'service',
  'poller_down',
  'syslog',
] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
export const SEVERITIES = ['ok', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const TRANSPORT_TYPES = ['webhook', 'slack', 'email'] as const;
export type TransportType = (typeof TRANSPORT_TYPES)[number];

export interface AlertRuleConfig {
  /** Unique; `alert_rules.name`. A rule named like a default replaces that default. */
  name: string;
  kind: RuleKind;
  severity: Severity;
  /** Seconds the condition must hold before the alert is raised. Default 0. */
  delay: number;
  disabled: boolean;
  /** Transport names to notify; empty or absent: every transport. */
  transports?: string[];
  /** storage: percent used above which it alerts (default 90). */
  threshold?: number;
  /** poller_down: poller cycles without a report before it alerts (default 2). */
  cycles?: number;
  /** syslog: a regular expression matched against `syslog.msg` (MariaDB REGEXP; required). */
  match?: string;
  /** syslog: only messages of this program (`syslog.program`). */
  program?: string;
  /** syslog: only messages of this severity or a more severe one (name or number 0-7). */
  level?: SyslogLevel;
  /** syslog: seconds back from now in which a matching message keeps the alert up (default 300). */
  within?: number;
}

/** Syslog severities by number (rsyslog's names, as `syslog.priority` holds them). */
export const SYSLOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;
export type SyslogLevel = (typeof SYSLOG_LEVELS)[number] | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;
export const DEFAULT_SYSLOG_WITHIN = 300;

/** The severity number (0-7) of a rule's `level`; undefined when it is none. */
export function syslogLevelNumber(level: unknown): number | undefined {
  if (typeof level === 'number') return Number.isInteger(level) && level >= 0 && level <= 7 ? level : undefined;
  const i = SYSLOG_LEVELS.indexOf(level as (typeof SYSLOG_LEVELS)[number]);
  return i < 0 ? undefined : i;
}

/**
 * Why a syslog rule's `match` cannot be used, or undefined when it can. The pattern is matched
 * by MariaDB (REGEXP, PCRE); JavaScript's reading of it catches the syntax errors both share
 * (unbalanced brackets, a quantifier with nothing before it) before the pattern leaves the CLI.
 */
export function syslogPatternProblem(match: unknown): string | undefined {
  if (typeof match !== 'string' || match === '') return 'needs match (a regular expression)';
  try {
    new RegExp(match);
  } catch (err) {
    return `match is not a valid regular expression: ${(err as Error).message}`;
  }
  return undefined;
}

export interface TransportConfig {
  name: string;
  type: TransportType;
  /** webhook, slack: where to POST (often secret: give it in secrets.yaml). */
  url?: string;
  /** webhook: extra request headers (e.g. Authorization; secret). */
  headers?: Record<string, string>;
  /** slack: channel and user name shown. */
  channel?: string;
  username?: string;
  /** email: SMTP server, sender, recipients, optional login. */
  host?: string;
  port?: number;
  secure?: boolean;
  user?: string;
  password?: string;
  from?: string;
  to?: string[];
  /** Seconds one attempt may take. Default 10. */
  timeout: number;
  /** Attempts after the first one fails. Default 5. */
  retries: number;
  /** Seconds before the first retry; doubled each time, at most 300. Default 5. */
  backoff: number;
}

export interface AlertsConfig {
  /** Seconds between evaluations by the dispatcher. Default 60. */
  interval: number;
  rules: AlertRuleConfig[];
  transports: TransportConfig[];
}

export const DEFAULT_TRANSPORT_OPTIONS = { timeout: 10, retries: 5, backoff: 5 };
export const DEFAULT_ALERTS_INTERVAL = 60;
export const DEFAULT_STORAGE_THRESHOLD = 90;
export const DEFAULT_POLLER_CYCLES = 2;

type RuleExtra = Partial<AlertRuleConfig>;
const rule = (name: string, kind: RuleKind, severity: Severity, extra: RuleExtra = {}): AlertRuleConfig => ({
  name,
  kind,
  severity,
  delay: 0,
  disabled: false,
  ...extra,
});

/** The rules every cluster has unless alerts.yaml says `defaults: false` or replaces one by name. */
export const DEFAULT_ALERT_RULES: AlertRuleConfig[] = [
  rule('device-down', 'device_down', 'critical'),
  rule('port-down', 'port_down', 'warning'),
  rule('sensor', 'sensor', 'critical'),
  rule('storage-full', 'storage', 'warning', { threshold: DEFAULT_STORAGE_THRESHOLD }),
  rule('service-critical', 'service', 'critical'),
  rule('poller-down', 'poller_down', 'critical', { cycles: DEFAULT_POLLER_CYCLES }),
];

/** Built-in rules overridden by same-named user rules, then the user's own, in file order. */
export function mergeRules(user: AlertRuleConfig[], withDefaults: boolean): AlertRuleConfig[] {
  const names = new Set(user.map((r) => r.name));
  return [...(withDefaults ? DEFAULT_ALERT_RULES.filter((r) => !names.has(r.name)) : []), ...user];
}

export const DEFAULT_ALERTS_CONFIG: AlertsConfig = {
  interval: DEFAULT_ALERTS_INTERVAL,
  rules: DEFAULT_ALERT_RULES,
  transports: [],
};

/** Secret transport fields by transport name (secrets.yaml `alert_transports`). */
export type TransportSecrets = Record<string, Pick<TransportConfig, 'url' | 'headers' | 'password'>>;

const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

/**
 * The agent's view: config.yaml's `alerts` entry (already checked by the CLI; re-checked lightly
 * here since a hand-edited file reaches the agent too) with the secrets merged in. Problems are
 * returned, not thrown: the agent keeps alerting with what is usable and logs the rest.
 */
export function alertsFromSettings(raw: unknown, secretsJson: string): { config: AlertsConfig; problems: string[] } {
  const problems: string[] = [];
  let secrets: TransportSecrets = {};
  if (secretsJson) {
    try {
      const s = JSON.parse(secretsJson) as unknown;
      if (isObject(s)) secrets = s as TransportSecrets;
      else problems.push('ALERT_SECRETS must be a JSON object');
    } catch {
      problems.push('ALERT_SECRETS is not valid JSON');
    }
  }
  if (raw === undefined || raw === null) return { config: DEFAULT_ALERTS_CONFIG, problems };
  if (!isObject(raw)) return { config: DEFAULT_ALERTS_CONFIG, problems: [...problems, 'alerts must be a mapping'] };
  const interval = typeof raw.interval === 'number' && raw.interval >= 1 ? raw.interval : DEFAULT_ALERTS_INTERVAL;
  const rules: AlertRuleConfig[] = [];
  for (const r of Array.isArray(raw.rules) ? raw.rules : []) {
    if (!isObject(r) || typeof r.name !== 'string' || !RULE_KINDS.includes(r.kind as RuleKind)) {
      problems.push(`alerts.rules: ignored an entry without a name or a known kind`);
      continue;
    }
    const bad = r.kind === 'syslog' ? syslogPatternProblem(r.match) : undefined;
    if (bad) {
      problems.push(`alerts.rules: ignored rule ${r.name}: ${bad}`);
      continue;
    }
    const severity = SEVERITIES.includes(r.severity as Severity) ? (r.severity as Severity) : 'critical';
    rules.push({ ...rule(r.name, r.kind as RuleKind, severity), ...(r as Partial<AlertRuleConfig>) });
  }
  const transports: TransportConfig[] = [];
  for (const t of Array.isArray(raw.transports) ? raw.transports : []) {
    if (!isObject(t) || typeof t.name !== 'string' || !TRANSPORT_TYPES.includes(t.type as TransportType)) {
      problems.push('alerts.transports: ignored an entry without a name or a known type');
      continue;
    }
    const secret = isObject(secrets[t.name]) ? secrets[t.name] : {};
    const merged = { ...DEFAULT_TRANSPORT_OPTIONS, ...(t as Partial<TransportConfig>), ...secret } as TransportConfig;
    if (t.headers || secret.headers) merged.headers = { ...(t.headers as Record<string, string>), ...secret.headers };
    transports.push(merged);
  }
  const all = raw.defaults === false ? rules : mergeRules(rules, true);
  return { config: { interval, rules: all, transports }, problems };
}

/** One line per active alert for the plain-text status views. */
type AlertLineInput = { id: number; severity: string; state: string; rule: string; message: string; since: string };
export function alertLine(a: AlertLineInput): string {
  const acked = a.state === 'acknowledged' ? ' (acknowledged)' : '';
  return `alert ${a.id} ${a.severity.toUpperCase()}${acked} ${a.rule}: ${a.message} since ${a.since}`;
}
