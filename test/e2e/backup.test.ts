// Config backup end to end on the lab: poller1 gets role config-backup (a run every 20 s), and
// secrets.yaml the SSH logins of 6 simulated devices of the ios, junos and routeros families,
// one of them with a wrong password. The first runs store the 5 configurations and report the
// sixth; a change made in one device's simulated CLI gives exactly one new version and one
// event with the diff; no password appears in any process's arguments, log or command output.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO, ensureLab, inHost, nms, sh } from './helpers/lab.js';
import { fetchConfig } from '../../agent/backup/fetch.js';
import { deviceAddress } from '../../lib/device-addresses.js';
import { familyOf } from '../../simulator/families.js';
import { CONFIG_CHANGE_COMMAND } from '../../simulator/ssh-cli.js';
import { sshCredentials } from '../../simulator/ssh-model.js';

/** Devices 1, 2, 3, 5, 6 (ios, junos, routeros, ios, junos) and 7 (routeros, wrong password). */
const GOOD = [1, 2, 3, 5, 6];
const WRONG = 7;
const CHANGED = 2;
const INTERVAL_S = 20;
const work = mkdtempSync(join(tmpdir(), 'nms-backup-e2e-'));
const INV = join(work, 'inv');
const outputs: string[] = [];
const passwords = [...GOOD, WRONG].map((i) => sshCredentials(i, 1).password);
const wrongPassword = `${sshCredentials(WRONG, 1).password}-not`;

async function run(host: string, script: string, ms = 120_000): Promise<string> {
  const r = await inHost(host, script, ms);
  assert.equal(r.code, 0, `${host}: ${script.slice(0, 200)}: ${r.stderr}`);
  return r.stdout;
}

// the master's mysql client may announce its pager first ("PAGER set to stdout"): not a row
const sql = async (q: string) =>
  (await run('master', `mysql -N -B nms -e ${JSON.stringify(q)}`))
    .split('\n')
    .filter((l) => !/^PAGER set to /.test(l))
    .join('\n')
    .trim();
const lines = async (q: string) => (await sql(q)).split('\n').filter(Boolean);

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms: number, pauseMs = 2000): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined | false;
  for (;;) {
    last = await f();
    if (last) return last;
    if (Date.now() > end) assert.fail(`${what}: not within ${ms / 1000} s (last ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}

const idOf = async (i: number) =>
  Number(await sql(`SELECT device_id FROM devices WHERE hostname = '${deviceAddress(i)}'`));

describe('config backup on the lab', { timeout: 900_000 }, () => {
  before(async () => {
    assert.equal(process.getuid?.(), 0, 'the lab needs root');
    await ensureLab(1, 8);
    cpSync(join(REPO, 'inventories', 'lab'), INV, { recursive: true });
    const hosts = join(INV, 'hosts.yaml');
    const doc = parse(readFileSync(hosts, 'utf8')) as {
      hosts: Record<string, { roles: string[]; agent?: Record<string, unknown> }>;
    };
    const p1 = doc.hosts.poller1;
    p1.roles.push('config-backup');
    p1.agent = { ...p1.agent, config_backup_interval: INTERVAL_S };
    writeFileSync(hosts, stringify(doc));
    const logins = [...GOOD, WRONG].map((i) => {
      const c = sshCredentials(i, 1);
      const password = i === WRONG ? wrongPassword : c.password;
      return `  ${deviceAddress(i)}: { username: ${c.username}, password: ${password} }\n`;
    });
    appendFileSync(join(INV, 'secrets.yaml'), `\ndevice_ssh:\n${logins.join('')}`);
    chmodSync(join(INV, 'secrets.yaml'), 0o600);
    const d = await nms(['deploy', '-i', INV], 900_000);
    outputs.push(d.stdout, d.stderr);
    assert.equal(d.code, 0, `deploy: ${d.stdout.slice(-2000)}${d.stderr.slice(-2000)}`);
  });
  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await nms(['lab', 'down']);
  });

  it('the first runs store the 5 configurations and report the wrong password', async () => {
    const status = async () => lines('SELECT device_id, status FROM config_backups ORDER BY device_id');
    try {
      await until(
        'every device backed up or refused',
        async () => {
          const s = await status();
          return s.length === 6 && s.filter((l) => /\sok$/.test(l)).length === 5 && s.some((l) => /\sfailed$/.test(l));
        },
        180_000,
      );
    } catch (err) {
      const why = await inHost('poller1', 'tail -n 30 /var/log/nms/agent.log | grep -i config');
      throw new Error(`${(err as Error).message}\n${await status()}\npoller1:\n${why.stdout}${why.stderr}`);
    }
    const versions = await lines('SELECT device_id FROM config_versions ORDER BY device_id');
    const ids = await Promise.all(GOOD.map(idOf));
    assert.deepEqual(versions.map(Number), ids, 'one version per reachable device');
    const configs = await lines(
      "SELECT CONCAT(device_id, ' ', REPLACE(SUBSTRING_INDEX(config, '\\n', 12), '\\n', '|')) FROM config_versions",
    );
    for (const i of GOOD) {
      const id = await idOf(i);
      const c = configs.find((l) => l.startsWith(`${id} `));
      assert.ok(c && c.includes(`sim-${i}`), `${familyOf(i)} device ${i}: its configuration names it`);
    }
    const wrongId = await idOf(WRONG);
    assert.equal(
      await sql(`SELECT status_reason FROM config_backups WHERE device_id = ${wrongId}`),
      'login refused for user nmsbackup',
    );
    const failures = await lines(
      `SELECT message FROM eventlog WHERE type = 'config' AND device_id = ${wrongId} AND message LIKE '%failed%'`,
    );
    assert.equal(failures.length, 1, 'the refusal is reported once');
    // the node's own history: one commit per reachable device
    const commits = await run(
      'poller1',
      'git -c "safe.directory=*" -C /var/lib/nms/config-backup rev-list --count HEAD',
    );
    assert.equal(Number(commits.trim()), 5);
  });

  it('a change in one device gives exactly one new version and one event with the diff', async () => {
    const id = await idOf(CHANGED);
    const lastEvent = Number(await sql(`SELECT IFNULL(MAX(event_id), 0) FROM eventlog`));
    const c = sshCredentials(CHANGED, 1);
    const out = await fetchConfig({ host: deviceAddress(CHANGED), port: 22, ...c }, [CONFIG_CHANGE_COMMAND]);
    assert.equal(out, 'generation 1\n');
    await until(
      'a new version',
      async () => Number(await sql('SELECT COUNT(*) FROM config_versions')) === 6,
      3 * INTERVAL_S * 1000 + 30_000,
    );
    // one more run over every device: still exactly one new version, and one new event
    const t0 = await sql('SELECT UTC_TIMESTAMP()');
    await until(
      'one more run over every device',
      async () => Number(await sql(`SELECT MIN(last_attempt) > '${t0}' FROM config_backups`)) === 1,
      2 * INTERVAL_S * 1000 + 30_000,
    );
    const versions = await lines('SELECT device_id FROM config_versions ORDER BY version_id');
    assert.equal(versions.length, 6);
    assert.equal(Number(versions[5]), id);
    const events = await lines(
      `SELECT CONCAT(device_id, ' ', REPLACE(message, '\\n', '|')) FROM eventlog
        WHERE type = 'config' AND event_id > ${lastEvent} ORDER BY event_id`,
    );
    const fresh = events;
    assert.equal(fresh.length, 1, `one event: ${fresh.join('\n')}`);
    assert.ok(fresh[0].startsWith(`${id} Configuration changed`));
    assert.match(
      fresh[0],
      /\|-set system login message "config generation 0"\|\+set system login message "config generation 1"/,
    );
    const api = (path: string) =>
      run(
        'master',
        `sed -n 's/^API_TOKEN=/X-Auth-Token: /p' /etc/nms/.env > /tmp/.h; curl -sk -H @/tmp/.h 'https://127.0.0.1${path}'; rm -f /tmp/.h`,
      );
    assert.equal((JSON.parse(await api(`/api/v0/devices/${id}/configs`)) as { count: number }).count, 2);
    const ox = await api('/api/v0/oxidized');
    const nodes = JSON.parse(ox) as { hostname: string; os: string }[];
    assert.equal(nodes.find((n) => n.hostname === deviceAddress(CHANGED))?.os, 'junos');
  });

  it('the passwords appear in no process argument, log file or command output', async () => {
    const st = await nms(['status', '-i', INV, '--json'], 60_000);
    outputs.push(st.stdout, st.stderr);
    const again = await nms(['deploy', '-i', INV, '--check', '--diff'], 300_000);
    outputs.push(again.stdout, again.stderr);
    assert.doesNotMatch(again.stdout, /SSH logins of/, 'a second deploy finds the logins in place');
    const seen: string[] = [...outputs, (await sh('ps', ['-eo', 'args'])).stdout];
    for (const host of ['master', 'poller1', 'devices']) {
      seen.push(await run(host, 'ps -eo args'));
      seen.push(await run(host, 'cat /var/log/nms/*.log /var/log/nms-simulator.log /var/log/syslog 2>/dev/null; true'));
    }
    seen.push(await sql("SELECT message FROM eventlog WHERE type = 'config'"));
    seen.push(await sql('SELECT CONCAT(config, diff) FROM config_versions'));
    seen.push(
      await run(
        'poller1',
        'cat /var/lib/nms/config-backup/* 2>/dev/null; git -c "safe.directory=*" -C /var/lib/nms/config-backup log -p',
      ),
    );
    const text = seen.join('\n');
    assert.ok(text.length > 10_000, 'the checked text is not empty');
    for (const p of [...passwords, wrongPassword]) assert.ok(!text.includes(p), 'a password was found in clear');
  });
});
