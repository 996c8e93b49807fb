// `nms add-poller` and `nms remove-poller` on the lab: a new lab host (`nms lab add-host`) joins
// a deployed copy of inventories/lab, polls devices of its groups within one cycle and shows in
// `nms status`; removing it takes its agent, database account and firewall rule away and the
// cluster stays healthy. Needs root, a lab and `node scripts/build.mjs`.
import { after, before, describe, it } from 'node:test';
import { existsSync as labInvExists } from 'node:fs';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, ensureLab, inHost, labStatus, nms } from './helpers/lab.js';
import type { StatusReport } from '../../cli/status/types.js';
import type { AddPollerResult } from '../../cli/pollers/add.js';
import type { RemovePollerResult } from '../../cli/pollers/remove.js';
import type { JsonOf } from '../../lib/run.js';

const LAB_INV = join(REPO, 'inventories', 'lab');
const work = mkdtempSync(join(tmpdir(), 'nms-addpoller-e2e-'));
const INV = join(work, 'inv');
const NAME = 'poller3';
let address = '';
const notRoot: string | false = process.getuid?.() !== 0 ? 'the lab needs root' : false;

async function status(): Promise<StatusReport> {
  const r = await nms(['status', '-i', INV, '--json'], 60_000);
  return JSON.parse(r.stdout) as StatusReport;
}

async function until(what: string, ok: (r: StatusReport) => boolean, ms = 180_000): Promise<StatusReport> {
  const end = Date.now() + ms;
  let last: StatusReport | undefined;
  while (Date.now() < end) {
    last = await status();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 2000));
  }
  assert.fail(`${what}: not reached; last problems: ${JSON.stringify(last?.problems, null, 2)}`);
}

describe('add-poller and remove-poller on the lab', { timeout: 1_800_000 }, () => {
  before(async () => {
    if (notRoot) return;
    const st = await labStatus().catch(() => undefined);
    if (
      !st?.up ||
      st.hosts.filter((h) => /^poller\d+$/.test(h.name) && h.name !== NAME).length < 2 ||
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
    await nms(['lab', 'remove-host', NAME]);
    const h = await nms(['lab', 'add-host', NAME, '--json'], 120_000);
    // A failed setup is a failed test: throwing here fails every test of the suite (never a skip).
    if (h.code !== 0) throw new Error(`nms lab add-host failed: ${h.stderr}`);
    address = (JSON.parse(h.stdout) as { address: string }).address;
    const d = await nms(['deploy', '-i', INV], 900_000);
    if (d.code !== 0)
      throw new Error(
        `deploy failed (${d.code}): ${(d.stdout + d.stderr)
          .split('\n')
          .filter((l) => /FAILED|UNREACHABLE|error/.test(l))
          .slice(0, 5)
          .join(' | ')}`,
      );
  });
  after(async () => {
    if (address) await nms(['lab', 'remove-host', NAME]);
    rmSync(work, { recursive: true, force: true });
  });

  it('adds the host, deploys it and the master, and waits until it polls', async () => {
    if (notRoot) assert.fail(notRoot);
    const t0 = Date.now();
    const r = await nms(
      ['add-poller', NAME, '--address', address, '--group', '0,1', '-i', INV, '--json', '--timeout', '150'],
      900_000,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const res = JSON.parse(r.stdout) as JsonOf<AddPollerResult>;
    process.stderr.write(
      `add-poller took ${Date.now() - t0} ms; registered after ${res.wait?.registered_after_ms} ms, first poll ` +
        `after ${res.wait?.polling_after_ms} ms\n`,
    );
    assert.equal(res.wait?.stage, 'polling');
    assert.match(res.new_host_key ?? '', /^SHA256:/, 'the new host key was recorded and shown');
    assert.ok(res.deploy.some((h) => h.host === 'master') && res.deploy.some((h) => h.host === NAME));
    assert.ok((res.wait?.polling_after_ms ?? Infinity) <= 150_000);
    assert.match(readFileSync(join(INV, 'hosts.yaml'), 'utf8'), new RegExp(`${NAME}:`));
  });

  it('shows the new poller in nms status, polling, and the cluster healthy', async () => {
    if (notRoot) assert.fail(notRoot);
    const r = await until(
      'healthy with poller3 polling',
      (x) => x.exit_code === 0 && (x.nodes.find((n) => n.name === NAME)?.jobs_ok ?? 0) > 0,
    );
    const n = r.nodes.find((x) => x.name === NAME)!;
    assert.equal(n.state, 'working');
    assert.deepEqual(n.groups, [0, 1]);
    for (const g of r.cluster!.groups) assert.ok(g.pollers.includes(NAME), `group ${g.group} lists ${NAME}`);
  });

  it('remove-poller undoes it: agent, account, firewall rule, inventory; the cluster stays healthy', async () => {
    if (notRoot) assert.fail(notRoot);
    const r = await nms(['remove-poller', NAME, '-i', INV, '--json'], 900_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const res = JSON.parse(r.stdout) as JsonOf<RemovePollerResult>;
    assert.deepEqual([res.agent_removed, res.account_dropped, res.warnings], [true, true, []]);
    assert.doesNotMatch(readFileSync(join(INV, 'hosts.yaml'), 'utf8'), new RegExp(`${NAME}:`));
    const gone = await inHost(
      NAME,
      "ls /etc/nms /opt/nms /etc/init.d/nms-agent 2>&1; ps -eo pid,args | grep '[n]ms-agent[.]mjs run' || echo " +
        'no-agent',
    );
    assert.match(gone.stdout, /no-agent/);
    assert.doesNotMatch(gone.stdout, /^\/etc\/init.d\/nms-agent$/m);
    const master = await inHost(
      'master',
      `mysql -N -B -e "SELECT COUNT(*) FROM mysql.user WHERE User = 'nms_${NAME}'; SELECT COUNT(*) FROM ` +
        `nms.poller_cluster WHERE poller_name = '${NAME}'"; nft list ruleset | grep -c '${address}' || true`,
    );
    assert.deepEqual(master.stdout.trim().split('\n'), ['0', '0', '0'], master.stdout + master.stderr);
    const s = await until('healthy without poller3', (x) => x.exit_code === 0);
    assert.ok(!s.nodes.some((n) => n.name === NAME));
    assert.ok(!s.cluster?.nodes.some((n) => n.poller_name === NAME), 'the cluster view forgot it');
  });
});
