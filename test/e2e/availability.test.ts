// Issue 14's availability acceptance on the lab: pollers ping their groups' devices with fping,
// `nms lab device down` makes devices down with reason icmp, `snmp-down` down with reason snmp
// while ping still answers, `up` brings them back, and every change is exactly one eventlog row;
// a service check of the master's HTTPS site is OK, and CRITICAL while nginx is stopped. Short
// frequencies (ping 10 s, poll 20 s, down retry 20 s, services 10 s) keep the lab time short;
// how long each change took is printed, not asserted (timing belongs in benchmarks).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLab, inHost, nms } from './helpers/lab.js';
import { copyLabInventory, deployOrFail, editFile, writeDevices } from './helpers/deploy.js';

const work = mkdtempSync(join(tmpdir(), 'nms-avail-e2e-'));
const INV = join(work, 'inv');
const PING = 10;
const RETRY = 20;
const ICMP_DOWN = [1, 2, 3];
const SNMP_DOWN = [4, 5];
const DEVICES = 6;
const addr = (i: number) => `198.19.0.${i + 1}`;
const measured: string[] = [];

/** Rows of a query run on the master's MariaDB (root over its socket), tab-separated. */
async function sql(query: string): Promise<string[][]> {
  const r = await inHost('master', `mysql -N -B nms -e ${JSON.stringify(query)}`);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim()
    ? r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t'))
    : [];
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const began = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) {
      measured.push(`${what}: ${((Date.now() - began) / 1000).toFixed(1)} s`);
      return v;
    }
    if (Date.now() - began > timeoutMs) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** status and status_reason of every device, by index (its address). */
async function statuses(): Promise<Map<number, string>> {
  const rows = await sql('SELECT hostname, status, status_reason FROM devices');
  return new Map(rows.map(([h, s, r]) => [Number(h.split('.')[3]) - 1, `${s}${r ? ':' + r : ''}`]));
}

const allAre = (m: Map<number, string>, want: (i: number) => string) =>
  Array.from({ length: DEVICES }, (_, i) => i).every((i) => m.get(i) === want(i));

describe('availability on the lab', { timeout: 600_000 }, () => {
  let baseline = 0;
  before(async () => {
    await ensureLab(2, 10);
    copyLabInventory(INV);
    const agent =
      `agent: { service_poller_workers: 24, service_poller_frequency: 20, service_ping_frequency: ` +
      `${PING}, service_poller_down_retry: ${RETRY}, service_services_frequency: 10 }`;
    editFile(join(INV, 'hosts.yaml'), (t) =>
      t.replace(/agent: \{ service_poller_workers: \d+, service_poller_frequency: \d+ \}/, agent),
    );
    const devices = Array.from({ length: DEVICES }, (_, i) => {
      const svc =
        i === 0
          ? `, services: [{ type: http, name: master-https, ip: 198.18.0.10, args: ['-S', '-p', '443', '-e', ` +
            `'HTTP/', '-t', '5'] }]`
          : '';
      return `  - { hostname: ${addr(i)}, poller_group: ${i % 2}, snmp: { version: v2c, community: public }${svc} }`;
    });
    writeDevices(INV, devices);
    await deployOrFail(INV);
    await until(
      'every device up after deploy',
      async () => (allAre(await statuses(), () => '1') ? true : undefined),
      180_000,
    );
    // the service rows match the inventory by the digest MariaDB computes: a second run has nothing to do
    const again = await nms(['deploy', '-i', INV, '--check'], 300_000);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /devices: |service checks/, again.stdout);
    baseline = Number((await sql('SELECT IFNULL(MAX(event_id), 0) FROM eventlog'))[0][0]);
  });

  after(async () => {
    await nms(['lab', 'device', 'up', ...Array.from({ length: DEVICES }, (_, i) => String(i))]);
    await inHost('master', '/etc/init.d/nginx start >/dev/null 2>&1 || true');
    rmSync(work, { recursive: true, force: true });
    process.stderr.write(`availability timings: ${measured.join('; ')}\n`);
    await nms(['lab', 'down']); // one lab per machine: none is left up
  });

  it('pollers ping every device: device_perf rows and last_ping', async () => {
    const rows = await until(
      'device_perf for every device',
      async () => {
        const r = await sql(
          'SELECT d.hostname, MAX(p.rcv) FROM devices d JOIN device_perf p ON p.device_id = d.device_id GROUP ' +
            'BY d.device_id',
        );
        return r.length === DEVICES ? r : undefined;
        // + 60 s: a round left active by an agent of an earlier test's cluster (the lab is reused)
        // keeps its job id until BullMQ's stalled check gives it back (lock 30 s + check 30 s)
      },
      PING * 3 * 1000 + 60_000,
    );
    for (const [host, rcv] of rows) assert.ok(Number(rcv) > 0, `${host} answered no ping`);
    assert.equal((await sql('SELECT COUNT(*) FROM devices WHERE last_ping IS NULL'))[0][0], '0');
  });

  it(
    'down → reason icmp, snmp-down → reason snmp with ping answering, up → all up; one eventlog row per ' + 'change',
    async () => {
      assert.equal((await nms(['lab', 'device', 'down', ...ICMP_DOWN.map(String)])).code, 0);
      assert.equal((await nms(['lab', 'device', 'snmp-down', ...SNMP_DOWN.map(String)])).code, 0);
      const cutAt = new Date();
      const want = (i: number) => (ICMP_DOWN.includes(i) ? '0:icmp' : SNMP_DOWN.includes(i) ? '0:snmp' : '1');
      await until(
        'down with the right reasons',
        async () => (allAre(await statuses(), want) ? true : undefined),
        (PING + RETRY) * 3 * 1000,
      );
      // the snmp-down devices still answer ping: a round after the cut has them answering
      await until(
        'snmp-down devices answer ping after the cut',
        async () => {
          const since = cutAt.toISOString().slice(0, 19).replace('T', ' ');
          const names = SNMP_DOWN.map((i) => `'${addr(i)}'`).join(',');
          const r = await sql(
            `SELECT d.hostname, MAX(p.rcv) FROM devices d JOIN device_perf p ON p.device_id = d.device_id WHERE ` +
              `p.timestamp > '${since}' AND d.hostname IN (${names}) GROUP BY d.device_id`,
          );
          return r.length === SNMP_DOWN.length && r.every(([, rcv]) => Number(rcv) > 0) ? true : undefined;
        },
        PING * 3 * 1000,
      );
      assert.equal((await nms(['lab', 'device', 'up', ...[...ICMP_DOWN, ...SNMP_DOWN].map(String)])).code, 0);
      await until(
        'all back up',
        async () => (allAre(await statuses(), () => '1') ? true : undefined),
        RETRY * 3 * 1000,
      );
      const events = await sql(
        `SELECT d.hostname, e.message FROM eventlog e JOIN devices d ON d.device_id = e.device_id WHERE ` +
          `e.event_id > ${baseline} AND e.type = 'availability' ORDER BY e.event_id`,
      );
      for (let i = 0; i < DEVICES; i++) {
        const mine = events.filter(([h]) => h === addr(i)).map(([, m]) => m);
        if (!ICMP_DOWN.includes(i) && !SNMP_DOWN.includes(i)) assert.deepEqual(mine, [], `device ${i} did not change`);
        else {
          const reason = ICMP_DOWN.includes(i) ? 'icmp' : 'snmp';
          assert.equal(mine.length, 2, `device ${i}: ${JSON.stringify(mine)}`);
          assert.match(mine[0], new RegExp(`^Device status changed to Down from ${reason} check`));
          assert.equal(mine[1], 'Device status changed to Up');
        }
      }
    },
  );

  it("a service check of the master's HTTPS site is OK, CRITICAL while nginx is stopped, OK again after", async () => {
    const state = async () =>
      (await sql("SELECT service_status, service_message FROM services WHERE service_name = 'master-https'"))[0];
    const ok = await until(
      'service check OK',
      async () => ((await state())?.[0] === '0' && (await state())?.[1] ? await state() : undefined),
      60_000,
    );
    assert.match(ok[1], /^HTTP OK/);
    assert.equal((await inHost('master', '/etc/init.d/nginx stop')).code, 0);
    const crit = await until(
      'service check CRITICAL',
      async () => ((await state())?.[0] === '2' ? await state() : undefined),
      60_000,
    );
    assert.match(crit[1], /Connection refused|connect/i);
    assert.equal((await inHost('master', '/etc/init.d/nginx start')).code, 0);
    await until('service check OK again', async () => ((await state())?.[0] === '0' ? true : undefined), 60_000);
    const ev = await sql(
      `SELECT message FROM eventlog WHERE type = 'service' AND event_id > ${baseline} ORDER BY event_id`,
    );
    assert.deepEqual(
      ev.map(([m]) => m.replace(/:.*$/, '')),
      [
        "Service 'master-https' changed status from OK to CRITICAL",
        "Service 'master-https' changed status from CRITICAL to OK",
      ],
    );
  });
});
