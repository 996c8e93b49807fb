// A real (throwaway) OpenSSH private key for inventories under test: the loader parses the key
// an inventory names, so a placeholder file no longer passes. Made once per process.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let made: string | undefined;

/** Writes an unencrypted ed25519 private key to `file` (mode 0600). */
export function writeTestKey(file: string): void {
  if (!made) {
    const dir = mkdtempSync(join(tmpdir(), 'nms-test-key-'));
    made = join(dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'nms-test', '-f', made], { stdio: 'ignore' });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  rmSync(file, { force: true });
  copyFileSync(made, file);
}
