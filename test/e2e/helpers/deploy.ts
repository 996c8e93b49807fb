// The set-up most lab e2e files share: a private copy of the lab's inventory, edited for the
// test, then one `nms deploy` of it. A deploy that fails fails the set-up, naming the failed
// lines.
import { chmodSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { REPO, nms, type Ran } from './lab.js';

/** The inventory `nms lab up` writes. */
export const LAB_INV = join(REPO, 'inventories', 'lab');

/** Copies the lab's inventory into `inv`, secrets.yaml with mode 0600 as nms requires. */
export function copyLabInventory(inv: string): void {
  cpSync(LAB_INV, inv, { recursive: true });
  chmodSync(join(inv, 'secrets.yaml'), 0o600);
}

/** Rewrites a file through `fn`; returns the new text. */
export function editFile(path: string, fn: (text: string) => string): string {
  const text = fn(readFileSync(path, 'utf8'));
  writeFileSync(path, text);
  return text;
}

/** Writes devices.yaml from its entry lines, mode 0600 (it holds communities). */
export function writeDevices(inv: string, lines: string[]): void {
  writeFileSync(join(inv, 'devices.yaml'), `devices:\n${lines.join('\n')}\n`);
  chmodSync(join(inv, 'devices.yaml'), 0o600);
}

/** Runs `nms deploy -i inv`; a non-zero exit fails the caller with the failed lines (or the output's end). */
export async function deployOrFail(inv: string, timeoutMs = 900_000): Promise<Ran> {
  const d = await nms(['deploy', '-i', inv], timeoutMs);
  const out = d.stdout + d.stderr;
  const failed = out.split('\n').filter((l) => /FAILED|UNREACHABLE|error/.test(l));
  const why = failed.length ? failed.slice(0, 8).join(' | ') : out.slice(-2000);
  assert.equal(d.code, 0, `deploy failed (${d.code}): ${why}`);
  return d;
}
