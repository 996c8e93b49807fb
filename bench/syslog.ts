// Syslog: the sustained rate until the first loss. rsyslogd with the deployed snippet (on a free
// port), the agent's SyslogReceiver and MariaDB (NMS_TEST_DB), all on loopback; UDP messages at
// a rising rate, STEP_S seconds a step, each step's messages counted in the table once it stops
// growing. The first step that loses a message ends the run.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { generateAppKey } from '../lib/crypto.js';
import { createLogger, setLogLevel } from '../lib/log.js';
import { migrate, openDb } from '../agent/db/index.js';
import { SyslogReceiver } from '../agent/syslog/receiver.js';
import { probeSyslogPath } from '../agent/doctor/syslog-path.js';
import { fmt, now, ROOT, table, writeSection } from './lib/report.js';

const RATES = (process.env.NMS_BENCH_SYSLOG_RATES ?? '2000 5000 10000 20000 40000').split(/\s+/).map(Number);
const STEP_S = Number(process.env.NMS_BENCH_SYSLOG_STEP_S ?? 3);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function send(port: number, rate: number, tag: string): Promise<number> {
  const sock = createSocket('udp4');
  const perTick = rate / 100;
  let sent = 0;
  const total = rate * STEP_S;
  const t0 = Date.now();
  while (sent < total) {
    // catch up to where the clock says we should be (10 ms ticks)
    const due = Math.min(total, Math.floor(((Date.now() - t0) / 10 + 1) * perTick));
    for (; sent < due; sent++) sock.send(`<134>bench: ${tag} ${sent}`, port, '127.0.0.1');
    await sleep(10);
  }
  await sleep(200);
  sock.close();
  return sent;
}

async function main(): Promise<void> {
  setLogLevel('WARNING');
  const url = new URL(process.env.NMS_TEST_DB ?? 'mysql://nmstest:nmstest@127.0.0.1:13306');
  const database = `nms_bench_syslog_${process.pid}`;
  const work = mkdtempSync(join(tmpdir(), 'nms-bench-syslog-'));
  const db = await openDb(
    { host: url.hostname, port: Number(url.port), user: url.username, password: url.password, database },
    { createDatabase: true },
  );
  await migrate(db, { appKey: generateAppKey() });
  const receiver = new SyslogReceiver({ db, log: createLogger('bench.syslog'), port: 0 });
  const agentPort = await receiver.start();
  const inPort = await freePort();
  const conf = readFileSync(join(ROOT, 'templates/rsyslog/60-nms.conf.hbs'), 'utf8')
    .replace(/\{\{syslog\.port\}\}/g, String(inPort))
    .replace(/\{\{syslog\.agentPort\}\}/g, String(agentPort))
    .replace(/\{\{cluster\.name\}\}/g, 'bench');
  writeFileSync(join(work, 'rsyslog.conf'), `global(workDirectory="${work}")\n${conf}`);
  const rsyslog = spawn('rsyslogd', ['-n', '-f', join(work, 'rsyslog.conf'), '-i', join(work, 'pid'), '-C'], {
    stdio: 'ignore',
  });
  // ready when the doctor's probe message comes through
  for (let i = 0; ; i++) {
    try {
      await probeSyslogPath(db, { port: inPort, deadlineMs: 1000 });
      break;
    } catch (err) {
      if (i > 20) throw err;
    }
  }
  const rows: (string | number)[][] = [];
  let firstLoss: number | null = null;
  try {
    for (const rate of RATES) {
      const tag = `r${rate}`;
      const sent = await send(inPort, rate, tag);
      let stored = -1;
      for (let stable = 0; stable < 3;) {
        await sleep(700);
        const [r] = await db.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM syslog WHERE msg LIKE ?', [
          `${tag} %`,
        ]);
        const n = Number(r[0].n);
        stable = n === stored ? stable + 1 : 0;
        stored = n;
      }
      rows.push([fmt(rate), fmt(sent), fmt(stored), fmt(sent - stored)]);
      console.error(`rate ${rate}/s: sent ${sent}, stored ${stored}`);
      if (stored < sent) {
        firstLoss = rate;
        break;
      }
    }
  } finally {
    rsyslog.kill('SIGTERM');
    await receiver.close();
    await db.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await db.end();
    rmSync(work, { recursive: true, force: true });
  }
  const last = firstLoss === null ? RATES[RATES.length - 1] : RATES[RATES.indexOf(firstLoss) - 1];
  const highest = last === undefined ? 'none' : `${fmt(last)} a second`;
  const lossNote = firstLoss === null ? ' (the highest tried)' : `; first loss at ${fmt(firstLoss)} a second`;
  const text = `## syslog: sustained rate until the first loss

Run ${now()}: rsyslogd ${'(Debian 12)'} with templates/rsyslog/60-nms.conf.hbs on a free port, the agent's
SyslogReceiver and MariaDB, all on loopback; UDP messages at each rate for ${STEP_S} s, then counted in
\`syslog\` once the count stops growing. Budget (issue 15): 2,000 a second without loss.

${table(['rate /s', 'sent', 'stored', 'lost'], rows)}

Highest rate without loss: ${highest}${lossNote}.
`;
  console.log(text);
  writeSection('syslog', text);
}

await main();
