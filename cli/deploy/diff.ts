// --diff output: a unified diff of old and new file contents with every known secret masked
// before the texts are compared, so a secret cannot leak through a changed line. Files are
// small configuration files, so a plain LCS table is fast enough and needs no dependency.
// Two layers: the inventory's own secrets wherever they appear, and the value of every field
// that holds a secret by its name (REDIS_PASSWORD=, requirepass, password =, ...), because a
// host's live file may hold an old secret (a rotated password, a drifted APP_KEY) that the
// inventory no longer knows.
import type { Inventory } from '../inventory/types.js';

export const MASK = '********';
/** Shown on the wanted side of a diff when a masked secret field's value changes. */
export const CHANGED = `${MASK} (changed)`;

/**
 * Lines whose value is a secret by the field's name, in the syntaxes of the rendered files (.env,
 * redis.conf, my.cnf, YAML), after an optional diff marker: [prefix kept, value masked].
 */
const SECRET_FIELDS: RegExp[] = [
  /^([-+ ]?\s*[A-Za-z_]*(?:PASSWORD|PASSWD|APP_KEY|TOKEN|SECRET|AUTHPASS|CRYPTOPASS|COMMUNITY)[A-Za-z_]*\s*[=:]\s*)(\S.*)$/i,
  /^([-+ ]?\s*(?:requirepass|masterauth)\s+)(\S.*)$/i,
  /^([-+ ]?\s*sentinel\s+auth-pass\s+\S+\s+)(\S.*)$/i,
];

function secretField(line: string): [string, string] | undefined {
  for (const re of SECRET_FIELDS) {
    const m = re.exec(line);
    if (m) return [m[1], m[2]];
  }
  return undefined;
}

/** Secret fields of a text by their prefix (the key), with their values. */
function secretFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const f = secretField(line);
    if (f) out.set(f[0].trim(), f[1]);
  }
  return out;
}

/** Masks the value of every secret field; `replace` chooses the mask (default MASK). Idempotent. */
export function maskSecretFields(text: string, replace: (key: string, value: string) => string = () => MASK): string {
  return text
    .split('\n')
    .map((line) => {
      const f = secretField(line);
      if (!f || f[1].startsWith(MASK)) return line;
      return f[0] + replace(f[0].trim(), f[1]);
    })
    .join('\n');
}

/** Replaces every secret of the inventory in a text; longest first so parts never remain. */
export class SecretMasker {
  private readonly secrets: string[];
  constructor(secrets: Iterable<string>) {
    // very short values (a 1-3 character community) would mask half the text; none exist in
    // generated secrets, and the loader rejects empty ones
    this.secrets = [...new Set([...secrets].filter((s) => s && s.length >= 4))].sort((a, b) => b.length - a.length);
  }

  static forInventory(inv: Inventory): SecretMasker {
    const s = inv.secrets;
    const list = [
      s.app_key,
      s.app_key.replace(/^base64:/, ''),
      s.redis_password,
      s.api_token,
      s.db_admin_password ?? '',
      s.web_admin_password ?? '',
      ...Object.values(s.db_passwords),
    ];
    for (const d of inv.devices) {
      if (d.snmp.version === 'v3') list.push(d.snmp.authpass ?? '', d.snmp.cryptopass ?? '');
      else list.push(d.snmp.community);
    }
    for (const t of Object.values(s.alert_transports ?? {})) {
      list.push(t.url ?? '', t.password ?? '', ...Object.values(t.headers ?? {}));
    }
    return new SecretMasker(list);
  }

  /** Masks the inventory's secrets and the value of every secret field, known or not. */
  mask(text: string): string {
    let out = maskSecretFields(text);
    for (const s of this.secrets) out = out.split(s).join(MASK);
    return out;
  }

  /**
   * The --diff of a host's file (old) and the wanted one (new), masked on both sides: a secret
   * field whose value differs shows as `-KEY=********` / `+KEY=******** (changed)`, so a rotation
   * is visible without either value.
   */
  diff(oldText: string, newText: string, path: string): string {
    const before = secretFields(oldText);
    const changed = (key: string, value: string) => (before.has(key) && before.get(key) !== value ? CHANGED : MASK);
    return unifiedDiff(this.mask(oldText), this.mask(maskSecretFields(newText, changed)), path);
  }
}

/** Unified diff (3 lines of context) of two texts; '' when they are equal. */
export function unifiedDiff(oldText: string, newText: string, path: string, context = 3): string {
  if (oldText === newText) return '';
  const a = oldText.split('\n');
  const b = newText.split('\n');
  // LCS lengths from the end, then walk forward emitting ' ', '-', '+'
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const ops: Array<{ t: ' ' | '-' | '+'; s: string; ai: number; bi: number }> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ t: ' ', s: a[i], ai: i++, bi: j++ });
    // removals before additions, as diff -u prints a replaced line
    else if (i < n && (j >= m || lcs[i + 1][j] >= lcs[i][j + 1])) ops.push({ t: '-', s: a[i], ai: i++, bi: j });
    else ops.push({ t: '+', s: b[j], ai: i, bi: j++ });
  }
  const out = [`--- ${path} (host)`, `+++ ${path} (wanted)`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k].t === ' ') {
      k++;
      continue;
    }
    const start = Math.max(0, k - context);
    let end = k;
    // extend the hunk while changes are closer than 2*context lines apart
    while (end < ops.length) {
      let next = end;
      while (next < ops.length && ops[next].t !== ' ') next++;
      let gap = next;
      while (gap < ops.length && ops[gap].t === ' ') gap++;
      end = next;
      if (gap >= ops.length || gap - next > 2 * context) break;
      end = gap;
    }
    const stop = Math.min(ops.length, end + context);
    const hunk = ops.slice(start, stop);
    const aLen = hunk.filter((o) => o.t !== '+').length;
    const bLen = hunk.filter((o) => o.t !== '-').length;
    out.push(`@@ -${hunk[0].ai + 1},${aLen} +${hunk[0].bi + 1},${bLen} @@`);
    for (const o of hunk) out.push(o.t + o.s);
    k = stop;
  }
  return out.join('\n') + '\n';
}
