// A private copy of the lab's inventory for the deploy and status benches: the lab is shared
// and other clones rebuild it (new host keys, their own inventory directory that may vanish),
// so the benches work on a copy whose known_hosts starts empty (nms records the keys of the lab
// hosts on the first, untimed run: accept-new). Removed by the caller.
import { chmodSync, copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function copyInventory(src: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'nms-bench-inv-'));
  chmodSync(dir, 0o700);
  for (const f of ['hosts.yaml', 'secrets.yaml', 'devices.yaml']) if (existsSync(join(src, f))) copyFileSync(join(src, f), join(dir, f));
  chmodSync(join(dir, 'secrets.yaml'), 0o600);
  writeFileSync(join(dir, 'known_hosts'), '');
  return dir;
}
