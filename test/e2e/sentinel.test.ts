// Redis Sentinel end to end (issue 15): a lab (master, 2 pollers, 8 devices) deployed with
// `redis.sentinel: true`, poller frequency 20 s and the agents' debug log (one `device_done`
// line per poll). `kill -9` of the Redis master → the sentinels promote poller1's replica, the
// agents keep polling and the dispatcher ticks again within 30 s; over the failover every
// device is polled once per cycle (from the agents' own poll records: no gap of two cycles, no
// two polls within half a cycle); `nms status` names the missing replica, then, once the old
// master's Redis is started again (the sentinels make it a replica), reports the new topology
// healthy, and names a stopped sentinel; a second deploy changes nothing and leaves poller1 the
// master.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO, ensureLab, inHost, nms } from './helpers/lab.js';
import type { StatusReport } from '../../cli/status/types.js';
import type { ClusterView } from '../../lib/contracts/cluster-view.js';

const work = mkdtempSync(join(tmpdir(), 'nms-sentinel-e2e-'));
const INV = join(work, 'inv');
const FREQ_S = 20;
const DEVICES = 8;

async function run(host: string, script: string, timeoutMs = 60_000): Promise<string> {
  const r = await inHost(host, script, timeoutMs);
  assert.equal(r.code, 0, `${host}: ${script}: ${r.stderr}`);
  return r.stdout;
}

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms: number, pauseMs = 500): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) assert.fail(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}

async function status(): Promise<StatusReport> {
  const r = await nms(['status', '-i', INV, '--json'], 60_000);
  try {
    return JSON.parse(r.stdout) as StatusReport;
  } catch {
    return assert.fail(`nms status printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

/** The master the sentinel on `host` names (`address port`). */
const sentinelMaster = async (host: string) =>
  (await run(host, 'redis-cli -p 26379 SENTINEL GET-MASTER-ADDR-BY-NAME nms')).trim().split('\n').join(' ');

interface Poll {
  device: number;
  host: string;
  /** When the poll started (ms since the epoch). */
  start: number;
}

/** Every poll the three agents recorded in their logs (debug `device_done` lines). */
async function polls(): Promise<Poll[]> {
  const out: Poll[] = [];
  for (const host of ['master', 'poller1', 'poller2']) {
    const text = await run(host, 'grep -h \'"event":"device_done"\' /var/log/nms/agent.log || true');
    for (const line of text.split('\n').filter(Boolean)) {
      const e = JSON.parse(line) as { t: string; kind: string; device_id: number; seconds: number };
      if (e.kind === 'poll') out.push({ device: e.device_id, host, start: Date.parse(e.t) - e.seconds * 1000 });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

async function deploy(): Promise<{
  code: number;
  json: { hosts: { host: string; changed: number; changes: string[] }[] };
}> {
  const r = await nms(['deploy', '-i', INV, '--json'], 600_000);
  try {
    return { code: r.code, json: JSON.parse(r.stdout) };
  } catch {
    return assert.fail(`deploy printed no JSON (exit ${r.code}): ${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`);
  }
}

describe('Redis Sentinel in the lab', { timeout: 900_000 }, () => {
  let killedAt = 0;

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'the lab needs root');
    await ensureLab(2, DEVICES);
    cpSync(join(REPO, 'inventories', 'lab'), INV, { recursive: true });
    chmodSync(join(INV, 'secrets.yaml'), 0o600);
    const file = join(INV, 'hosts.yaml');
    const hosts = parse(readFileSync(file, 'utf8'));
    hosts.cluster.redis.sentinel = true;
    hosts.defaults.agent.service_poller_frequency = FREQ_S;
    hosts.defaults.agent.service_loglevel = 'DEBUG';
    writeFileSync(file, stringify(hosts));
    const d = await deploy();
    assert.equal(d.code, 0, JSON.stringify(d.json).slice(-3000));
    // the sentinels know the replica and each other
    await until(
      'sentinels see 1 replica and 2 other sentinels',
      async () => {
        const m = await run('poller2', 'redis-cli -p 26379 SENTINEL MASTER nms');
        return /num-slaves\n1\n/.test(m) && /num-other-sentinels\n2\n/.test(m);
      },
      60_000,
      1000,
    );
    await until(
      'status healthy with Redis master on master',
      async () => {
        const s = await status();
        return s.healthy && s.redis?.master === 'master' && s.redis.replicas[0]?.host === 'poller1' ? s : undefined;
      },
      120_000,
      2000,
    );
  });

  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await nms(['lab', 'down']);
  });

  it('kill -9 of the Redis master: poller1 promoted, dispatcher again within 30 s, one poll per cycle', async () => {
    // a full cycle of every device polled before the kill
    await until(
      'every device polled twice',
      async () => {
        const p = await polls();
        const ids = new Set(p.map((x) => x.device));
        return ids.size === DEVICES && [...ids].every((id) => p.filter((x) => x.device === id).length >= 2);
      },
      120_000,
      2000,
    );
    killedAt = Date.now();
    await run('master', 'kill -9 $(pidof redis-server)');
    const promoted = await until(
      'a sentinel names poller1 master',
      async () => ((await sentinelMaster('poller2')).startsWith('198.18.0.11 ') ? Date.now() : undefined),
      60_000,
      250,
    );
    const resumed = await until(
      'the dispatcher ticks on the new master',
      async () => {
        const out = await inHost('master', '/usr/local/bin/nms-agent cluster-status --json --timeout 1500');
        let v: ClusterView;
        try {
          v = JSON.parse(out.stdout) as ClusterView;
        } catch {
          return undefined;
        }
        const age = v.dispatcher.last_tick_age_ms;
        return age !== null && Date.now() - age > promoted ? Date.now() - age : undefined;
      },
      60_000,
      500,
    );
    process.stderr.write(
      `sentinel e2e: promoted ${promoted - killedAt} ms after kill -9, ` +
        `dispatcher ticking ${resumed - killedAt} ms after\n`,
    );
    assert.ok(resumed - killedAt <= 30_000, `dispatcher resumed after ${resumed - killedAt} ms`);

    // watch three more cycles, then read every poll of the agents
    await new Promise((r) => setTimeout(r, 3 * FREQ_S * 1000));
    const end = Date.now();
    const all = await polls();
    const from = killedAt - 2 * FREQ_S * 1000;
    const ids = [...new Set(all.map((p) => p.device))];
    const allGaps: number[] = [];
    assert.equal(ids.length, DEVICES, `devices polled: ${ids.join(', ')}`);
    for (const id of ids) {
      const mine = all.filter((p) => p.device === id && p.start >= from);
      assert.ok(mine.length >= 4, `device ${id}: ${mine.length} polls since ${new Date(from).toISOString()}`);
      const gaps = mine.slice(1).map((p, i) => (p.start - mine[i].start) / 1000);
      const show = `device ${id}: gaps ${gaps.map((g) => g.toFixed(1)).join(', ')} s by ${mine.map((p) => p.host)}`;
      assert.ok(
        gaps.every((g) => g >= FREQ_S / 2),
        `polled twice in a cycle: ${show}`,
      );
      assert.ok(
        gaps.every((g) => g < 2 * FREQ_S),
        `missed a cycle: ${show}`,
      );
      allGaps.push(...gaps);
      assert.ok(end - mine[mine.length - 1].start < 2 * FREQ_S * 1000, `not polled lately: ${show}`);
    }
    const [lo, hi] = [Math.min(...allGaps), Math.max(...allGaps)];
    process.stderr.write(
      `sentinel e2e: ${allGaps.length} poll gaps over the failover, ${lo.toFixed(1)}-${hi.toFixed(1)} s\n`,
    );
  });

  it('nms status: the missing replica, then the new topology healthy', async () => {
    const down = await until(
      'status names the missing replica',
      async () => {
        const s = await status();
        return s.redis?.master === 'poller1' && s.problems.some((p) => p.code === 'redis_replica_missing')
          ? s
          : undefined;
      },
      60_000,
      2000,
    );
    assert.equal(down.exit_code, 1);
    assert.match(down.problems.find((p) => p.code === 'redis_replica_missing')!.fix, /redis-server start/);
    // what the fix says: start the old master's Redis; the sentinels make it a replica
    await run('master', '/etc/init.d/redis-server start');
    const s = await until(
      'status healthy with poller1 the Redis master',
      async () => {
        const x = await status();
        const replica = x.redis?.replicas.find((r) => r.host === 'master');
        return x.healthy && x.redis?.master === 'poller1' && replica?.state === 'online' ? x : undefined;
      },
      120_000,
      2000,
    );
    assert.equal(s.exit_code, 0);
    process.stderr.write(`sentinel e2e: nms status with the Redis topology took ${s.duration_ms} ms\n`);
    assert.ok(s.redis!.sentinels.every((x) => x.ok && x.master === '198.18.0.11:6379'));
    const human = await nms(['status', '-i', INV], 60_000);
    assert.match(human.stdout, /redis: master poller1 \(198\.18\.0\.11:6379\), replicas master online, lag \d+ s/);
    // Redis rewrote the files it owns: poller1 is master, master follows it
    assert.doesNotMatch(await run('poller1', 'cat /etc/redis/nms-redis.conf'), /^replicaof/m);
    assert.match(await run('master', 'cat /etc/redis/nms-redis.conf'), /^replicaof 198\.18\.0\.11 6379$/m);
  });

  it('nms status: a sentinel down is a problem with its fix', async () => {
    await run('poller2', '/etc/init.d/redis-sentinel stop');
    try {
      const s = await status();
      const p = s.problems.find((x) => x.code === 'redis_sentinel_down');
      assert.ok(p, JSON.stringify(s.problems));
      assert.equal(p.subject, 'poller2');
      assert.match(p.fix, /redis-sentinel start/);
      assert.equal(s.exit_code, 1);
      assert.equal(s.redis?.master, 'poller1', 'the other two sentinels still name the master');
    } finally {
      await run('poller2', '/etc/init.d/redis-sentinel start');
    }
    await until(
      'status healthy again',
      async () => {
        const x = await status();
        return x.healthy && x.redis?.sentinels.every((y) => y.ok) ? x : undefined;
      },
      60_000,
      2000,
    );
  });

  it('a second deploy after the failover changes nothing and keeps poller1 the master', async () => {
    const d = await deploy();
    assert.equal(d.code, 0);
    for (const h of d.json.hosts) assert.equal(h.changed, 0, `${h.host} changed: ${h.changes.join('; ')}`);
    for (const h of ['master', 'poller1', 'poller2']) assert.equal(await sentinelMaster(h), '198.18.0.11 6379');
    assert.match(await run('master', 'redis-cli -p 26379 SENTINEL MASTER nms'), /num-slaves\n1\n/);
  });
});
