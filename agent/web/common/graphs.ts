// PNG graphs drawn by `rrdtool graph --daemon`, which asks rrdcached to flush the file before it
// reads it (as LibreNMS's web does) and fetches the data through the daemon, so the web needs no
// access to the RRD directory. Every parameter is checked here; rrdtool gets only numbers we
// computed, our own legend texts, and RRD paths built from the database with safeName() (no `:`
// or `/` from device text can reach it): the route is pages/graph.ts.
import { execFile } from 'node:child_process';
import { HttpError } from './http.js';
import { GRAPH_TYPES, type GraphDef } from './graph-types.js';

const UNITS: Record<string, number> = { h: 3600, d: 86400, w: 7 * 86400, m: 30 * 86400, y: 365 * 86400 };
const MAX_SPAN = 10 * 365 * 86400;

/** `-6h`, `-1d`, `-2w`, `-1m` (30 days), `-1y`, `now`, or seconds since the epoch. */
export function parseTime(raw: string | null, fallback: string, now: number): number {
  const v = raw ?? fallback;
  if (v === 'now') return now;
  let m = /^-(\d{1,4})([hdwmy])$/.exec(v);
  if (m) return now - Number(m[1]) * UNITS[m[2]];
  m = /^\d{9,10}$/.exec(v);
  if (m) return Number(v);
  const got = JSON.stringify(v.slice(0, 40));
  throw new HttpError(400, `time must be like -6h, -1d, -1w, -1m, -1y, now or seconds since the epoch (got ${got})`);
}

function intParam(q: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const v = q.get(name);
  if (v === null) return dflt;
  if (!/^\d{1,6}$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new HttpError(400, `${name} must be a whole number from ${min} to ${max}`);
  }
  return Number(v);
}

const ACCEPTED = new Set(['type', 'id', 'from', 'to', 'width', 'height', 'legend']);

export interface GraphRequest {
  def: GraphDef;
  id: number;
  from: number;
  to: number;
  width: number;
  height: number;
  legend: boolean;
}

export function parseGraphQuery(q: URLSearchParams, now = Math.floor(Date.now() / 1000)): GraphRequest {
  for (const k of new Set(q.keys())) {
    if (!ACCEPTED.has(k)) throw new HttpError(400, `unknown graph parameter ${JSON.stringify(k.slice(0, 40))}`);
    if (q.getAll(k).length > 1) throw new HttpError(400, `graph parameter ${k} given more than once`);
  }
  const type = q.get('type') ?? '';
  const def = Object.hasOwn(GRAPH_TYPES, type) ? GRAPH_TYPES[type] : undefined;
  if (!def) {
    const known = Object.keys(GRAPH_TYPES).join(', ');
    throw new HttpError(400, `unknown graph type ${JSON.stringify(type.slice(0, 40))}; known: ${known}`);
  }
  const idRaw = q.get('id') ?? '';
  if (!/^\d{1,10}$/.test(idRaw) || Number(idRaw) < 1) throw new HttpError(400, 'id must be a positive whole number');
  const from = parseTime(q.get('from'), '-1d', now);
  const to = parseTime(q.get('to'), 'now', now);
  if (from >= to) throw new HttpError(400, 'from must be before to');
  if (to - from > MAX_SPAN) throw new HttpError(400, 'a graph spans at most 10 years');
  const legendRaw = q.get('legend') ?? 'yes';
  if (legendRaw !== 'yes' && legendRaw !== 'no') throw new HttpError(400, 'legend must be yes or no');
  const width = intParam(q, 'width', 700, 50, 2000);
  const height = intParam(q, 'height', 180, 20, 800);
  return { def, id: Number(idRaw), from, to, width, height, legend: legendRaw === 'yes' };
}

/** rrdtool graph's arguments: options, then the type's DEF/CDEF/drawing statements. */
export function graphArgs(g: GraphRequest, files: string[], daemon: string): string[] {
  const args = [
    'graph',
    '-',
    '--daemon',
    daemon,
    '--imgformat',
    'PNG',
    '--start',
    String(g.from),
    '--end',
    String(g.to),
    '--width',
    String(g.width),
    '--height',
    String(g.height),
    '--slope-mode',
    '--border',
    '0',
    '--color',
    'BACK#ffffff',
    '--color',
    'CANVAS#ffffff',
    '--color',
    'FONT#1d2330',
    '--font',
    'DEFAULT:7:',
    '--vertical-label',
    g.def.unit,
    '--base',
    String(g.def.base ?? 1000),
  ];
  if (!g.def.signed) args.push('--lower-limit', '0');
  if (g.def.max !== undefined) args.push('--upper-limit', String(g.def.max));
  if (!g.legend) args.push('--no-legend');
  if (g.height < 60 || g.width < 200) args.push('--only-graph');
  return args.concat(g.def.draw(files, g.legend));
}

/** Runs rrdtool, a few at a time, each with a deadline. */
export class GraphRunner {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    readonly daemon: string,
    private readonly concurrency: number,
    readonly rrdDir = '/var/lib/nms/rrd',
    private readonly timeoutMs = 15000,
  ) {}

  /** A file as rrdtool must name it: absolute over a unix socket (rrdtool resolves it locally), relative over TCP. */
  path(file: string): string {
    const local = this.daemon.startsWith('unix:') || this.daemon.startsWith('/');
    return local ? `${this.rrdDir.replace(/\/+$/, '')}/${file}` : file;
  }

  async draw(args: string[]): Promise<Buffer> {
    if (this.running >= this.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    try {
      return await new Promise<Buffer>((resolve, reject) => {
        const opts = { encoding: 'buffer' as const, maxBuffer: 16 << 20, timeout: this.timeoutMs };
        execFile('rrdtool', args, opts, (err, stdout, stderr) => {
          if (err) reject(Object.assign(new Error(String(stderr || err.message).trim()), { rrdtool: true }));
          else resolve(stdout);
        });
      });
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
