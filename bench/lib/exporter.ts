// Prometheus snmp_exporter for the benches: installed with apt when missing, its snmp.yml generated
// from bench/generator.yml, and a process of our own on a private loopback port (never the Debian
// service), scraped over HTTP and stopped by its pid.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { parse } from 'yaml';
import { portStatsCollector } from '../../agent/collectors/ports.js';
import { ROOT } from './report.js';
import { sleep } from './proc.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/**
 * prometheus-snmp-exporter (with prometheus-snmp-generator) from Debian when it is missing. The
 * package starts its service on install: stopped again at once, the benches run their own process.
 */
export function ensureExporter(): void {
  if (has('prometheus-snmp-exporter') && has('prometheus-snmp-generator')) return;
  console.error('bench: installing prometheus-snmp-exporter (apt-get)');
  execFileSync('apt-get', ['install', '-y', 'prometheus-snmp-exporter'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  for (const args of [
    ['systemctl', 'disable', '--now', 'prometheus-snmp-exporter'],
    ['service', 'prometheus-snmp-exporter', 'stop'],
  ])
    spawnSync(args[0], args.slice(1), { stdio: 'ignore' });
}

/** Generates snmp.yml in `dir` from bench/generator.yml with the MIBs net-snmp (npm) ships. */
export function generateExporterConfig(dir: string): string {
  copyFileSync(join(ROOT, 'bench/generator.yml'), join(dir, 'generator.yml'));
  execFileSync('prometheus-snmp-generator', ['generate'], {
    cwd: dir,
    env: { ...process.env, MIBDIRS: join(ROOT, 'node_modules/net-snmp/lib/mibs') },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 120_000,
  });
  return join(dir, 'snmp.yml');
}

const SYS_UPTIME = '1.3.6.1.2.1.1.3';

/**
 * Checks that the generated if_counters module walks exactly the columns an nms poll of a 64-bit
 * device walks (agent/collectors/ports.ts portStatsCollector(64)) and gets sysUpTime (which the
 * nms system collector gets beside sysDescr, sysName and the other scalars of one GET).
 * Returns the description of the difference, or '' when they are the same.
 */
export function ifCountersDifference(snmpYml: string): string {
  const mod = (parse(readFileSync(snmpYml, 'utf8')) as Record<string, { walk?: string[]; get?: string[] }>).if_counters;
  if (!mod) return 'no if_counters module';
  const theirs = new Set(mod.walk ?? []);
  const ours = new Set(portStatsCollector(64).columns ?? []);
  const only = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x));
  const out: string[] = [];
  if (only(theirs, ours).length) out.push(`exporter only: ${only(theirs, ours).join(' ')}`);
  if (only(ours, theirs).length) out.push(`nms only: ${only(ours, theirs).join(' ')}`);
  const gets = (mod.get ?? []).map((o) => o.replace(/\.0$/, ''));
  if (gets.join() !== SYS_UPTIME) out.push(`exporter gets ${gets.join(' ') || 'nothing'} instead of sysUpTime`);
  return out.join('; ');
}

export interface ScrapeRound {
  polls: number;
  failed: number;
  varbinds: number;
  wall: number;
}

/** One prometheus-snmp-exporter process on 127.0.0.1:`port` with `config`. */
export class ExporterProcess {
  private child?: ChildProcess;
  private readonly agent: http.Agent;
  constructor(
    readonly config: string,
    readonly port: number,
    readonly concurrency: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  }

  get pid(): number {
    if (!this.child?.pid) throw new Error('prometheus-snmp-exporter not started');
    return this.child.pid;
  }

  /** Starts the process and waits until a scrape of `probe` with `module` answers. */
  async start(probe: string, module: string): Promise<void> {
    this.child = spawn(
      'prometheus-snmp-exporter',
      [`--config.file=${this.config}`, `--web.listen-address=127.0.0.1:${this.port}`, '--log.level=warn'],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    for (let i = 0; i < 100; i++) {
      if ((await this.scrape(probe, module)).ok) return;
      if (this.child.exitCode !== null) throw new Error(`prometheus-snmp-exporter exited ${this.child.exitCode}`);
      await sleep(100);
    }
    throw new Error(`prometheus-snmp-exporter: no answer for ${probe} (${module})`);
  }

  scrape(target: string, module: string): Promise<{ ok: boolean; pdus: number }> {
    return scrapeExporter(this.agent, this.port, target, module);
  }

  /** Scrapes every target once, `concurrency` at a time. */
  async scrapeAll(targets: string[], module: string): Promise<ScrapeRound> {
    const t = performance.now();
    let next = 0;
    const out = { polls: 0, failed: 0, varbinds: 0, wall: 0 };
    const worker = async () => {
      while (next < targets.length) {
        tally(out, await this.scrape(targets[next++], module));
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));
    out.wall = (performance.now() - t) / 1000;
    return out;
  }

  /**
   * Scrapes every target once every `periodS` seconds for `cycles` periods, the targets spread
   * evenly over the period (as Prometheus spreads its scrapes), at most `concurrency` at a time.
   */
  async scrapePaced(targets: string[], module: string, periodS: number, cycles: number): Promise<ScrapeRound> {
    const t = performance.now();
    const out = { polls: 0, failed: 0, varbinds: 0, wall: 0 };
    const running = new Set<Promise<void>>();
    const stepMs = (periodS * 1000) / targets.length;
    for (let k = 0; k < cycles * targets.length; k++) {
      const wait = t + k * stepMs - performance.now();
      if (wait > 0) await sleep(wait);
      while (running.size >= this.concurrency) await Promise.race(running);
      const p: Promise<void> = this.scrape(targets[k % targets.length], module).then((r) => {
        tally(out, r);
        running.delete(p);
      });
      running.add(p);
    }
    await Promise.all(running);
    out.wall = (performance.now() - t) / 1000;
    return out;
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await gone;
  }
}

/** Counts one scrape's outcome into a round's totals. */
function tally(out: ScrapeRound, r: { ok: boolean; pdus: number }): void {
  out.polls++;
  if (!r.ok) out.failed++;
  out.varbinds += r.pdus;
}

/** One scrape of `target` through the exporter on 127.0.0.1:`port`: answered with interface metrics, and its PDUs. */
export function scrapeExporter(
  agent: http.Agent,
  port: number,
  target: string,
  module: string,
): Promise<{ ok: boolean; pdus: number }> {
  return new Promise((resolve) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port,
        path: `/snmp?module=${module}&target=${encodeURIComponent(target)}`,
        agent,
        timeout: 30_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          const m = /^snmp_scrape_pdus_returned (\d+)/m.exec(body);
          resolve({
            ok: res.statusCode === 200 && Boolean(m) && /^ifOperStatus\{/m.test(body),
            pdus: m ? Number(m[1]) : 0,
          });
        });
      },
    );
    req.on('error', () => resolve({ ok: false, pdus: 0 }));
    req.on('timeout', () => req.destroy());
  });
}
