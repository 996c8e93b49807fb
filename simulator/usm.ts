// SNMPv3 user-based security for the simulator (RFC 3414 with AES from RFC 3826): per-device
// engine IDs, key localisation, HMAC-SHA-96 and AES-128-CFB. Only the one lab user exists.
import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import { V3_AUTH_PASS, V3_PRIV_PASS } from './model.js';

/** Length of HMAC-SHA-96 authentication parameters. */
export const AUTH_PARAMS_LEN = 12;
/** Length of the AES salt (msgPrivacyParameters). */
export const PRIV_PARAMS_LEN = 8;

/**
 * Engine ID of device i: RFC 3411 format with net-snmp's enterprise number (8072), format 5
 * (octets), then "nms", the seed and the device index, so every device is its own engine.
 */
export function engineId(device: number, seed: number): Buffer {
  const id = Buffer.alloc(5 + 3 + 4 + 4);
  id.writeUInt32BE(0x80000000 + 8072, 0);
  id[4] = 5;
  id.write('nms', 5, 'latin1');
  id.writeUInt32BE(seed >>> 0, 8);
  id.writeUInt32BE(device >>> 0, 12);
  return id;
}

/** RFC 3414 A.2.2: a password stretched to 1 MiB and hashed with SHA-1. */
export function passwordToKey(password: string): Buffer {
  const pw = Buffer.from(password, 'utf8');
  const chunk = Buffer.alloc(64 * 1024);
  // the password repeats across chunk borders, so each chunk starts where the last one stopped
  const h = createHash('sha1');
  let offset = 0;
  for (let n = 0; n < 16; n++) {
    for (let i = 0; i < chunk.length; i++) chunk[i] = pw[(offset + i) % pw.length];
    h.update(chunk);
    offset += chunk.length;
  }
  return h.digest();
}

/** RFC 3414 A.2.2: Kul = H(Ku || engineID || Ku). */
export function localizeKey(ku: Buffer, engine: Buffer): Buffer {
  return createHash('sha1').update(ku).update(engine).update(ku).digest();
}

let kuAuth: Buffer | undefined;
let kuPriv: Buffer | undefined;

export interface UserKeys {
  auth: Buffer;
  /** First 16 bytes of the localised privacy key (AES-128). */
  priv: Buffer;
}

/** The lab user's keys localised to an engine (the 1 MiB stretch runs once per process). */
export function userKeys(engine: Buffer): UserKeys {
  kuAuth ??= passwordToKey(V3_AUTH_PASS);
  kuPriv ??= passwordToKey(V3_PRIV_PASS);
  return { auth: localizeKey(kuAuth, engine), priv: localizeKey(kuPriv, engine).subarray(0, 16) };
}

/** HMAC-SHA-96 of a whole message whose authentication parameters are zeroed. */
export function authDigest(key: Buffer, message: Uint8Array): Buffer {
  return createHmac('sha1', key).update(message).digest().subarray(0, AUTH_PARAMS_LEN);
}

function aesIv(boots: number, time: number, salt: Uint8Array): Buffer {
  const iv = Buffer.allocUnsafe(16);
  iv.writeUInt32BE(boots >>> 0, 0);
  iv.writeUInt32BE(time >>> 0, 4);
  iv.set(salt.subarray(0, 8), 8);
  return iv;
}

/** AES-128-CFB over a scoped PDU; boots/time are the authoritative engine's, as sent in the message. */
export function aesEncrypt(key: Buffer, boots: number, time: number, salt: Uint8Array, plain: Uint8Array): Buffer {
  const c = createCipheriv('aes-128-cfb', key, aesIv(boots, time, salt));
  return Buffer.concat([c.update(plain), c.final()]);
}

export function aesDecrypt(key: Buffer, boots: number, time: number, salt: Uint8Array, data: Uint8Array): Buffer {
  const d = createDecipheriv('aes-128-cfb', key, aesIv(boots, time, salt));
  return Buffer.concat([d.update(data), d.final()]);
}

/** RFC 3826: the salt must not repeat under one key; a counter from a random start does. */
export class SaltSequence {
  private counter = 0;
  private readonly salt = Buffer.alloc(PRIV_PARAMS_LEN);

  /** The next salt (the same buffer, overwritten on each call). */
  next(): Buffer {
    if (this.counter === 0) this.counter = Math.floor(Math.random() * 2 ** 40) + 1;
    this.counter++;
    this.salt.writeUInt32BE(Math.floor(this.counter / 2 ** 32) >>> 0, 0);
    this.salt.writeUInt32BE(this.counter >>> 0, 4);
    return this.salt;
  }
}
