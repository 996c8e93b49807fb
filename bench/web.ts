// web bench: the web UI's budgets (issue 13): the devices page with N devices (default 10,000)
// ≤ 200 ms server time; a 1-day port graph ≤ 150 ms and a 1-year one ≤ 400 ms; a device page
// with 48 ports ≤ 300 ms until usable in Chromium (DOMContentLoaded; the small graphs load
// lazily after). Against the MariaDB and rrdcached of scripts/test-services.sh (NMS_TEST_DB,
// NMS_TEST_RRDCACHED) in a private database, dropped afterwards. Knobs: NMS_BENCH_WEB_DEVICES,
// NMS_BENCH_WEB_RUNS (default 20).
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { chromium } from 'playwright-core';
import { ApiServer } from '../agent/api/server.js';
import { WebApp } from '../agent/web/server.js';
import { migrate, openDb, type Db } from '../agent/db/index.js';
import { createSpec, PORT_DS, rrdFiles } from '../agent/rrd/layout.js';
import { generateAppKey, generateSecret } from '../lib/crypto.js';
import { hashPassword } from '../lib/password.js';
import { setLogSink } from '../lib/log.js';
import { fmt, median, now, table, writeSection } from './lib/report.js';

const N = Number(process.env.NMS_BENCH_WEB_DEVICES ?? 10_000);
const RUNS = Number(process.env.NMS_BENCH_WEB_RUNS ?? 20);
const dbUrl = new URL(process.env.NMS_TEST_DB ?? 'mysql://nmstest:nmstest@127.0.0.1:13306');
const RRDCACHED = process.env.NMS_TEST_RRDCACHED ?? '127.0.0.1:42227';
const database = `nms_bench_web_${process.pid}`;
const HOST = `bench-web-${process.pid}.lab`;

async function timed(url: string, cookie: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const t0 = performance.now();
    const r = await fetch(url, { headers: { Cookie: cookie } });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status}`);
    if (i >= 2) out.push(performance.now() - t0); // two warm-ups
  }
  return out;
}

/** N devices, half in each poller group, every tenth down; then the bench's device with 48 ports. */
async function seedDevices(db: Db): Promise<{ deviceId: number; portId: number }> {
  for (let i = 0; i < N; i += 1000) {
    const rows = Array.from({ length: Math.min(1000, N - i) }, (_, k) => [
      `dev-${i + k}.bench`,
      161,
      `sim-${i + k}`,
      (i + k) % 10 ? 1 : 0,
      (i + k) % 2,
      'linux',
      `row ${(i + k) % 40}`,
    ]);
    await db.query('INSERT INTO devices (hostname, port, sysName, status, poller_group, os, location) VALUES ?', [
      rows,
    ]);
  }
  await db.query('INSERT INTO devices (hostname, port, sysName, status) VALUES (?, 161, ?, 1)', [HOST, HOST]);
  const [[dev]] = await db.query<import('mysql2').RowDataPacket[]>('SELECT device_id FROM devices WHERE hostname = ?', [
    HOST,
  ]);
  const ports = Array.from({ length: 48 }, (_, k) => [
    dev.device_id,
    k + 1,
    `Gi1/0/${k + 1}`,
    `GigabitEthernet1/0/${k + 1}`,
    `port ${k + 1}`,
    'up',
    'up',
    1e9,
    125000 * (k + 1),
  ]);
  await db.query(
    'INSERT INTO ports (device_id, ifIndex, ifName, ifDescr, ifAlias, ifOperStatus, ifAdminStatus, ifSpeed, ' +
      'ifInOctets_rate) VALUES ?',
    [ports],
  );
  const [[port]] = await db.query<import('mysql2').RowDataPacket[]>(
    'SELECT port_id FROM ports WHERE device_id = ? ORDER BY ifIndex LIMIT 1',
    [dev.device_id],
  );
  return { deviceId: dev.device_id, portId: port.port_id };
}

/** A day of 5-minute points in LibreNMS's layout and RRAs, for the first port's graph. */
function seedPortRrd(portId: number): void {
  const def = rrdFiles.port(HOST, Number(portId));
  const end = Math.floor(Date.now() / 300000) * 300;
  const spec = createSpec(def, 300, end - 86400 - 300);
  execFileSync('rrdtool', [
    'create',
    '--daemon',
    RRDCACHED,
    def.path,
    '--step',
    '300',
    '--start',
    String(spec.start),
    ...spec.ds,
    ...spec.rra,
  ]);
  const ups: string[] = [];
  for (let t = end - 86400, i = 0; t <= end; t += 300, i++)
    ups.push(`${t}:${PORT_DS.map(([n]) => (n.endsWith('OCTETS') ? i * 300 * 125000 : 0)).join(':')}`);
  for (let i = 0; i < ups.length; i += 10)
    execFileSync('rrdtool', ['update', '--daemon', RRDCACHED, def.path, ...ups.slice(i, i + 10)]);
}

/** Logs in as the bench user through the form (CSRF token and all); the session cookie. */
async function logIn(base: string, pw: string): Promise<string> {
  const form = await fetch(`${base}/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
  const pre = form.headers.getSetCookie()[0].split(';')[0];
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Cookie: pre, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, username: 'bench', password: pw }).toString(),
  });
  return login.headers
    .getSetCookie()
    .find((c) => c.startsWith('nms_session='))!
    .split(';')[0];
}

/** Server time: the HTTP round trip of each page and graph. */
async function serverTimes(
  base: string,
  session: string,
  ids: { deviceId: number; portId: number },
): Promise<[string, string, number[]][]> {
  const results: [string, string, number[]][] = [
    [`/devices, ${fmt(N)} devices, first page`, '≤ 200 ms', await timed(`${base}/devices`, session)],
    [
      '/devices?q=sim-99&status=up&sort=uptime',
      '≤ 200 ms',
      await timed(`${base}/devices?q=sim-99&status=up&sort=uptime`, session),
    ],
    ['/device/<id>/ports, 48 ports (server time)', '–', await timed(`${base}/device/${ids.deviceId}/ports`, session)],
    [
      '/graph port_bits, 1 day',
      '≤ 150 ms',
      await timed(`${base}/graph?type=port_bits&id=${ids.portId}&from=-1d`, session),
    ],
    [
      '/graph port_bits, 1 year',
      '≤ 400 ms',
      await timed(`${base}/graph?type=port_bits&id=${ids.portId}&from=-1y`, session),
    ],
  ];
  return results;
}

/** The device page in Chromium: HTML received and until usable (DOMContentLoaded), first load left out. */
async function browserTimes(
  base: string,
  session: string,
  deviceId: number,
): Promise<{ html: number[]; usable: number[] }> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const usable: number[] = [];
  const html: number[] = [];
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await ctx.addCookies([{ name: 'nms_session', value: session.split('=')[1], url: base }]);
    const page = await ctx.newPage();
    for (let i = 0; i < Math.min(RUNS, 10) + 1; i++) {
      await page.goto(`${base}/device/${deviceId}/ports`, { waitUntil: 'domcontentloaded' });
      const [ms, doc] = await page.evaluate(() => {
        const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        return [n.domContentLoadedEventEnd - n.startTime, n.responseEnd - n.startTime];
      });
      if (i > 0) usable.push(ms);
      if (i > 0) html.push(doc);
      // the next navigation starts on a quiet server, not behind this page's 48 graphs
      await page.waitForLoadState('networkidle');
    }
  } finally {
    await browser.close();
  }
  return { html, usable };
}

/** The web section: every page and graph against its budget. */
function webReport(results: [string, string, number[]][], load: number): void {
  const text = `## web: pages and graphs

Run ${now()}: bench/web.ts on the MariaDB and rrdcached of scripts/test-services.sh, ${fmt(N)} devices, a device with
48 ports; server time is the HTTP round trip on loopback (median of ${RUNS} after 2 warm-ups); "until usable" is
DOMContentLoaded in Chromium (the port graphs load lazily after it). Load average at the start: ${load.toFixed(1)}
(on ${cpus().length} cores: a busy machine slows the rrdtool processes most).

${table(
  ['what', 'budget', 'median ms', 'min ms', 'max ms'],
  results.map(([w, b, xs]) => [w, b, fmt(median(xs), 1), fmt(Math.min(...xs), 1), fmt(Math.max(...xs), 1)]),
)}
`;
  console.log(text);
  writeSection('web', text);
}

async function main(): Promise<void> {
  setLogSink(() => undefined);
  const db = await openDb(
    {
      host: dbUrl.hostname,
      port: Number(dbUrl.port),
      user: decodeURIComponent(dbUrl.username),
      password: decodeURIComponent(dbUrl.password),
      database,
    },
    { createDatabase: true, connectionLimit: 8 },
  );
  let server: ApiServer | undefined;
  try {
    await migrate(db, { appKey: generateAppKey() });
    const pw = generateSecret(12);
    await db.query("INSERT INTO users (username, password, level) VALUES ('bench', ?, 10)", [await hashPassword(pw)]);
    const ids = await seedDevices(db);
    seedPortRrd(ids.portId);

    server = new ApiServer({ db, token: generateSecret(24), port: 0, web: new WebApp({ db, rrdcached: RRDCACHED }) });
    await server.start();
    const base = `http://127.0.0.1:${server.address().port}`;
    const session = await logIn(base, pw);

    const load = loadavg()[0];
    const results = await serverTimes(base, session, ids);
    const { html, usable } = await browserTimes(base, session, ids.deviceId);
    results.push(['device page, 48 ports, HTML received in Chromium', '–', html]);
    results.push(['device page, 48 ports, until usable in Chromium', '≤ 300 ms', usable]);
    webReport(results, load);
  } finally {
    await server?.close();
    await db.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined);
    await db.end();
  }
}

await main();
