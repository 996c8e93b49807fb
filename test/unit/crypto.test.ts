import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appKeyFingerprint,
  decrypt,
  encrypt,
  generateAppKey,
  parseAppKey,
  verifyAppKey,
  APP_KEY_CHECK_PLAINTEXT,
} from '../../lib/crypto.js';
import { AppKeyMismatchError, ConfigError } from '../../lib/errors.js';

test('APP_KEY is base64: plus 32 bytes and round-trips a value', () => {
  const key = generateAppKey();
  assert.match(key, /^base64:/);
  assert.equal(parseAppKey(key).length, 32);
  const ct = encrypt(key, 'community-secret');
  assert.ok(!ct.includes('community-secret'));
  assert.equal(decrypt(key, ct), 'community-secret');
});

test('a different APP_KEY cannot decrypt and is detected by the check value', () => {
  const a = generateAppKey();
  const b = generateAppKey();
  const check = encrypt(a, APP_KEY_CHECK_PLAINTEXT);
  assert.equal(verifyAppKey(a, check), true);
  assert.equal(verifyAppKey(b, check), false);
  assert.throws(() => decrypt(b, check), AppKeyMismatchError);
  assert.notEqual(appKeyFingerprint(a), appKeyFingerprint(b));
});

test('malformed APP_KEY is a ConfigError naming the problem', () => {
  assert.throws(
    () => parseAppKey('abc'),
    (e: unknown) => e instanceof ConfigError && /base64:/.test((e as Error).message),
  );
  assert.throws(() => parseAppKey('base64:' + Buffer.alloc(16).toString('base64')), /32 bytes/);
});
