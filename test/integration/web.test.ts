// The web UI against the real MariaDB and rrdcached of scripts/test-services.sh, over real HTTP:
// guards (redirect / 401), login with CSRF and the per-client slowdown, cookies' flags, escaping
// of device text, pages that tolerate tables not created yet, graph parameter checks, and a
// port graph whose PNG shows the traffic written into its RRD file.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ApiServer } from '../../agent/api/server.js';
import { WebApp } from '../../agent/web/server.js';
import { addDevice, migrate, openDb, type Db } from '../../agent/db/index.js';
import { createSpec, rrdFiles, PORT_DS } from '../../agent/rrd/layout.js';
import { generateAppKey, generateSecret } from '../../lib/crypto.js';
import { hashPassword } from '../../lib/password.js';
import { setLogSink } from '../../lib/log.js';
import { countColour, decodePng } from '../helpers/png.js';
import { addUserSql, firstAdminSql, passwdSql, removeUserSql } from '../../cli/users/sql.js';
import type { Inventory } from '../../cli/inventory/types.js';
import { SERVICES } from '../helpers/services.js';

const RRDCACHED = SERVICES.rrdcached;
const database = `nms_web_${process.pid}_${Date.now() % 100000}`;
const APP_KEY = generateAppKey();
const COMMUNITY = 'web-test-community-' + generateSecret(6);
const PASSWORD = 'correct horse ' + generateSecret(6);
const XSS = `<script>alert(1)</script>"'`;
const HOST = `web-${process.pid}.lab`;
const STEP = 300;

let db: Db;
let server: ApiServer;
let base: string;
const ids: Record<string, number> = {};
const bodies: string[] = [];

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Buffer;
}

async function request(
  path: string,
  o: { cookie?: string; form?: Record<string, string>; ip?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'X-Real-IP': o.ip ?? '192.0.2.1' };
  if (o.cookie) headers.Cookie = o.cookie;
  if (o.form) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  const res = await fetch(base + path, {
    method: o.form ? 'POST' : 'GET',
    headers,
    body: o.form ? new URLSearchParams(o.form).toString() : undefined,
    redirect: 'manual',
    signal: AbortSignal.timeout(20000),
  });
  const body = Buffer.from(await res.arrayBuffer());
  const text = body.toString('utf8');
  if ((res.headers.get('content-type') ?? '').startsWith('text/html')) bodies.push(text);
  return { status: res.status, headers: res.headers, text, body };
}

const cookieValue = (setCookies: string[], name: string) =>
  setCookies.find((c) => c.startsWith(`${name}=`))?.split(';')[0];

/** Fetches the login form and posts it; returns the session cookie (or the failed answer). */
async function login(user: string, password: string, ip = '192.0.2.1'): Promise<{ cookie?: string; res: Answer }> {
  const form = await request('/login', { ip });
  const token = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
  const pre = cookieValue(form.headers.getSetCookie(), 'nms_login')!;
  const res = await request('/login', {
    ip,
    cookie: pre,
    form: { _csrf: token, username: user, password, next: '/devices' },
  });
  return { cookie: cookieValue(res.headers.getSetCookie(), 'nms_session'), res };
}

function rrd(...args: string[]): void {
  execFileSync('rrdtool', [...args.slice(0, 1), '--daemon', RRDCACHED, ...args.slice(1)], { stdio: 'pipe' });
}

before(async () => {
  setLogSink(() => undefined);
  db = await openDb(
    {
      ...SERVICES.db,
      database,
    },
    { createDatabase: true, connectionLimit: 4 },
  );
  await migrate(db, { appKey: APP_KEY });
  await db.query("INSERT INTO users (username, password, level, auth_type) VALUES ('admin', ?, 10, 'mysql')", [
    await hashPassword(PASSWORD),
  ]);
  ids.dev = await addDevice(db, APP_KEY, {
    hostname: HOST,
    poller_group: 0,
    snmp: { version: 'v2c', community: COMMUNITY },
  });
  ids.other = await addDevice(db, APP_KEY, {
    hostname: 'other.lab',
    poller_group: 1,
    snmp: { version: 'v2c', community: COMMUNITY },
  });
  await db.query(
    'UPDATE devices SET status = 1, sysName = ?, location = ?, os = ?, last_polled = UTC_TIMESTAMP() WHERE ' +
      'device_id = ?',
    [XSS, XSS, 'linux', ids.dev],
  );
  await db.query(
    'INSERT INTO ports (device_id, ifIndex, ifName, ifDescr, ifAlias, ifOperStatus, ifAdminStatus, ' +
      'ifInOctets_rate) VALUES (?, 1, ?, ?, ?, ?, ?, ?)',
    [ids.dev, 'eth0', 'eth0', XSS, 'up', 'up', 125000],
  );
  const [[p]] = await db.query<import('mysql2').RowDataPacket[]>('SELECT port_id FROM ports WHERE device_id = ?', [
    ids.dev,
  ]);
  ids.port = Number(p.port_id);
  await db.query(
    'INSERT INTO sensors (device_id, sensor_class, sensor_oid, sensor_index, sensor_type, sensor_descr, ' +
      "sensor_current) VALUES (?, 'temperature', '.1.3', '1', 'entity-sensor', ?, 41.5)",
    [ids.dev, `CPU ${XSS}`],
  );
  await db.query("INSERT INTO eventlog (device_id, datetime, message, type) VALUES (?, UTC_TIMESTAMP(), ?, 'system')", [
    ids.dev,
    `rebooted ${XSS}`,
  ]);

  // six hours of 1 Mbit/s in (125,000 octets/s) and 0.5 Mbit/s out on the port
  const def = rrdFiles.port(HOST, ids.port);
  const end = Math.floor(Date.now() / 1000 / STEP) * STEP;
  const start = end - 6 * 3600;
  const spec = createSpec(def, STEP, start - STEP);
  rrd('create', def.path, '--step', String(STEP), '--start', String(spec.start), ...spec.ds, ...spec.rra);
  const updates: string[] = [];
  for (let t = start, i = 0; t <= end; t += STEP, i++) {
    const v = PORT_DS.map(([name]) =>
      name === 'INOCTETS' ? i * STEP * 125000 : name === 'OUTOCTETS' ? i * STEP * 62500 : 0,
    );
    updates.push(`${t}:${v.join(':')}`);
  }
  // rrdtool's client fails with ENOBUFS past 4 KiB a line: a few updates at a time
  for (let i = 0; i < updates.length; i += 10) rrd('update', def.path, ...updates.slice(i, i + 10));

  const web = new WebApp({ db, rrdcached: RRDCACHED });
  server = new ApiServer({ db, token: generateSecret(24), port: 0, closeTimeoutMs: 500, web });
  await server.start();
  base = `http://127.0.0.1:${server.address().port}`;
});

after(async () => {
  await server?.close();
  await db?.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined);
  await db?.end();
});

describe('without a session', () => {
  it('every page redirects to the login, graphs answer 401, forms are refused', async () => {
    for (const path of [
      '/',
      '/devices?q=x',
      `/device/${ids.dev}`,
      `/device/${ids.dev}/ports`,
      `/device/${ids.dev}/syslog`,
      `/device/${ids.dev}/port/${ids.port}`,
      '/pollers',
      '/eventlog',
      '/nope',
    ]) {
      const r = await request(path);
      assert.equal(r.status, 303, path);
      assert.equal(r.headers.get('location'), `/login?next=${encodeURIComponent(path)}`);
    }
    assert.equal((await request(`/graph?type=port_bits&id=${ids.port}`)).status, 401);
    assert.equal((await request('/logout', { form: { _csrf: 'x' } })).status, 403);
    const bad = await request('/login', { cookie: 'nms_session=forged' });
    assert.equal(bad.status, 200, 'the login page itself is public');
  });

  it('a login post without the CSRF token, or with another one, is refused', async () => {
    const form = await request('/login');
    const pre = cookieValue(form.headers.getSetCookie(), 'nms_login')!;
    assert.equal((await request('/login', { form: { username: 'admin', password: PASSWORD } })).status, 403);
    assert.equal(
      (await request('/login', { cookie: pre, form: { username: 'admin', password: PASSWORD } })).status,
      403,
    );
    assert.equal(
      (
        await request('/login', {
          cookie: pre,
          form: { _csrf: 'not-the-token', username: 'admin', password: PASSWORD },
        })
      ).status,
      403,
    );
  });

  it(
    'ten wrong passwords in a row are slowed down: from the fifth the client must wait (429), even with the ' +
      'right one',
    async () => {
      const ip = '192.0.2.77';
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await login('admin', `wrong-${i}`, ip)).res.status);
      assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
      assert.ok(
        statuses.slice(5).every((s) => s === 429),
        `later attempts refused: ${statuses.join(',')}`,
      );
      const right = await login('admin', PASSWORD, ip);
      assert.equal(right.res.status, 429);
      assert.ok(Number(right.res.headers.get('retry-after')) >= 1);
      assert.equal(right.cookie, undefined);
      // another client is not affected
      assert.ok((await login('admin', PASSWORD, '192.0.2.78')).cookie);
    },
  );
});

describe('with a session', () => {
  let cookie: string;
  before(async () => {
    const r = await login('admin', PASSWORD);
    assert.equal(r.res.status, 303);
    assert.equal(r.res.headers.get('location'), '/devices');
    const set = r.res.headers.getSetCookie().find((c) => c.startsWith('nms_session='))!;
    for (const flag of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/'])
      assert.ok(set.includes(flag), `${flag} in ${set}`);
    cookie = r.cookie!;
  });

  it('pages render with the security headers, device text escaped, no credentials', async () => {
    const paths = [
      '/',
      '/devices',
      `/devices?q=${HOST}`,
      `/device/${ids.dev}`,
      `/device/${ids.dev}/ports`,
      `/device/${ids.dev}/health`,
      `/device/${ids.dev}/inventory`,
      `/device/${ids.dev}/neighbours`,
      `/device/${ids.dev}/events`,
      `/device/${ids.dev}/syslog`,
      `/device/${ids.dev}/port/${ids.port}`,
      '/pollers',
      '/eventlog',
    ];
    for (const path of paths) {
      const r = await request(path, { cookie });
      assert.equal(r.status, 200, `${path}: ${r.text.slice(0, 200)}`);
      const csp = r.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline/);
      assert.equal(r.headers.get('x-frame-options'), 'DENY');
      assert.doesNotMatch(r.text, /<script>alert/, path);
      assert.doesNotMatch(r.text, /<script(?! src="\/static\/app\.js" defer>)/, `${path}: only our own script tag`);
      assert.ok(!r.text.includes(COMMUNITY), `${path}: no community`);
    }
    const device = await request(`/device/${ids.dev}`, { cookie });
    assert.ok(device.text.includes('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;'), 'sysName shown as text');
    const ports = await request(`/device/${ids.dev}/ports`, { cookie });
    assert.ok(ports.text.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'ifAlias shown as text');
  });

  it('the device list searches, filters and sorts', async () => {
    const found = await request(`/devices?q=${encodeURIComponent(HOST)}`, { cookie });
    assert.ok(found.text.includes(`/device/${ids.dev}"`));
    assert.ok(!found.text.includes(`/device/${ids.other}"`));
    const group1 = await request('/devices?poller_group=1', { cookie });
    assert.ok(group1.text.includes(`/device/${ids.other}"`) && !group1.text.includes(`/device/${ids.dev}"`));
    const up = await request('/devices?status=up&sort=hostname&dir=desc', { cookie });
    assert.ok(up.text.includes(`/device/${ids.dev}"`) && !up.text.includes(`/device/${ids.other}"`));
    assert.equal((await request('/devices?sort=community', { cookie })).status, 400);
  });

  it('tabs list sensors, and say "not collected" for tables not created yet', async () => {
    const health = await request(`/device/${ids.dev}/health`, { cookie });
    assert.match(health.text, /temperature/);
    assert.match(health.text, /41\.5 °C/);
    const inv = await request(`/device/${ids.dev}/inventory`, { cookie });
    assert.match(inv.text, /no inventory/);
    // a database without the table (an older nms's): the tab says so instead of failing
    await db.query('DROP TABLE entPhysical');
    const missing = await request(`/device/${ids.dev}/inventory`, { cookie });
    assert.equal(missing.status, 200);
    assert.match(missing.text, /not collected/);
  });

  it('the syslog tab lists the device messages newest first, as text, paginated', async () => {
    await db.query(
      'INSERT INTO syslog (device_id, facility, priority, level, timestamp, program, msg) VALUES ' +
        "(?, 'daemon', 'info', '6', '2026-01-01 10:00:00', 'sshd', 'older message'), " +
        "(?, 'kern', 'warning', '4', '2026-01-01 11:00:00', ?, ?), " +
        "(?, 'kern', 'err', '3', '2026-01-01 12:00:00', 'other', 'of another device')",
      [ids.dev, ids.dev, `k<b>x</b>`, `newer <script>x</script> "q"`, ids.other],
    );
    const r = await request(`/device/${ids.dev}/syslog`, { cookie });
    assert.equal(r.status, 200, r.text.slice(0, 200));
    assert.match(r.text, /class="active"[^>]*>Syslog|>Syslog</);
    const newer = r.text.indexOf('newer &lt;script&gt;x&lt;/script&gt; &quot;q&quot;');
    const older = r.text.indexOf('older message');
    assert.ok(newer > 0 && older > newer, 'both messages, newest first, markup as text');
    assert.ok(!r.text.includes('<script>x') && !r.text.includes('<b>x'), 'no markup from the messages');
    assert.ok(r.text.includes('k&lt;b&gt;x&lt;/b&gt;') && r.text.includes('warning (4)'));
    assert.ok(r.text.includes('2026-01-01 11:00:00') && r.text.includes('sshd'));
    assert.ok(!r.text.includes('of another device'), "another device's message is not listed");
    assert.ok(!r.text.includes('older →'), 'one page');
    const empty = await request(`/device/${ids.dev}/syslog?page=2`, { cookie });
    assert.match(empty.text, /no syslog messages/);
    assert.match(empty.text, /← newer/);
    assert.equal((await request(`/device/${ids.dev}/syslog?page=0`, { cookie })).status, 400);
  });

  it('graph parameters are checked before anything reaches rrdtool', async () => {
    const bad = [
      'type=../../etc/passwd&id=1',
      'type=port_bits&id=1;ls',
      `type=port_bits&id=${ids.port}&from=-1d%20--imgformat%20SVG`,
      `type=port_bits&id=${ids.port}&width=99999`,
      `type=port_bits&id=${ids.port}&extra=1`,
      `type=port_bits&id=${ids.port}&from=now&to=-1d`,
      `type=port_bits&id=${ids.port}&id=2`,
      'type=sensor_x&id=1',
      `type=port_bits&id=${ids.port}&legend=maybe`,
    ];
    for (const q of bad) assert.equal((await request(`/graph?${q}`, { cookie })).status, 400, q);
    assert.equal((await request('/graph?type=port_bits&id=999999', { cookie })).status, 404);
    assert.equal(
      (await request('/graph?type=mempool_usage&id=1', { cookie })).status,
      404,
      'a table not created yet: nothing to draw',
    );
  });

  it('a port graph is a PNG showing the traffic written into the RRD file', async () => {
    for (const from of ['-6h', '-1d', '-1w', '-1m', '-1y']) {
      const r = await request(`/graph?type=port_bits&id=${ids.port}&from=${from}`, { cookie });
      assert.equal(r.status, 200, r.text.slice(0, 200));
      assert.equal(r.headers.get('content-type'), 'image/png');
      const png = decodePng(r.body);
      assert.equal(png.width > 700, true);
      if (from === '-6h' || from === '-1d')
        assert.ok(countColour(png, [0x4f, 0xc3, 0x6b]) > 2000, `${from}: the In area is drawn`);
    }
    const small = decodePng(
      (await request(`/graph?type=port_bits&id=${ids.port}&from=-6h&width=150&height=36&legend=no`, { cookie })).body,
    );
    assert.equal(small.width, 150);
    assert.ok(countColour(small, [0x4f, 0xc3, 0x6b]) > 500);
  });

  it('draws through the unix socket of rrdcached too (absolute file names, as the master is deployed)', async () => {
    const sock = SERVICES.rrdcachedSocket;
    const web = new WebApp({
      db,
      rrdcached: `unix:${sock}`,
      rrdDir: SERVICES.rrdDir,
    });
    const other = new ApiServer({ db, token: generateSecret(24), port: 0, closeTimeoutMs: 500, web });
    await other.start();
    try {
      const res = await fetch(`http://127.0.0.1:${other.address().port}/graph?type=port_bits&id=${ids.port}&from=-6h`, {
        headers: { Cookie: cookie },
      });
      assert.equal(res.status, 200, await res.clone().text());
      assert.ok(countColour(decodePng(Buffer.from(await res.arrayBuffer())), [0x4f, 0xc3, 0x6b]) > 2000);
    } finally {
      await other.close();
    }
  });

  it('logout ends the session: pages redirect and graphs answer 401 afterwards', async () => {
    const page = await request('/', { cookie });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    assert.equal((await request('/logout', { cookie, form: { _csrf: 'wrong' } })).status, 403);
    const out = await request('/logout', { cookie, form: { _csrf: csrf } });
    assert.equal(out.status, 303);
    assert.equal((await request('/', { cookie })).status, 303);
    assert.equal((await request(`/graph?type=port_bits&id=${ids.port}`, { cookie })).status, 401);
  });

  it('the API keeps its token and its JSON beside the web', async () => {
    const r = await fetch(`${base}/api/v0/devices`);
    assert.equal(r.status, 401);
    assert.match(r.headers.get('content-type') ?? '', /json/);
  });
});

describe('users made by the SQL of `nms user` and deploy', () => {
  /** Runs a script of `;\n`-separated statements as mysql does; returns the last result's first value. */
  async function run(sql: string): Promise<unknown> {
    let last: unknown;
    for (const stmt of sql
      .split(/;\n/)
      .map((s) => s.trim().replace(/;$/, ''))
      .filter(Boolean)) {
      const [r] = await db.query(stmt);
      if (Array.isArray(r) && r.length) last = Object.values(r[0] as object)[0];
    }
    return last;
  }
  const inv = (password: string) =>
    ({
      cluster: { mariadb: { database }, web: { adminUser: 'root-admin' } },
      secrets: { web_admin_password: password },
    }) as unknown as Inventory;

  it('add, log in, passwd (ends the sessions), remove', async () => {
    const pw1 = 'first password ' + generateSecret(4);
    const pw2 = 'second password ' + generateSecret(4);
    await run(await addUserSql(database, 'alice', pw1, 5));
    const s = await login('alice', pw1, '192.0.2.90');
    assert.ok(s.cookie);
    assert.equal((await request('/', { cookie: s.cookie })).status, 200);
    assert.equal(Number(await run(await passwdSql(database, 'alice', pw2))), 1, 'one user changed');
    assert.equal((await request('/', { cookie: s.cookie })).status, 303, 'the old session ended');
    assert.equal((await login('alice', pw1, '192.0.2.91')).cookie, undefined);
    assert.ok((await login('alice', pw2, '192.0.2.92')).cookie);
    assert.equal(Number(await run(removeUserSql(database, 'alice'))), 1);
    assert.equal((await login('alice', pw2, '192.0.2.93')).cookie, undefined);
  });

  it("deploy's first admin is created once; a later password change is kept", async () => {
    assert.equal(Number(await run(await firstAdminSql(inv('admin password one')))), 1);
    assert.equal(Number(await run(await firstAdminSql(inv('admin password two')))), 0);
    assert.ok((await login('root-admin', 'admin password one', '192.0.2.94')).cookie);
  });
});
