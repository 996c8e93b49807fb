// Web users' password hashes, shared by the CLI (`nms user`, deploy's first admin) and the
// master's web: scrypt (memory-hard) with a random salt, stored as
// `$scrypt$N=<n>,r=<r>,p=<p>$<salt b64>$<hash b64>` so the cost can rise without a migration.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const COST = { N: 16384, r: 8, p: 1 };
const KEY_LEN = 32;
/** Longest password accepted: hashing a huge one is work handed to whoever sends it. */
export const MAX_PASSWORD_LENGTH = 1024;

function derive(password: string, salt: Buffer, o: { N: number; r: number; p: number }): Promise<Buffer> {
  const opts: ScryptOptions = { ...o, maxmem: 256 * o.N * o.r };
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LEN, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST);
  return `$scrypt$N=${COST.N},r=${COST.r},p=${COST.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const FORMAT = /^\$scrypt\$N=(\d{1,7}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/=]{8,64})\$([A-Za-z0-9+/=]{16,128})$/;

/** True when the password matches the stored hash; false for a wrong one or a malformed hash. */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const m = FORMAT.exec(stored ?? '');
  if (!m || password.length > MAX_PASSWORD_LENGTH) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (N < 2 || (N & (N - 1)) !== 0 || N > 1 << 20 || r < 1 || p < 1) return false;
  const want = Buffer.from(m[5], 'base64');
  const got = await derive(password, Buffer.from(m[4], 'base64'), { N, r, p });
  return got.length === want.length && timingSafeEqual(got, want);
}

/** A hash no password matches, compared against when the user is unknown (same time as a real check). */
export const UNKNOWN_USER_HASH =
  '$scrypt$N=16384,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
