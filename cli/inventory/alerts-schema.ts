// The JSON Schemas of alerts.yaml and of secrets.yaml's `alert_transports` (the schema step;
// the cross-field rules are in alerts.ts). Kept apart so schema.ts can use it without a cycle.
import { RULE_KINDS, SEVERITIES, SYSLOG_LEVELS, TRANSPORT_TYPES } from '../../lib/alerts.js';

type Schema = Record<string, unknown>;
const obj = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({
  type: 'object',
  additionalProperties: false,
  properties,
  ...extra,
});
const NAME = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
  'x-hint': 'letters, digits, ".", "_" and "-" (at most 64)',
};
const int = (minimum: number, maximum: number, description: string): Schema => ({
  type: 'integer',
  minimum,
  maximum,
  description,
});
const headers = { type: 'object', additionalProperties: { type: 'string' }, description: 'extra HTTP headers' };
const url = { type: 'string', pattern: '^https?://', 'x-hint': 'an http:// or https:// URL' };

const rule = obj(
  {
    name: { ...NAME, description: 'unique; the name of a built-in rule replaces it' },
    kind: { enum: [...RULE_KINDS], description: 'what the rule looks at (may be left out to replace a built-in rule)' },
    severity: { enum: [...SEVERITIES], description: "default: the built-in rule's, else critical" },
    delay: int(0, 604800, 'seconds the condition must last before the alert is raised (default 0)'),
    disabled: { type: 'boolean', description: 'default false' },
    transports: { type: 'array', items: NAME, uniqueItems: true, description: 'transports to notify (default: all)' },
    threshold: int(1, 100, 'storage: percent used above which it alerts (default 90)'),
    cycles: { type: 'integer', minimum: 1, maximum: 100, description: 'poller_down: missed poller cycles (default 2)' },
    match: {
      type: 'string',
      minLength: 1,
      maxLength: 1000,
      description: 'syslog (required): a regular expression (MariaDB REGEXP, case-insensitive) for the message',
    },
    program: { type: 'string', minLength: 1, maxLength: 32, description: 'syslog: only messages of this program' },
    level: {
      enum: [...SYSLOG_LEVELS, 0, 1, 2, 3, 4, 5, 6, 7],
      description: 'syslog: only messages of this severity or a more severe one (name or number 0-7)',
    },
    within: int(1, 86400, 'syslog: seconds a matching message keeps the alert up (default 300)'),
  },
  { required: ['name'] },
);

const transport = obj(
  {
    name: NAME,
    type: { enum: [...TRANSPORT_TYPES] },
    url: { ...url, description: 'webhook, slack (usually secret: put it in secrets.yaml alert_transports)' },
    headers,
    channel: { type: 'string', minLength: 1 },
    username: { type: 'string', minLength: 1 },
    host: { type: 'string', minLength: 1, description: 'email: SMTP server' },
    port: { type: 'integer', minimum: 1, maximum: 65535, description: 'email: SMTP port (default 25)' },
    secure: { type: 'boolean', description: 'email: TLS from the start (port 465); otherwise STARTTLS when offered' },
    user: { type: 'string', minLength: 1, description: 'email: SMTP login (password in secrets.yaml)' },
    from: { type: 'string', minLength: 3 },
    to: { type: 'array', items: { type: 'string', minLength: 3 }, minItems: 1 },
    timeout: { type: 'integer', minimum: 1, maximum: 300, description: 'seconds per attempt (default 10)' },
    retries: { type: 'integer', minimum: 0, maximum: 50, description: 'attempts after a failure (default 5)' },
    backoff: int(1, 300, 'seconds before the first retry, doubled each time (default 5)'),
  },
  { required: ['name', 'type'] },
);

/** alerts.yaml */
export const alertsFileSchema: Schema = obj({
  interval: { type: 'integer', minimum: 1, maximum: 3600, description: 'seconds between evaluations (default 60)' },
  defaults: { type: 'boolean', description: 'include the built-in rules (default true)' },
  rules: { type: 'array', items: rule },
  transports: { type: 'array', items: transport },
});

/** secrets.yaml `alert_transports`: secret fields by transport name. */
export const alertSecretsSchema: Schema = {
  type: 'object',
  additionalProperties: obj({ url, headers, password: { type: 'string', minLength: 1 } }),
  description: 'secret fields of alert transports, by transport name',
};
