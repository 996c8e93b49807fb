// Writes one benchmark's section into docs/benchmarks.md between its own markers, so benches
// run separately keep each other's results; the machine block at the top is refreshed each run.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;
const DOC = join(ROOT, 'docs/benchmarks.md');

const HEAD = `# Benchmarks

Measured by \`npm run bench\` (\`bash scripts/bench.sh [rrd|poll|scale|deploy|status]\`); each
section is rewritten by its own bench and says when it ran. None of these is a pass/fail test:
the budgets come from DESIGN.md ("Performance budget") and a missed one is reported, not hidden.
The notes at the end are written by hand after reading the runs; the machine block is
refreshed by every bench (its commit is the one of the latest run).
`;

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return 'n/a';
  }
}

function debVersion(pkg: string): string {
  return sh('dpkg-query', ['-W', '-f', '${Version}', pkg]);
}

/** The machine and the versions of everything measured. */
export function machineBlock(): string {
  const pkgs = [
    'rrdtool',
    'rrdcached',
    'prometheus-snmp-exporter',
    'ansible',
    'hyperfine',
    'mariadb-server',
    'redis-server',
    'memcached',
  ];
  const netSnmp = JSON.parse(readFileSync(join(ROOT, 'node_modules/net-snmp/package.json'), 'utf8')).version as string;
  const osName = sh('sh', ['-c', '. /etc/os-release && echo $PRETTY_NAME']);
  const lines = [
    `- CPU: ${cpus().length} × ${cpus()[0]?.model ?? '?'} (nproc ${sh('nproc', [])})`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB; kernel ${sh('uname', ['-r'])}; ${osName}`,
    `- Node ${process.version}; net-snmp ${netSnmp}; nms ${COMMIT_AT_START}`,
    `- Debian packages: ${pkgs.map((p) => `${p} ${debVersion(p)}`).join(', ')}`,
    "- the machine is shared with other engineers' builds and tests: " +
      'figures are from one run each, not an idle-machine best',
  ];
  return lines.join('\n');
}

function replaceBlock(doc: string, name: string, body: string): string {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i >= 0 && j > i) return doc.slice(0, i) + block + doc.slice(j + end.length);
  return doc.trimEnd() + '\n\n' + block + '\n';
}

const LOAD_AT_START = loadavg();
// The commit as the bench found it: one made while a long bench runs is not what it measured.
const COMMIT_AT_START = sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);

// The tree as the bench found it: what it measures. docs/benchmarks.md is left out, so that a
// section an earlier part of the same bench wrote does not count as a change to the code.
const TREE_AT_START = sh('git', [
  '-C',
  ROOT,
  'status',
  '--porcelain',
  '--untracked-files=no',
  '--',
  '.',
  ':(exclude)docs/benchmarks.md',
]);

/** Which code measured, whether the tree held uncommitted changes, and the load around the run. */
export function provenance(): string {
  const commit = COMMIT_AT_START;
  const dirty = TREE_AT_START;
  const tree = dirty === '' ? 'clean tree' : dirty === 'n/a' ? 'tree state unknown' : 'UNCOMMITTED CHANGES in the tree';
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  const loads = `at the bench's start ${load(LOAD_AT_START)}, at its end ${load(loadavg())}`;
  return `Commit ${commit} (${tree}); load average (1, 5, 15 min) ${loads}.`;
}

/**
 * Replaces (or appends) the section `name`; the notes block below it, if any, is kept. The
 * section's heading is followed by its provenance line (commit, clean tree, load).
 */
export function writeSection(name: string, body: string): void {
  // NMS_BENCH_NO_WRITE=1: a trial or profiling run that must not replace the recorded results
  if (process.env.NMS_BENCH_NO_WRITE) return;
  let doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : HEAD;
  doc = replaceBlock(doc, 'machine', `## Machine\n\n${machineBlock()}`);
  const lines = body.trim().split('\n');
  const at = lines[0].startsWith('#') ? 1 : 0;
  lines.splice(at, 0, ...(at ? ['', provenance()] : [provenance(), '']));
  doc = replaceBlock(doc, name, lines.join('\n'));
  writeFileSync(DOC, doc.trimEnd() + '\n');
}

/** A markdown table from a header and rows. */
export function table(head: string[], rows: (string | number)[][]): string {
  const line = (r: (string | number)[]) => `| ${r.map(String).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The median: the middle value, or the mean of the two middle ones when the count is even. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
export const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
