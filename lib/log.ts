// Structured logs: one JSON line per event on stderr, namespaced by component.
// Secrets are never passed to the logger; `redact` masks known secret-looking keys anyway.
export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
const ORDER: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 };
const SECRET_KEY = /pass|secret|token|app_key|community|authkey|privkey/i;

let threshold: LogLevel = (process.env.NMS_LOGLEVEL as LogLevel) ?? 'INFO';
let sink: (line: string) => void = (line) => process.stderr.write(line + '\n');

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}
/** Redirects log lines (tests use this). */
export function setLogSink(fn: (line: string) => void): void {
  sink = fn;
}

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_KEY.test(k) ? '***' : v instanceof Error ? v.message : v;
  return out;
}

export function createLogger(component: string): Logger {
  const emit = (level: LogLevel, event: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < ORDER[threshold]) return;
    sink(
      JSON.stringify({ t: new Date().toISOString(), level, c: component, event, ...(fields ? redact(fields) : {}) }),
    );
  };
  return {
    debug: (e, f) => emit('DEBUG', e, f),
    info: (e, f) => emit('INFO', e, f),
    warn: (e, f) => emit('WARNING', e, f),
    error: (e, f) => emit('ERROR', e, f),
    child: (sub) => createLogger(`${component}.${sub}`),
  };
}
