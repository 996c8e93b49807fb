// Compares what nms stored for one recording with the rows LibreNMS expects (expected/<name>.json),
// module by module and field by field, and says what differs. Pure: the rows come in, the
// outcome goes out (run.ts reads the database; report.ts writes docs/conformance.md).

export type Row = Record<string, unknown>;

/** Per module: a table name and the rows nms has for the device, or null when nms has no such table. */
export type GotRows = (table: string) => Row[] | null;

export interface Miss {
  /** e.g. `os.version`, `processors.count`, `ports.ifAlias`. */
  kind: string;
  recording: string;
  detail: string;
}

export interface ModuleOutcome {
  module: string;
  state: 'compared' | 'not collected';
  /** Matching share 0..1 of what was compared for this module and device. */
  rate: number;
  /** Short cell text for the table. */
  cell: string;
  misses: Miss[];
  /** Counts behind the acceptance figures: name → [equal, compared]. */
  tally: Record<string, [number, number]>;
}

/** Table and value columns of the modules compared by row count and values. */
export const COUNTED: Record<string, { table: string; key: (r: Row) => string; values: string[] }> = {
  processors: {
    table: 'processors',
    key: (r) => `${r.processor_type} ${r.processor_index}`,
    values: ['processor_usage'],
  },
  mempools: {
    table: 'mempools',
    key: (r) => `${r.mempool_type} ${r.mempool_index}`,
    values: ['mempool_total', 'mempool_used', 'mempool_perc'],
  },
  storage: { table: 'storage', key: (r) => String(r.storage_index), values: ['storage_size', 'storage_used'] },
  'entity-physical': { table: 'entPhysical', key: (r) => String(r.entPhysicalIndex), values: [] },
  'ipv4-addresses': { table: 'ipv4_addresses', key: (r) => String(r.ipv4_address), values: [] },
  'discovery-protocols': { table: 'links', key: (r) => `${r.remote_hostname} ${r.remote_port}`, values: [] },
  'ucd-diskio': { table: 'ucd_diskio', key: (r) => String(r.diskio_index), values: [] },
};

export const OS_FIELDS = ['os', 'hardware', 'version', 'serial', 'features'] as const;
export const PORT_FIELDS = [
  'ifName',
  'ifDescr',
  'ifAlias',
  'ifType',
  'ifSpeed',
  'ifOperStatus',
  'ifAdminStatus',
  'ifMtu',
  'ifPhysAddress',
  'ifInOctets',
  'ifOutOctets',
  'ifInUcastPkts',
  'ifOutUcastPkts',
  'ifInErrors',
  'ifOutErrors',
  'ifInDiscards',
  'ifOutDiscards',
] as const;
export const MODULES = [
  'os',
  'ports',
  'processors',
  'mempools',
  'storage',
  'sensors',
  'entity-physical',
  'ipv4-addresses',
  'discovery-protocols',
  'ucd-diskio',
] as const;

const blank = (v: unknown) => v === null || v === undefined || v === '';
const same = (a: unknown, b: unknown) =>
  (blank(a) && blank(b)) ||
  String(a) === String(b) ||
  (typeof a !== 'object' && typeof b !== 'object' && !blank(a) && !blank(b) && Number(a) === Number(b));
/** Within 1 % of LibreNMS's value (exact for 0). */
export const within1 = (want: unknown, got: unknown) => {
  const w = Number(want);
  const g = Number(got);
  if (!Number.isFinite(w) || !Number.isFinite(g) || blank(got)) return same(want, got);
  return Math.abs(g - w) <= Math.abs(w) * 0.01;
};
const add = (t: Record<string, [number, number]>, k: string, ok: boolean) => {
  t[k] ??= [0, 0];
  t[k][1]++;
  if (ok) t[k][0]++;
};
const show = (v: unknown) => (blank(v) ? '(empty)' : JSON.stringify(v).slice(0, 80));

/** The rows LibreNMS expects after polling (or after discovery when the poller left them as they were). */
export function wantRows(mod: Record<string, unknown>, table: string): Row[] {
  const p = mod.poller as Record<string, unknown> | string | null | undefined;
  if (p && typeof p === 'object' && Array.isArray(p[table])) return p[table] as Row[];
  const d = mod.discovery as Record<string, unknown> | undefined;
  return (d?.[table] as Row[] | undefined) ?? [];
}

function compareOs(rec: string, want: Row, got: Row | undefined): ModuleOutcome {
  const tally: Record<string, [number, number]> = {};
  const misses: Miss[] = [];
  for (const f of OS_FIELDS) {
    if (f !== 'os' && blank(want[f])) continue;
    const ok = same(want[f], got?.[f]);
    add(tally, `os.${f}`, ok);
    if (!ok) misses.push({ kind: `os.${f}`, recording: rec, detail: `want ${show(want[f])}, got ${show(got?.[f])}` });
  }
  const [eq, n] = Object.values(tally).reduce((a, [e, c]) => [a[0] + e, a[1] + c], [0, 0]);
  return { module: 'os', state: 'compared', rate: n ? eq / n : 1, cell: `${eq}/${n}`, misses, tally };
}

/** Pairs rows by key, then the unpaired ones in order. */
function pair(want: Row[], got: Row[], key: (r: Row) => string): [Row, Row][] {
  const byKey = new Map(got.map((r) => [key(r), r]));
  const used = new Set<Row>();
  const out: [Row, Row][] = [];
  const rest: Row[] = [];
  for (const w of want) {
    const g = byKey.get(key(w));
    if (g && !used.has(g)) {
      out.push([w, g]);
      used.add(g);
    } else rest.push(w);
  }
  const left = got.filter((g) => !used.has(g));
  rest.forEach((w, i) => left[i] && out.push([w, left[i]]));
  return out;
}

function compareCounted(rec: string, name: string, want: Row[], got: Row[]): ModuleOutcome {
  const spec = COUNTED[name];
  const tally: Record<string, [number, number]> = {};
  const misses: Miss[] = [];
  const countOk = want.length === got.length;
  add(tally, `${name}.count`, countOk);
  if (!countOk)
    misses.push({ kind: `${name}.count`, recording: rec, detail: `want ${want.length} rows, got ${got.length}` });
  let vEq = 0;
  let vN = 0;
  if (countOk) {
    for (const [w, g] of pair(want, got, spec.key)) {
      for (const c of spec.values) {
        const ok = within1(w[c], g[c]);
        vN++;
        if (ok) vEq++;
        add(tally, `${name}.values`, ok);
        if (!ok)
          misses.push({
            kind: `${name}.${c}`,
            recording: rec,
            detail: `${spec.key(w)}: want ${show(w[c])}, got ${show(g[c])}`,
          });
      }
    }
  }
  const rate = countOk ? (vN ? vEq / vN : 1) : 0;
  return {
    module: name,
    state: 'compared',
    rate,
    cell: countOk ? (vN ? `${got.length} rows, ${vEq}/${vN}` : `${got.length} rows`) : `${got.length}≠${want.length}`,
    misses,
    tally,
  };
}

function compareSensors(rec: string, want: Row[], got: Row[]): ModuleOutcome {
  const tally: Record<string, [number, number]> = {};
  const misses: Miss[] = [];
  const classes = [...new Set([...want, ...got].map((r) => String(r.sensor_class)))].sort();
  let classesOk = 0;
  for (const cls of classes) {
    const w = want.filter((r) => r.sensor_class === cls);
    const g = got.filter((r) => r.sensor_class === cls);
    const ok = w.length === g.length;
    if (ok) classesOk++;
    else misses.push({ kind: 'sensors.count', recording: rec, detail: `${cls}: want ${w.length}, got ${g.length}` });
    for (const [a, b] of pair(w, g, (r) => String(r.sensor_oid))) {
      const v = same(a.sensor_current, b.sensor_current) || within1(a.sensor_current, b.sensor_current);
      add(tally, 'sensors.values', v);
      if (!v)
        misses.push({
          kind: 'sensors.value',
          recording: rec,
          detail: `${cls} ${a.sensor_descr}: want ${show(a.sensor_current)}, got ${show(b.sensor_current)}`,
        });
    }
  }
  add(tally, 'sensors.classes', classesOk === classes.length);
  const [ve, vn] = tally['sensors.values'] ?? [0, 0];
  return {
    module: 'sensors',
    state: 'compared',
    rate: classes.length ? classesOk / classes.length : 1,
    cell: `${classesOk}/${classes.length} classes${vn ? `, ${ve}/${vn} values` : ''}`,
    misses,
    tally,
  };
}

function comparePorts(rec: string, want: Row[], got: Row[]): ModuleOutcome {
  const tally: Record<string, [number, number]> = {};
  const misses: Miss[] = [];
  const byIndex = new Map(got.map((r) => [String(r.ifIndex), r]));
  let eq = 0;
  let n = 0;
  for (const w of want) {
    const g = byIndex.get(String(w.ifIndex));
    for (const f of PORT_FIELDS) {
      if (!(f in w)) continue;
      const ok = g !== undefined && same(w[f], g[f]);
      add(tally, `ports.${f}`, ok);
      n++;
      if (ok) eq++;
      else if (misses.filter((m) => m.kind === `ports.${f}`).length < 3)
        misses.push({
          kind: `ports.${f}`,
          recording: rec,
          detail: `ifIndex ${w.ifIndex}: want ${show(w[f])}, got ${g ? show(g[f]) : '(no port)'}`,
        });
    }
  }
  add(tally, 'ports.count', want.length === got.length);
  return {
    module: 'ports',
    state: 'compared',
    rate: n ? eq / n : 1,
    cell: `${got.length}/${want.length} ports, ${n ? Math.floor((eq / n) * 1000) / 10 : 100} %`,
    misses,
    tally,
  };
}

const notCollected = (module: string): ModuleOutcome => ({
  module,
  state: 'not collected',
  rate: 0,
  cell: 'not collected',
  misses: [],
  tally: {},
});

/** Every module LibreNMS has rows for in `expected`, compared with what nms stored. */
export function compareRecording(rec: string, expected: Record<string, unknown>, got: GotRows): ModuleOutcome[] {
  const out: ModuleOutcome[] = [];
  for (const m of MODULES) {
    const mod = expected[m] as Record<string, unknown> | undefined;
    if (!mod) continue;
    if (m === 'os') {
      const dev = got('devices');
      out.push(compareOs(rec, ((mod.discovery as Record<string, Row[]>).devices ?? [])[0] ?? {}, dev?.[0]));
      continue;
    }
    const table = m === 'ports' ? 'ports' : m === 'sensors' ? 'sensors' : COUNTED[m].table;
    const rows = got(table);
    if (rows === null) {
      out.push(notCollected(m));
      continue;
    }
    const want = wantRows(mod, table);
    out.push(
      m === 'ports'
        ? comparePorts(rec, want, rows)
        : m === 'sensors'
          ? compareSensors(rec, want, rows)
          : compareCounted(rec, m, want, rows),
    );
  }
  return out;
}
