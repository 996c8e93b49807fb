// The web's pure parts: escaping, graph parameter checks and rrdtool arguments, the login
// slowdown, password hashes, the post-login redirect and cookie parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, html, raw } from '../../agent/web/common/html.js';
import { graphArgs, parseGraphQuery, parseTime } from '../../agent/web/common/graphs.js';
import { FREE_FAILURES, LoginThrottle } from '../../agent/web/common/auth.js';
import { parseCookies, safeNext } from '../../agent/web/common/http.js';
import { hashPassword, verifyPassword } from '../../lib/password.js';
import { WEB_ROUTES } from '../../agent/web/routes.js';

test('html escapes every interpolation unless it is Html we built', () => {
  const evil = `<script>alert(1)</script>"'&\``;
  assert.equal(escapeHtml(evil), '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;&#96;');
  assert.equal(html`<td title="${evil}">${evil}</td>`.text, `<td title="${escapeHtml(evil)}">${escapeHtml(evil)}</td>`);
  assert.equal(html`<p>${[evil, raw('<b>ok</b>'), null, 3]}</p>`.text, `<p>${escapeHtml(evil)}<b>ok</b>3</p>`);
});

test('graph parameters: ranges, sizes and types are checked', () => {
  const now = 1_800_000_000;
  assert.equal(parseTime('-6h', '-1d', now), now - 6 * 3600);
  assert.equal(parseTime('-1y', '-1d', now), now - 365 * 86400);
  assert.equal(parseTime('1799990000', '-1d', now), 1799990000);
  for (const bad of ['-1d --x', '1d', '-1s', 'now-1', '-99999d', '../x'])
    assert.throws(() => parseTime(bad, '-1d', now), /time must be/);
  const g = parseGraphQuery(new URLSearchParams('type=port_bits&id=7&from=-1w&width=300&height=100&legend=no'), now);
  assert.deepEqual(
    [g.def.name, g.id, g.from, g.to, g.width, g.height, g.legend],
    ['port_bits', 7, now - 7 * 86400, now, 300, 100, false],
  );
  for (const q of [
    'type=__proto__&id=1',
    'type=constructor&id=1',
    'type=port_bits&id=0',
    'type=port_bits&id=1&width=1',
    'type=port_bits&id=1&from=-1d&to=-2d',
    'type=port_bits&id=1&x=1',
  ]) {
    assert.throws(() => parseGraphQuery(new URLSearchParams(q), now), { status: 400 } as object, q);
  }
});

test('rrdtool gets numbers, our own texts and the file paths only', () => {
  const g = parseGraphQuery(new URLSearchParams('type=port_bits&id=7&from=-1d'), 1_800_000_000);
  const args = graphArgs(g, ['host_1/port-id7.rrd'], '127.0.0.1:42217');
  assert.deepEqual(args.slice(0, 4), ['graph', '-', '--daemon', '127.0.0.1:42217']);
  assert.ok(args.includes('DEF:in0=host_1/port-id7.rrd:INOCTETS:AVERAGE'));
  assert.ok(args.includes('CDEF:in=in0,8,*'));
  assert.ok(args.some((a) => a.startsWith('GPRINT:in:MAX:')));
  const sum = graphArgs(
    parseGraphQuery(new URLSearchParams('type=device_bits&id=1'), 1_800_000_000),
    ['h/port-id1.rrd', 'h/port-id2.rrd'],
    'x:1',
  );
  assert.ok(sum.includes('CDEF:out=out0,out1,ADDNAN,8,*'));
});

test('login slowdown: free failures, then locks that double, per client, cleared by a success', () => {
  let now = 0;
  const t = new LoginThrottle(() => now);
  for (let i = 1; i < FREE_FAILURES; i++) {
    assert.ok(t.failed('a') > 0);
    assert.equal(t.waitSeconds('a'), 0);
  }
  const delay = t.failed('a');
  assert.equal(t.waitSeconds('a'), Math.ceil((delay + 1000) / 1000));
  assert.equal(t.waitSeconds('b'), 0, 'other clients are not slowed');
  now += 10_000;
  t.failed('a');
  assert.ok(t.waitSeconds('a') >= 2);
  t.succeeded('a');
  assert.equal(t.waitSeconds('a'), 0);
});

test('passwords: scrypt hashes verify, differ per salt, and malformed hashes never match', async () => {
  const h = await hashPassword('a long passphrase');
  assert.match(h, /^\$scrypt\$N=16384,r=8,p=1\$/);
  assert.notEqual(h, await hashPassword('a long passphrase'));
  assert.equal(await verifyPassword('a long passphrase', h), true);
  assert.equal(await verifyPassword('a long passphrasE', h), false);
  for (const bad of [null, '', 'plain', '$scrypt$N=3,r=8,p=1$AAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA=='])
    assert.equal(await verifyPassword('x', bad), false);
});

test('after login only a local path is followed', () => {
  assert.equal(safeNext('/devices?q=a&status=up'), '/devices?q=a&status=up');
  for (const bad of [
    '//evil.example/',
    'https://evil.example/',
    '/\\evil',
    '/login?next=/x',
    'javascript:alert(1)',
    null,
  ])
    assert.equal(safeNext(bad), '/');
  assert.deepEqual(
    [...parseCookies('a=1; nms_session=xyz; a=2')],
    [
      ['a', '1'],
      ['nms_session', 'xyz'],
    ],
  );
});

test('every route states its guard, and every POST its CSRF check', () => {
  for (const r of WEB_ROUTES) {
    assert.ok(['public', 'session', 'session-401'].includes(r.guard), String(r.pattern));
    if (r.method === 'POST') assert.ok(r.csrf, `${r.pattern} checks a CSRF token`);
    if (r.guard === 'public')
      assert.ok(
        /login|static/.test(String(r.pattern)),
        `${r.pattern}: only the login form and static files are public`,
      );
  }
});
