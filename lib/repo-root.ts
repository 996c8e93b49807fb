// The repository nms runs from, found from this file's own place (lib/repo-root.ts in the
// sources, dist/*.mjs in a bundle): the nearest directory above whose package.json is nms's.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the directory of nms's package.json); the working directory if none is found. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'nms') return dir;
    } catch {
      // not here
    }
    dir = dirname(dir);
  }
  return process.cwd();
}
