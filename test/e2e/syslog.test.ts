// Syslog end to end on the lab: the master gets role syslog with the devices' senders declared
// as its syslog networks; 10,000 messages sent over UDP from the devices host at 2,000 a second
// all land in MariaDB's `syslog` with the device of their sender; a message from a cluster host
// outside the declared networks is dropped by the firewall; `nms status` is healthy (its probe
// went through) and the API lists a device's messages.
// Senders: NMS_SYSLOG_SENDERS (comma-separated addresses in the devices host, default the own
// addresses of lab devices 0-3) and the declared networks NMS_SYSLOG_NETWORKS (default the senders, /32 each).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLab, inHost, nms } from './helpers/lab.js';
import type { StatusReport } from '../../cli/status/types.js';
import { copyLabInventory, deployOrFail, editFile } from './helpers/deploy.js';

const SENDERS = (process.env.NMS_SYSLOG_SENDERS ?? '198.19.0.1,198.19.0.2,198.19.0.3,198.19.0.4')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const NETWORKS = (process.env.NMS_SYSLOG_NETWORKS ?? SENDERS.map((s) => `${s}/32`).join(','))
  .split(',')
  .map((s) => s.trim());
const MASTER = '198.18.0.10';
const OUTSIDER = 'poller1'; // 198.18.0.11: a cluster member, not a device network
const TOTAL = 10_000;
const RATE = 2_000;
const RUN = `e2e${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'nms-syslog-e2e-'));
const INV = join(work, 'inv');

async function run(host: string, script: string, ms = 120_000): Promise<string> {
  const r = await inHost(host, script, ms);
  assert.equal(r.code, 0, `${host}: ${script.slice(0, 200)}: ${r.stderr}`);
  return r.stdout;
}

const sql = async (q: string) => (await run('master', `mysql -N -B nms -e ${JSON.stringify(q)}`)).trim();

/** A Node one-liner for a lab host: `count` messages to the master at `rate`/s, round-robin over `from`. */
function sender(from: string[], count: number, rate: number, tag: string): string {
  const js = `
const dgram = require('node:dgram');
const from = ${JSON.stringify(from)};
const socks = from.map((a) => { const s = dgram.createSocket('udp4'); s.bind(0, a); return s; });
let i = 0;
const t0 = Date.now();
// each tick sends what the clock says is due, so the rate holds whatever the timer's jitter
const tick = setInterval(() => {
  const due = Math.min(${count}, Math.ceil(((Date.now() - t0) / 1000) * ${rate}));
  for (; i < due; i++) socks[i % socks.length].send('<187>' + 'e2e-prog: ${tag}-' + i, 514, '${MASTER}');
  if (i >= ${count}) {
    clearInterval(tick);
    console.log(JSON.stringify({ sent: i, ms: Date.now() - t0 }));
    setTimeout(() => socks.forEach((s) => s.close()), 500);
  }
}, 10);`;
  // through base64: the script reaches the lab host's shell untouched
  return (
    `echo ${Buffer.from(js).toString('base64')} | base64 -d > /tmp/.nms-syslog-send.js && node ` +
    `/tmp/.nms-syslog-send.js`
  );
}

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms: number, pauseMs = 1000): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined | false;
  for (;;) {
    last = await f();
    if (last) return last;
    if (Date.now() > end) assert.fail(`${what}: not within ${ms / 1000} s (last ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}

describe('syslog on the lab', { timeout: 900_000 }, () => {
  before(async () => {
    assert.equal(process.getuid?.(), 0, 'the lab needs root');
    await ensureLab(1, 4);
    copyLabInventory(INV);
    const edited = editFile(join(INV, 'hosts.yaml'), (text) =>
      text
        .replace(/^( {2}firewall: true\n)/m, `$1  syslog: { networks: [${NETWORKS.join(', ')}], purge_days: 30 }\n`)
        .replace(
          /roles: \[ ?web, mariadb, rrdcached, redis, memcached, poller ?\]/,
          'roles: [web, mariadb, rrdcached, redis, memcached, poller, syslog]',
        ),
    );
    assert.match(edited, /syslog: \{ networks/);
    assert.match(edited, /poller, syslog\]/, 'the master got role syslog');
    await deployOrFail(INV);
  });
  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await nms(['lab', 'down']);
  });

  it('nms status checks the path end to end and finds it healthy', async () => {
    let last: unknown;
    try {
      const r = await until(
        'status without syslog problems',
        async () => {
          const x = JSON.parse((await nms(['status', '-i', INV, '--json'], 60_000)).stdout) as StatusReport;
          const c = x.nodes.find((n) => n.name === 'master')?.checks.find((k) => k.name === 'syslog');
          last = c ?? x.nodes.find((n) => n.name === 'master')?.checks;
          return c?.ok ? c : undefined;
        },
        90_000,
        2000,
      );
      assert.match(r.detail, /went through rsyslog and the agent into the syslog table/);
    } catch (err) {
      const why = await inHost(
        'master',
        'ps -eo pid,user,args | grep -E "[r]syslogd|[n]ode"; ss -lntup | grep -E ":514|:5514"; tail -n 20 ' +
          '/var/log/nms/agent.log; cat /etc/rsyslog.d/60-nms.conf | head -3',
      );
      throw new Error(
        `${(err as Error).message}\nlast check: ${JSON.stringify(last)}\non master:\n${why.stdout}${why.stderr}`,
      );
    }
  });

  it(`stores all ${TOTAL} messages sent at ${RATE}/s, each with its sender's device`, async () => {
    // expected devices from the data: the lowest device_id whose hostname is the sender's address
    const expected = new Map<string, number>();
    for (const a of SENDERS)
      expected.set(a, Number(await sql(`SELECT MIN(device_id) FROM devices WHERE hostname = '${a}'`)));
    for (const [a, id] of expected) assert.ok(id > 0, `a device with hostname ${a}`);
    const t0 = Date.now();
    const out = await run('devices', sender(SENDERS, TOTAL, RATE, `${RUN}-burst`));
    const sentMs = (JSON.parse(out.trim().split('\n').pop()!) as { ms: number }).ms;
    const stored = await until(
      `${TOTAL} stored`,
      async () => {
        const n = Number(await sql(`SELECT COUNT(*) FROM syslog WHERE msg LIKE '${RUN}-burst-%'`));
        return n >= TOTAL ? n : undefined;
      },
      120_000,
    );
    process.stderr.write(
      `syslog: ${TOTAL} sent in ${sentMs} ms (${Math.round((TOTAL * 1000) / sentMs)}/s), all stored ` +
        `${Date.now() - t0} ms after the sender started\n`,
    );
    assert.equal(stored, TOTAL);
    // message i came from SENDERS[i % n]: its device
    const rows = await sql(
      `SELECT CAST(SUBSTRING_INDEX(msg, '-', -1) AS UNSIGNED) % ${SENDERS.length} AS k, device_id, COUNT(*) ` +
        `FROM syslog WHERE msg LIKE '${RUN}-burst-%' GROUP BY k, device_id`,
    );
    const got = rows.split('\n').map((l) => l.split('\t').map(Number));
    assert.equal(got.length, SENDERS.length, rows);
    for (const [k, dev, n] of got) {
      assert.equal(dev, expected.get(SENDERS[k]), `messages from ${SENDERS[k]}`);
      assert.ok(Math.abs(n - TOTAL / SENDERS.length) < 1, `${n} messages from ${SENDERS[k]} of ${TOTAL}`);
    }
    const api = await run(
      'master',
      `sed -n 's/^API_TOKEN=/X-Auth-Token: /p' /etc/nms/.env > /tmp/.h; curl -sk -H @/tmp/.h ` +
        `'https://127.0.0.1/api/v0/logs/syslog/${expected.get(SENDERS[0])}?limit=2&sortorder=DESC'; rm -f /tmp/.h`,
    );
    const page = JSON.parse(api) as {
      status: string;
      count: number;
      total: number;
      logs: { device_id: number; msg: string; program: string }[];
    };
    assert.equal(page.status, 'ok');
    assert.equal(page.count, 2);
    assert.ok(page.total >= TOTAL / SENDERS.length);
    assert.equal(page.logs[0].device_id, expected.get(SENDERS[0]));
    assert.equal(page.logs[0].program, 'e2e-prog');
  });

  it('drops a message from outside the declared networks before rsyslog', async () => {
    await run(OUTSIDER, sender(['198.18.0.11'], 5, 500, `${RUN}-outside`));
    // a message sent after it from a declared sender arrives: the outsider's had its chance
    await run('devices', sender([SENDERS[0]], 1, 100, `${RUN}-after`));
    await until(
      'the later message stored',
      async () => Number(await sql(`SELECT COUNT(*) FROM syslog WHERE msg LIKE '${RUN}-after-%'`)) === 1,
      30_000,
    );
    assert.equal(Number(await sql(`SELECT COUNT(*) FROM syslog WHERE msg LIKE '${RUN}-outside-%'`)), 0);
    // and the firewall is what stopped it: the drop rule is there for 514
    const rules = await run('master', 'nft list chain inet nms input');
    assert.match(rules, /th dport 514 drop/);
  });
});
