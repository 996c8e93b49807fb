// `nms deploy --check --diff` masks secrets on both sides: the wanted file's (the inventory's
// secrets) and the host's live file, whose values the inventory may no longer know (a rotated
// redis_password, a drifted APP_KEY). The files are rendered from the real templates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Handlebars from 'handlebars';
import { CHANGED, MASK, SecretMasker, maskSecretFields } from '../../cli/deploy/diff.js';

const ROOT = resolve(import.meta.dirname, '../..');
const tpl = (p: string) => Handlebars.compile(readFileSync(join(ROOT, 'templates', p), 'utf8'), { noEscape: true });

const LIVE = {
  redis: 'live-redis-Passw0rd-old',
  appKey: 'base64:T2xkS2V5T2xkS2V5T2xkS2V5T2xkS2V5T2xkS2V5MTI=',
  db: 'db-pass-unchanged-1234',
};
const WANT = {
  redis: 'rotated-redis-N3w-pass',
  appKey: 'base64:TmV3S2V5TmV3S2V5TmV3S2V5TmV3S2V5TmV3S2V5MTI=',
  db: LIVE.db,
};

function env(s: typeof LIVE): string {
  const e = {
    DB_HOST: '198.18.0.10',
    DB_PORT: 3306,
    DB_DATABASE: 'nms',
    DB_USERNAME: 'nms_poller1',
    DB_PASSWORD: s.db,
    REDIS_HOST: '198.18.0.10',
    REDIS_PORT: 6379,
    REDIS_PASSWORD: s.redis,
    REDIS_DB: 0,
    APP_KEY: s.appKey,
    NODE_ID: 'abc',
    NMS_USER: 'nms',
    API_TOKEN: 'tok-0123456789abcdef',
  };
  return tpl('nms/env.hbs')({ cluster: { name: 'lab' }, agent: { user: 'nms', env: e } });
}

// the masker knows the inventory's (wanted) secrets only, as in a deploy
const masker = new SecretMasker([
  WANT.redis,
  WANT.appKey,
  WANT.appKey.replace(/^base64:/, ''),
  WANT.db,
  'tok-0123456789abcdef',
]);

test('a rotated REDIS_PASSWORD and a drifted APP_KEY: neither value on either side, the change still shown', () => {
  const d = masker.diff(env(LIVE), env(WANT), '/etc/nms/.env');
  for (const v of [LIVE.redis, LIVE.appKey, WANT.redis, WANT.appKey, LIVE.db, 'T2xkS2V5', 'TmV3S2V5'])
    assert.ok(!d.includes(v), `${v} leaked:\n${d}`);
  assert.match(d, /^-REDIS_PASSWORD=\*{8}$/m);
  assert.match(d, /^\+REDIS_PASSWORD=\*{8} \(changed\)$/m);
  assert.match(d, /^-APP_KEY=\*{8}$/m);
  assert.match(d, /^\+APP_KEY=\*{8} \(changed\)$/m);
  // an unchanged secret is context, masked, not a change
  assert.match(d, /^ DB_PASSWORD=\*{8}$/m);
  // masking the finished diff again (as the recap and --json do) keeps it as it is
  assert.equal(masker.mask(d), d);
});

test('redis.conf: a live requirepass the inventory no longer knows is masked', () => {
  const conf = (pw: string) =>
    tpl('redis/redis.conf.hbs')({
      redis: { password: pw, bind: ['127.0.0.1'], port: 6379, maxmemory: '256mb' },
      cluster: { name: 'lab' },
    });
  const d = masker.diff(conf(LIVE.redis), conf(WANT.redis), '/etc/redis/redis.conf');
  assert.ok(!d.includes(LIVE.redis) && !d.includes(WANT.redis), d);
  assert.match(d, /^-requirepass \*{8}$/m);
  assert.match(d, /^\+requirepass \*{8} \(changed\)$/m);
});

test('secret fields by name in every syntax; other lines untouched', () => {
  const text = [
    'password = "hunter2hunter2"',
    'masterauth abcdefgh',
    'sentinel auth-pass nms s3cr3tvalue',
    'authpass: xyz12345',
    'port 6379',
    '# password required',
    'DB_HOST=10.0.0.1',
  ].join('\n');
  assert.equal(
    maskSecretFields(text),
    [
      `password = ${MASK}`,
      `masterauth ${MASK}`,
      `sentinel auth-pass nms ${MASK}`,
      `authpass: ${MASK}`,
      'port 6379',
      '# password required',
      'DB_HOST=10.0.0.1',
    ].join('\n'),
  );
  assert.equal(CHANGED, `${MASK} (changed)`);
});
