// Skipped tests against the allow-list: a test that skips in CI is a test that did not run, so
// in CI (CI=true) every skip must be listed, with a reason, in test/allowed-skips.txt.
//   node scripts/check-skips.mjs <allow-list> <tap files...>
// Prints every skip (name and the skip's own reason); exits 1 when CI=true and one is not listed,
// or when a line of the list has no reason. Outside CI it only prints.
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Skipped tests of one TAP file, each as its full name ("suite > test") and the skip message. */
export function skipsOf(tap) {
  const stack = [];
  const found = [];
  for (const line of tap.split('\n')) {
    const sub = /^( *)# Subtest: (.*)$/.exec(line);
    if (sub) {
      stack[sub[1].length / 4] = sub[2];
      continue;
    }
    const ok = /^( *)ok \d+ - (.*?) # SKIP ?(.*)$/.exec(line);
    if (!ok) continue;
    const depth = ok[1].length / 4;
    found.push({ name: [...stack.slice(0, depth), ok[2]].join(' > '), reason: ok[3] });
  }
  return found;
}

/** The allow-list: `full test name | reason`, one a line; `#` starts a comment line. */
export function readAllowList(text) {
  const allowed = new Map();
  const bad = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const at = line.lastIndexOf(' | ');
    const name = at < 0 ? line : line.slice(0, at).trim();
    const reason = at < 0 ? '' : line.slice(at + 3).trim();
    if (!reason) bad.push(`line ${i + 1}: "${name}" has no reason (write "name | reason")`);
    else allowed.set(name, reason);
  });
  return { allowed, bad };
}

const [listFile, ...taps] = process.argv.slice(2);
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  let listText = '';
  try {
    listText = readFileSync(listFile, 'utf8');
  } catch {
    // no list: nothing is allowed
  }
  const { allowed, bad } = readAllowList(listText);
  let failed = bad.length > 0;
  for (const b of bad) console.log(`allowed-skips: ${b}`);
  for (const f of taps.filter((t) => existsSync(t))) {
    for (const s of skipsOf(readFileSync(f, 'utf8'))) {
      const why = allowed.get(s.name);
      if (why) console.log(`skipped (allowed: ${why}): ${s.name}`);
      else if (ci) {
        console.log(`SKIPPED IN CI, not in ${listFile}: ${s.name} (${s.reason || 'no reason given'})`);
        failed = true;
      } else console.log(`skipped: ${s.name} (${s.reason || 'no reason given'})`);
    }
  }
  process.exit(failed ? 1 : 0);
}
