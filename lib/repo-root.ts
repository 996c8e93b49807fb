// The directory nms runs from: the checkout, or the installed package. Both the sources (lib/,
// cli/, agent/) and the bundles (dist/) sit below it, so it is found by walking up from here
// to the package.json named nms.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The repository (or package) root; the current directory when no nms package.json is above. */
export function repoRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (isNmsPackage(join(dir, 'package.json'))) return (root = dir);
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

function isNmsPackage(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'nms';
  } catch {
    return false; // none here, or not ours
  }
}
