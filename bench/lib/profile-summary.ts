// Summarises a V8 .cpuprofile: self time by function and by where the code comes from (our
// agent code, net-snmp, mysql2, Node internals, GC), so the bench notes can say where a poll's
// CPU goes. Usage: node --import tsx bench/lib/profile-summary.ts FILE.cpuprofile [top]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

function origin(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(program)' || fn === '(idle)') return fn;
  if (!url) return 'native/builtin';
  if (url.startsWith('node:')) return 'node internals';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (/poll-worker\.mjs/.test(url)) return 'bundle';
  return url.replace(/^file:\/\/.*\/work\/main\//, '');
}

export function summarise(file: string, top = 25): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, number>();
  const origins = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\//, '')}:${n.callFrame.lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    const o = origin(n.callFrame.url, n.callFrame.functionName);
    origins.set(o, (origins.get(o) ?? 0) + us);
  }
  const pct = (us: number) => `${((us * 100) / total).toFixed(1)} %`;
  const lines = [`total sampled ${(total / 1e6).toFixed(2)} s`, '', 'by function (self):'];
  for (const [k, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`  ${pct(us).padStart(7)}  ${k}`);
  lines.push('', 'by origin (self):');
  for (const [k, us] of [...origins].sort((a, b) => b[1] - a[1]).slice(0, 15))
    lines.push(`  ${pct(us).padStart(7)}  ${k}`);
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('profile-summary.ts'))
  console.log(summarise(process.argv[2], Number(process.argv[3] ?? 25)));
