// Prints each failed test of the given TAP files (node:test's tap reporter) with its location and
// error, so the end of a long run says what failed and why without scrolling back to it.
//   node scripts/failures.mjs results/*.tap
// A suite failing only because a subtest failed is left out (the subtest is printed).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const MAX_LINES = 60;
const MAX_CHARS = 600;

/** Failed tests of one TAP text: name, location, failure type and error lines. */
function failures(text) {
  const lines = text.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)not ok \d+ - (.*)$/.exec(lines[i]);
    if (!m) continue;
    const indent = m[1].length + 2;
    const block = [];
    let j = i + 1;
    if ((lines[j] ?? '').trim() === '---')
      for (j++; j < lines.length && lines[j].trim() !== '...'; j++) block.push(lines[j].slice(indent));
    const field = (name) => block.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
    const type = (field('failureType') ?? '').replace(/'/g, '');
    if (type === 'subtestsFailed') continue;
    out.push({ name: m[2], location: (field('location') ?? '').replace(/'/g, ''), type, error: errorOf(block) });
  }
  return out;
}

/** The error field: a one-line value or a `|-` block (its lines indented under it). */
function errorOf(block) {
  const at = block.findIndex((l) => l.startsWith('error: '));
  if (at < 0) return [];
  const first = block[at].slice('error: '.length);
  if (first !== '|-' && first !== '|') return [first.replace(/^'(.*)'$/, '$1')];
  const body = [];
  for (let k = at + 1; k < block.length && (block[k].startsWith('  ') || block[k] === ''); k++)
    body.push(block[k].slice(2));
  while (body.length && body[body.length - 1].trim() === '') body.pop();
  return body;
}

const all = process.argv.slice(2).flatMap((f) => {
  let text = '';
  try {
    text = readFileSync(f, 'utf8');
  } catch {
    return [];
  }
  return failures(text).map((x) => ({ ...x, tier: basename(f, '.tap') }));
});
if (all.length > 0) {
  console.log(`== failed tests (${all.length}), with their errors`);
  for (const f of all) {
    console.log(`✖ [${f.tier}] ${f.name}${f.location ? `  (${f.location})` : ''}${f.type ? ` ${f.type}` : ''}`);
    const shown = f.error.slice(0, MAX_LINES);
    for (const l of shown) console.log(`    ${l.length > MAX_CHARS ? `${l.slice(0, MAX_CHARS)} …` : l}`);
    if (f.error.length > shown.length) console.log(`    … ${f.error.length - shown.length} more lines`);
  }
}
