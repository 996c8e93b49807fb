// `nms status` on the lab, end to end: after a deploy of a copy of inventories/lab (poller
// frequency 30 s so cycles are short) it is healthy with devices polled by every poller; then
// each acceptance fault is made by real means (init scripts, a stopped agent, an edited .env,
// rows made old in MariaDB) and status must exit non-zero naming cause and fix; each fault is
// repaired before the next. Every --json report is validated against docs/status.schema.json.
// Needs root, a lab (`nms lab up`) and `node scripts/build.mjs`.
import { after, before, describe, it } from 'node:test';
import { existsSync as labInvExists } from 'node:fs';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { REPO, ensureLab, inHost, labStatus, nms } from './helpers/lab.js';
import type { StatusReport } from '../../cli/status/types.js';
import type { ProbeReport } from '../../cli/status/probe.js';

const LAB_INV = join(REPO, 'inventories', 'lab');
const work = mkdtempSync(join(tmpdir(), 'nms-status-e2e-'));
const INV = join(work, 'inv');
const validate = new Ajv({ allErrors: true, strict: true }).compile(
  JSON.parse(readFileSync(join(REPO, 'docs', 'status.schema.json'), 'utf8')),
);
const timings: number[] = [];
const notRoot: string | false = process.getuid?.() !== 0 ? 'the lab needs root' : false;

async function status(...args: string[]): Promise<{ code: number; report: StatusReport; stderr: string }> {
  const r = await nms(['status', '-i', INV, '--json', ...args], 60_000);
  let report: StatusReport;
  try {
    report = JSON.parse(r.stdout) as StatusReport;
  } catch {
    assert.fail(`nms status printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  assert.ok(validate(report), `schema: ${JSON.stringify(validate.errors)}`);
  assert.equal(r.code, report.exit_code, "exit code is the report's");
  timings.push(report.duration_ms);
  return { code: r.code, report, stderr: r.stderr };
}

const codes = (r: StatusReport) => r.problems.map((p) => `${p.code}:${p.subject}`);

/** Asks again until `ok` holds (faults take a moment to show: registry ttl, agent restarts). */
async function until(what: string, ok: (r: StatusReport) => boolean, ms = 120_000): Promise<StatusReport> {
  const end = Date.now() + ms;
  let last: StatusReport | undefined;
  while (Date.now() < end) {
    last = (await status()).report;
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 2000));
  }
  assert.fail(`${what}: not reached in ${ms / 1000} s; last problems: ${JSON.stringify(last?.problems, null, 2)}`);
}

const healthy = (r: StatusReport) =>
  r.exit_code === 0 && r.nodes.filter((n) => n.roles.includes('poller')).every((n) => (n.jobs_ok ?? 0) > 0);

/**
 * Makes one fault, waits until status names it (exit 1, the expected code and fix, the table
 * showing both), repairs it, and waits until the problem is gone. Problems the lab had before
 * the fault (another part not ready) do not hide this one and are not required to go away.
 */
async function fault(
  name: string,
  inject: () => Promise<void>,
  expect: string,
  fix: RegExp,
  repair: () => Promise<void>,
): Promise<void> {
  await inject();
  try {
    const r = await until(`${name} named`, (x) => codes(x).includes(expect));
    assert.notEqual(r.exit_code, 0, `${name}: non-zero exit`);
    const p = r.problems.find((x) => `${x.code}:${x.subject}` === expect)!;
    assert.match(p.fix, fix, `${name}: fix`);
    const human = await nms(['status', '-i', INV], 60_000);
    assert.notEqual(human.code, 0);
    assert.ok(
      human.stdout.includes(p.message) && human.stdout.includes(p.fix),
      `${name}: the table shows the problem and its fix`,
    );
  } finally {
    await repair();
  }
  await until(`${name} repaired`, (x) => !codes(x).includes(expect), 180_000);
}

const exec = async (host: string, script: string) => {
  const r = await inHost(host, script, 120_000);
  assert.equal(r.code, 0, `${host}: ${script}: ${r.stderr}`);
};

describe('nms status on the lab', { timeout: 2_400_000 }, () => {
  before(async () => {
    if (notRoot) return;
    const st = await labStatus().catch(() => undefined);
    if (
      !st?.up ||
      st.hosts.filter((h) => h.name.startsWith('poller')).length < 2 ||
      !labInvExists(join(LAB_INV, 'hosts.yaml'))
    )
      await ensureLab(2, 10);
    cpSync(LAB_INV, INV, { recursive: true });
    chmodSync(join(INV, 'secrets.yaml'), 0o600);
    chmodSync(join(INV, 'devices.yaml'), 0o600); // it holds communities
    const hosts = join(INV, 'hosts.yaml');
    writeFileSync(
      hosts,
      readFileSync(hosts, 'utf8').replace(/service_poller_frequency: \d+/, 'service_poller_frequency: 30'),
    );
    // devices in both groups (the lab's simulator numbering), whatever shape the lab was built with
    const devices = Array.from(
      { length: 6 },
      (_, i) =>
        `  - { hostname: 198.19.0.${i + 1}, poller_group: ${i % 2}, snmp: { version: v2c, community: public } }`,
    );
    writeFileSync(join(INV, 'devices.yaml'), `devices:\n${devices.join('\n')}\n`);
    const d = await nms(['deploy', '-i', INV], 900_000);
    // A failed setup is a failed test: throwing here fails every test of the suite (never a skip).
    if (d.code !== 0)
      throw new Error(
        `deploy failed (${d.code}): ${(d.stdout + d.stderr)
          .split('\n')
          .filter((l) => /FAILED|UNREACHABLE|error/.test(l))
          .slice(0, 5)
          .join(' | ')}`,
      );
  });
  after(() => {
    rmSync(work, { recursive: true, force: true });
    if (timings.length) process.stderr.write(`nms status durations (ms): ${timings.join(' ')}\n`);
  });

  it('is healthy after the deploy, with devices polled by every poller', async () => {
    if (notRoot) assert.fail(notRoot);
    const r = await until('healthy with every poller polling', healthy, 150_000);
    assert.deepEqual(r.problems, []);
    assert.equal(r.api?.ok, true);
    assert.ok(r.cluster?.dispatcher.holder, 'dispatcher elected');
    for (const g of r.cluster!.groups) assert.ok(g.pollers.length > 0, `group ${g.group} served`);
  });

  it('--probe shows one live poll hop by hop', async () => {
    if (notRoot) assert.fail(notRoot);
    const r = await nms(['status', '-i', INV, '--probe', '--json'], 120_000);
    const p = JSON.parse(r.stdout) as ProbeReport;
    process.stderr.write(`probe: ${JSON.stringify(p.hops)}\n`);
    const path = p.hops.map((h) => `${h.from}→${h.to}`);
    assert.ok(path.includes(`workstation→${p.node}`), path.join(' '));
    const snmp = p.hops.find((h) => h.to === `${p.device.hostname}:${p.device.port}`);
    assert.ok(snmp, `an SNMP hop to the device: ${path.join(' ')}`);
    assert.ok(p.hops.every((h) => h.ms >= 0));
    // a device that answers is polled through to rrdcached; one that does not is named as the failing hop
    if (snmp.ok) {
      assert.equal(r.code, 0, JSON.stringify(p, null, 2));
      assert.ok(path.includes(`${p.node}→rrdcached`), path.join(' '));
    } else {
      assert.equal(r.code, 1);
      assert.ok(snmp.detail, 'the failing hop says why');
    }
    const text = await nms(['status', '-i', INV, '--probe'], 120_000);
    assert.match(text.stdout, new RegExp(`${p.node} → ${p.device.hostname.replace(/\./g, '\\.')}:${p.device.port}`));
  });

  const svc = (name: string, init: string) =>
    it(`names ${name} stopped on the master, with its fix`, async () => {
      if (notRoot) assert.fail(notRoot);
      await fault(
        name,
        () => exec('master', `/etc/init.d/${init} stop`),
        `service_down:${name}`,
        new RegExp(`on master run \`/etc/init.d/${init} start\``),
        () => exec('master', `/etc/init.d/${init} start`),
      );
    });
  svc('redis', 'redis-server');
  svc('memcached', 'memcached');
  svc('rrdcached', 'rrdcached');
  svc('mariadb', 'mariadb');

  it("names one poller's stopped agent", async () => {
    if (notRoot) assert.fail(notRoot);
    await fault(
      'agent stopped',
      () => exec('poller1', '/etc/init.d/nms-agent stop'),
      'agent_down:poller1',
      /on poller1 run `\/etc\/init.d\/nms-agent start`/,
      () => exec('poller1', '/etc/init.d/nms-agent start'),
    );
  });

  it('names the poller given a different APP_KEY, and its fix (a deploy) repairs it', async () => {
    if (notRoot) assert.fail(notRoot);
    const other = 'base64:' + Buffer.alloc(32, 7).toString('base64');
    await fault(
      'APP_KEY',
      () => exec('poller2', `sed -i 's|^APP_KEY=.*|APP_KEY=${other}|' /etc/nms/.env && /etc/init.d/nms-agent restart`),
      'app_key_mismatch:poller2',
      /nms deploy -i .* --limit poller2/,
      async () => {
        const d = await nms(['deploy', '-i', INV, '--limit', 'poller2'], 600_000);
        assert.equal(d.code, 0, d.stdout + d.stderr);
      },
    );
  });

  it('names a poller group left with no poller, and its overdue devices', async () => {
    if (notRoot) assert.fail(notRoot);
    // group 1 is served by poller1 and poller2 only; its devices are made a cycle late
    await exec('poller1', '/etc/init.d/nms-agent stop');
    await exec('poller2', '/etc/init.d/nms-agent stop');
    try {
      await exec(
        'master',
        'mysql nms -e "UPDATE devices SET last_polled = NOW() - INTERVAL 3600 SECOND, last_poll_attempted = ' +
          'NOW() - INTERVAL 3600 SECOND WHERE poller_group = 1"',
      );
      const r = await until(
        'group 1 unserved and devices overdue',
        (x) => codes(x).includes('group_unserved:group 1') && codes(x).includes('devices_overdue:devices'),
      );
      assert.equal(r.exit_code, 1);
      assert.match(
        r.problems.find((p) => p.code === 'group_unserved')!.fix,
        /nms add-poller NAME --address ADDR --group 1/,
      );
      assert.ok((r.cluster?.devices.overdue ?? 0) > 0);
    } finally {
      await exec('poller1', '/etc/init.d/nms-agent start');
      await exec('poller2', '/etc/init.d/nms-agent start');
    }
    await until(
      'group 1 served again',
      (x) =>
        !codes(x).includes('group_unserved:group 1') &&
        !codes(x).includes('agent_down:poller1') &&
        !codes(x).includes('agent_down:poller2'),
      180_000,
    );
  });

  it('exits 4 when a node cannot be reached', async () => {
    if (notRoot) assert.fail(notRoot);
    const hosts = join(INV, 'hosts.yaml');
    const text = readFileSync(hosts, 'utf8');
    // a host nobody answers for (no lab host has .99): SSH fails, status says which and exits 4
    writeFileSync(hosts, text.replace(/(poller2: \{ address: )198\.18\.0\.12/, '$1198.18.0.99'));
    try {
      const { code, report } = await status('--timeout', '1000');
      assert.equal(code, 4);
      assert.ok(codes(report).includes('node_unreachable:poller2'), codes(report).join(' '));
    } finally {
      writeFileSync(hosts, text);
    }
  });
});
