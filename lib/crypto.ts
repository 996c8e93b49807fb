// APP_KEY handling and credential encryption at rest (AES-256-GCM).
// APP_KEY uses Laravel's form, `base64:` followed by 32 random bytes, so LibreNMS users
// recognise it. Ciphertexts are `v1:<iv b64>:<tag b64>:<data b64>`.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AppKeyMismatchError, ConfigError } from './errors.js';

const PREFIX = 'base64:';
/** Plain text encrypted as the cluster's check value; see {@link verifyAppKey}. */
export const APP_KEY_CHECK_PLAINTEXT = 'nms-app-key-check';

export function generateAppKey(): string {
  return PREFIX + randomBytes(32).toString('base64');
}

/** A random secret for passwords and tokens: URL-safe, no characters that need quoting. */
export function generateSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

/** Decodes an APP_KEY, throwing ConfigError with the reason when it is malformed. */
export function parseAppKey(appKey: string): Buffer {
  if (!appKey.startsWith(PREFIX)) throw new ConfigError('APP_KEY must start with "base64:"');
  const key = Buffer.from(appKey.slice(PREFIX.length), 'base64');
  if (key.length !== 32) throw new ConfigError(`APP_KEY must hold 32 bytes, it holds ${key.length}`);
  return key;
}

export function isValidAppKey(appKey: string): boolean {
  try {
    parseAppKey(appKey);
    return true;
  } catch {
    return false;
  }
}

/** A short fingerprint that identifies a key without revealing it (safe to print). */
export function appKeyFingerprint(appKey: string): string {
  return createHash('sha256').update(parseAppKey(appKey)).digest('hex').slice(0, 16);
}

export function encrypt(appKey: string, plaintext: string): string {
  const key = parseAppKey(appKey);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':');
}

/** Decrypts; throws AppKeyMismatchError when the key is not the one that encrypted it. */
export function decrypt(appKey: string, ciphertext: string): string {
  const parts = ciphertext.split(':');
  if (parts.length !== 4 || parts[0] !== 'v1') throw new ConfigError('encrypted value has an unknown format');
  const key = parseAppKey(appKey);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(parts[1], 'base64'));
  decipher.setAuthTag(Buffer.from(parts[2], 'base64'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(parts[3], 'base64')), decipher.final()]).toString('utf8');
  } catch (err) {
    throw new AppKeyMismatchError('value was encrypted with a different APP_KEY', { cause: err });
  }
}

/** True when `check` (from the database) was made with this APP_KEY. */
export function verifyAppKey(appKey: string, check: string): boolean {
  try {
    return decrypt(appKey, check) === APP_KEY_CHECK_PLAINTEXT;
  } catch {
    return false;
  }
}
