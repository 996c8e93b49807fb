// Prometheus text exposition (format 0.0.4) without a client library: a handful of counters, a
// duration histogram and gauges read at scrape time. Served on cluster_address:metrics_port.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobRecord } from '../coord/worker-pool.js';
import type { MetricsAccess } from './metrics-access.js';

const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

type Labels = Record<string, string | number>;

function labelText(l: Labels): string {
  const parts = Object.entries(l).map(
    ([k, v]) => `${k}="${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return parts.length ? `{${parts.join(',')}}` : '';
}

interface Family {
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: Map<string, { labels: Labels; value: number }>;
}

type Sample = { labels: Labels; value: number };
interface Histogram {
  buckets: Sample[];
  inf: Sample;
  sum: Sample;
  count: Sample;
}

/** A gauge sampled at scrape time: returns [labels, value] pairs. */
export type GaugeReader = () => Promise<[Labels, number][]> | [Labels, number][];

export class Metrics {
  private readonly families = new Map<string, Family>();
  private readonly readers = new Map<string, { help: string; read: GaugeReader; type: 'gauge' | 'counter' }>();
  /** The samples of each histogram and label set (name + label text), so observe() only counts. */
  private readonly histograms = new Map<string, Histogram>();

  private family(name: string, help: string, type: Family['type']): Family {
    let f = this.families.get(name);
    if (!f) this.families.set(name, (f = { help, type, samples: new Map() }));
    return f;
  }

  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    const f = this.family(name, help, 'counter');
    const k = labelText(labels);
    const s = f.samples.get(k);
    if (s) s.value += by;
    else f.samples.set(k, { labels, value: by });
  }

  set(name: string, help: string, labels: Labels, value: number): void {
    this.family(name, help, 'gauge').samples.set(labelText(labels), { labels, value });
  }

  observe(name: string, help: string, labels: Labels, seconds: number): void {
    // a job's histogram: its samples are made once per label set, then only counted (one call a job)
    const key = `${name}${labelText(labels)}`;
    let h = this.histograms.get(key);
    if (!h) this.histograms.set(key, (h = this.histogram(this.family(name, help, 'histogram'), labels)));
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) h.buckets[i].value++;
    h.inf.value++;
    h.sum.value += seconds;
    h.count.value++;
  }

  private histogram(f: Family, labels: Labels): Histogram {
    const sample = (k: string, l: Labels) => {
      let s = f.samples.get(k);
      if (!s) f.samples.set(k, (s = { labels: l, value: 0 }));
      return s;
    };
    const bucket = (le: string) => {
      const l = { ...labels, le };
      return sample(`_bucket${labelText(l)}`, l);
    };
    const buckets = BUCKETS.map((b) => bucket(String(b)));
    const inf = bucket('+Inf');
    const text = labelText(labels);
    return { buckets, inf, sum: sample(`_sum${text}`, labels), count: sample(`_count${text}`, labels) };
  }

  /** A value read at scrape time; `counter` for totals kept elsewhere. */
  gauge(name: string, help: string, read: GaugeReader, type: 'gauge' | 'counter' = 'gauge'): void {
    this.readers.set(name, { help, read, type });
  }

  /** Counts one finished job (the pool's 'job' event). */
  recordJob(r: JobRecord): void {
    const l = { type: r.type, group: r.group };
    this.inc('nms_agent_jobs_total', 'Jobs finished by this agent, by outcome.', { ...l, outcome: r.outcome });
    if (r.outcome !== 'skipped')
      this.observe('nms_agent_job_duration_seconds', 'Time a job took, lock to result.', l, r.durationMs / 1000);
  }

  async render(): Promise<string> {
    const out: string[] = [];
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      for (const [k, s] of f.samples) {
        const suffix = f.type === 'histogram' ? k.slice(0, k.indexOf('{') < 0 ? k.length : k.indexOf('{')) : '';
        out.push(`${name}${suffix}${labelText(s.labels)} ${s.value}`);
      }
    }
    for (const [name, r] of this.readers) {
      let samples: [Labels, number][];
      try {
        samples = await r.read();
      } catch {
        continue; // a source that is down (e.g. Redis) leaves its gauge out rather than failing the scrape
      }
      out.push(`# HELP ${name} ${r.help}`, `# TYPE ${name} ${r.type}`);
      for (const [l, v] of samples) out.push(`${name}${labelText(l)} ${v}`);
    }
    return out.join('\n') + '\n';
  }
}

export class MetricsServer {
  private server?: Server;
  /** Peers refused so far (logged by the owner at most once a minute). */
  refused = 0;
  constructor(
    private readonly metrics: Metrics,
    private readonly host: string,
    private readonly port: number,
    /** Who may scrape besides loopback (the `metrics_allow` setting); undefined: anyone. */
    private readonly access?: MetricsAccess,
  ) {}

  /** Resolves with the bound port (0 asks the OS for one). */
  start(): Promise<number> {
    const server = createServer((req, res) => {
      if (this.access && !this.access.allows(req.socket.remoteAddress)) {
        this.refused++;
        res.writeHead(403, { connection: 'close' }).end('forbidden: this address is not in metrics_allow\n');
        return;
      }
      if (req.method !== 'GET' || (req.url !== '/metrics' && req.url !== '/')) {
        res.writeHead(404).end('not found\n');
        return;
      }
      this.metrics.render().then(
        (body) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body),
        (err) => res.writeHead(500).end(`${(err as Error).message}\n`),
      );
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve((server.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return Promise.resolve();
    s.closeAllConnections();
    return new Promise((r) => s.close(() => r()));
  }
}
