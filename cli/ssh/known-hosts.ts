// Host-key checking against the known_hosts file kept with the inventory (OpenSSH format).
// ssh2 accepts any key unless told otherwise, so this module decides: a key already recorded
// for the host is accepted, an unknown host is recorded (accept-new) unless strict checking
// is on, and a different key of the same type for a known host is a hard failure.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

export type HostKeyVerdict =
  | { kind: 'known' }
  | { kind: 'new'; fingerprint: string; line: string }
  | { kind: 'changed'; fingerprint: string; expected: string }
  | { kind: 'unknown-strict'; fingerprint: string };

/** The name OpenSSH writes for a host: `addr`, or `[addr]:port` when the port is not 22. */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** `SHA256:...` as `ssh-keygen -l` prints it. */
export function fingerprint(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** Key type named inside an SSH public key blob (first length-prefixed string). */
export function keyType(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return '';
  const n = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + n).toString('latin1');
}

interface Entry {
  hosts: string[];
  type: string;
  key: string;
}

export function parseKnownHosts(text: string): Entry[] {
  const out: Entry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('@')) continue;
    const [hosts, type, key] = line.split(/\s+/);
    if (hosts && type && key) out.push({ hosts: hosts.split(','), type, key });
  }
  return out;
}

/** Decides what to do with the key a host presented. Pure: the caller records new keys. */
export function checkHostKey(
  knownHostsText: string,
  hostName: string,
  keyBlob: Buffer,
  strict: boolean,
): HostKeyVerdict {
  const type = keyType(keyBlob);
  const key = keyBlob.toString('base64');
  const entries = parseKnownHosts(knownHostsText).filter((e) => e.hosts.includes(hostName));
  if (entries.some((e) => e.type === type && e.key === key)) return { kind: 'known' };
  const sameType = entries.find((e) => e.type === type);
  if (sameType)
    return {
      kind: 'changed',
      fingerprint: fingerprint(keyBlob),
      expected: fingerprint(Buffer.from(sameType.key, 'base64')),
    };
  if (strict) return { kind: 'unknown-strict', fingerprint: fingerprint(keyBlob) };
  return { kind: 'new', fingerprint: fingerprint(keyBlob), line: `${hostName} ${type} ${key}\n` };
}

/** Reads the file fresh each time: hosts connecting in parallel may have appended to it. */
export function readKnownHosts(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

export function appendKnownHost(path: string, line: string): void {
  // one short appendFile per line: parallel connections do not interleave their lines
  appendFileSync(path, line, { mode: 0o644 });
}
