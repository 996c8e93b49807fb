// What the files an inventory names must hold: the SSH key parses as an OpenSSH private key nms
// can use, the TLS certificate as X.509 and its key as the private key that matches it. Each
// check returns why a file cannot be used (one phrase for a located problem), or undefined.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';

function read(file: string): Buffer | string {
  try {
    return readFileSync(file);
  } catch (err) {
    return `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
}

/** Why `file` is not a private key nms can log in with, or undefined. */
export function sshKeyProblem(file: string): string | undefined {
  const data = read(file);
  if (typeof data === 'string') return `${file} ${data}`;
  const parsed = ssh2.utils.parseKey(data);
  if (parsed instanceof Error) {
    if (/passphrase/i.test(parsed.message))
      return `${file} is protected by a passphrase, which nms cannot ask for: use a key without one`;
    return `${file} is not an SSH private key (OpenSSH, PEM RSA/ECDSA or PuTTY form): ${parsed.message}`;
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key?.isPrivateKey()) return `${file} is a public key: name the private key (the file without .pub)`;
  return undefined;
}

/** Why the certificate and key files cannot serve HTTPS together, per file; empty when they can. */
export function tlsProblems(certFile: string, keyFile: string, now = new Date()): { cert?: string; key?: string } {
  const out: { cert?: string; key?: string } = {};
  const certData = read(certFile);
  const keyData = read(keyFile);
  let cert: X509Certificate | undefined;
  let key: KeyObject | undefined;
  if (typeof certData === 'string') out.cert = `${certFile} ${certData}`;
  else {
    try {
      cert = new X509Certificate(certData);
    } catch {
      out.cert = `${certFile} is not an X.509 certificate (PEM, "-----BEGIN CERTIFICATE-----")`;
    }
  }
  if (typeof keyData === 'string') out.key = `${keyFile} ${keyData}`;
  else {
    try {
      key = createPrivateKey(keyData);
    } catch (err) {
      const encrypted = /passphrase|encrypted/i.test(String((err as Error).message)) || keyData.includes('ENCRYPTED');
      out.key = encrypted
        ? `${keyFile} is encrypted with a passphrase, which nginx cannot ask for: ` +
          `decrypt it (openssl pkey -in ${keyFile} -out NEW)`
        : `${keyFile} is not a private key (PEM, "-----BEGIN PRIVATE KEY-----")`;
    }
  }
  const expiry = cert && new Date(cert.validTo);
  if (expiry && !out.cert && expiry < now)
    out.cert = `${certFile}: the certificate expired on ${expiry.toISOString().slice(0, 10)}`;
  if (cert && key && !cert.checkPrivateKey(key)) {
    const subject = cert.subject.replace(/\n/g, ', ');
    out.key = `${keyFile} is not the private key of the certificate ${certFile} (subject ${subject})`;
  }
  return out;
}
