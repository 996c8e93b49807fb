#!/usr/bin/env node
// Fails on any import cycle in the shipped code (agent/, cli/, lib/, simulator/, bench/), between files
// and between folders. Every import counts, `import type` included: a type-only import still ties
// the two places together. Usage: node scripts/check-cycles.mjs [--json]
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const TREES = ['agent', 'cli', 'lib', 'simulator', 'bench'];

function sourceFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

function importsOf(file) {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  const found = [];
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue;
    const base = path.resolve(path.dirname(file), ref.fileName);
    const candidates = [
      base.replace(/\.js$/, '.ts'),
      base.replace(/\.mjs$/, '.mts'),
      `${base}.ts`,
      path.join(base, 'index.ts'),
    ];
    const hit = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
    if (hit) found.push(hit);
  }
  return found;
}

/** Strongly connected components with more than one member (Tarjan). */
function cycles(graph) {
  let index = 0;
  const stack = [];
  const meta = new Map();
  const out = [];
  const visit = (v) => {
    meta.set(v, { index, low: index, onStack: true });
    index += 1;
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!meta.has(w)) {
        visit(w);
        meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).low);
      } else if (meta.get(w).onStack) meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).index);
    }
    if (meta.get(v).low === meta.get(v).index) {
      const group = [];
      let w;
      do {
        w = stack.pop();
        meta.get(w).onStack = false;
        group.push(w);
      } while (w !== v);
      if (group.length > 1) out.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!meta.has(v)) visit(v);
  return out;
}

const rel = (p) => path.relative(ROOT, p);
const files = TREES.filter((t) => fs.existsSync(path.join(ROOT, t))).flatMap((t) => sourceFiles(path.join(ROOT, t)));
const fileGraph = new Map();
const folderGraph = new Map();
for (const file of files) {
  const targets = importsOf(file);
  fileGraph.set(rel(file), new Set(targets.map(rel)));
  const from = rel(path.dirname(file));
  if (!folderGraph.has(from)) folderGraph.set(from, new Set());
  for (const t of targets) {
    const to = rel(path.dirname(t));
    if (to !== from) folderGraph.get(from).add(to);
  }
}
const result = { files: cycles(fileGraph), folders: cycles(folderGraph) };
if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
else {
  for (const c of result.files) console.log(`file cycle: ${c.join(' ↔ ')}`);
  for (const c of result.folders) console.log(`folder cycle: ${c.join(' ↔ ')}`);
  console.log(`${files.length} files: ${result.files.length} file cycles, ${result.folders.length} folder cycles`);
}
process.exit(result.files.length + result.folders.length === 0 ? 0 : 1);
