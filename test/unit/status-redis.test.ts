// `nms status` with Redis Sentinel: parsing what redis-cli prints (the texts are redis-cli 7.0's
// raw output against a real master, replica and sentinel) and the problems with their fixes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parseReplication, parseSentinelAnswer, redisTopologyProblems } from '../../cli/status/redis-topology.js';
import type { RedisTopology } from '../../cli/status/redis-types.js';
import type { HostSpec, Inventory } from '../../cli/inventory/types.js';
import { analyseStatus } from '../../cli/status/analyse.js';

const hosts = [
  { name: 'master', address: '198.18.0.10' },
  { name: 'poller1', address: '198.18.0.11' },
] as HostSpec[];

const MASTER = [
  'name',
  'nms',
  'ip',
  '198.18.0.11',
  'port',
  '6379',
  'runid',
  '491fcedfc493eda1c0fb9bc7b2abb61ec3a7313a',
  'flags',
  'master',
  'num-other-sentinels',
  '2',
  'quorum',
  '2',
].join('\n');
const INFO = [
  '# Replication',
  'role:master',
  'connected_slaves:1',
  'slave0:ip=198.18.0.10,port=6379,state=online,offset=1000,lag=1',
  'master_failover_state:no-failover',
  'master_repl_offset:1152',
  '',
].join('\r\n');
const answer = (master = MASTER, quorum = 'OK 3 usable Sentinels. Quorum and failover authorization can be reached') =>
  `${master}\n@@ckquorum\n${quorum}\n@@info\n${INFO}`;

test('a sentinel answer and the master INFO replication', () => {
  const { answer: a, info } = parseSentinelAnswer('poller2', answer());
  assert.deepEqual(a, {
    host: 'poller2',
    ok: true,
    master: '198.18.0.11:6379',
    master_flags: 'master',
    quorum_ok: true,
    other_sentinels: 2,
  });
  assert.deepEqual(parseReplication(info, hosts), [
    { address: '198.18.0.10', port: 6379, host: 'master', state: 'online', lag_s: 1, lag_bytes: 152 },
  ]);
  const down = parseSentinelAnswer('poller2', 'Could not connect to Redis at 127.0.0.1:26379: Connection refused\n');
  assert.equal(down.answer.ok, false);
  assert.match(down.answer.error!, /Connection refused/);
});

const healthy = (): RedisTopology => ({
  master: 'poller1',
  master_address: '198.18.0.11:6379',
  replicas: parseReplication(INFO, hosts),
  sentinels: ['master', 'poller1', 'poller2'].map((h) => parseSentinelAnswer(h, answer()).answer),
});

test('a healthy topology has no problem; each fault is one problem with its fix', () => {
  assert.deepEqual(redisTopologyProblems(healthy(), 'inv'), []);

  const sentinelDown = healthy();
  sentinelDown.sentinels[2] = { host: 'poller2', ok: false, error: 'Connection refused' };
  const p1 = redisTopologyProblems(sentinelDown, 'inv');
  assert.deepEqual(
    p1.map((p) => [p.code, p.subject]),
    [['redis_sentinel_down', 'poller2']],
  );
  assert.match(p1[0].fix, /redis-sentinel start/);

  const noReplica = { ...healthy(), replicas: [] };
  const p2 = redisTopologyProblems(noReplica, 'inv');
  assert.deepEqual(
    p2.map((p) => p.code),
    ['redis_replica_missing'],
  );
  assert.match(p2[0].message, /poller1 has no replica in sync/);
  assert.match(p2[0].fix, /redis-server start/);

  const disagree = healthy();
  disagree.sentinels[0] = { ...disagree.sentinels[0], master: '198.18.0.10:6379' };
  assert.ok(redisTopologyProblems(disagree, 'inv').some((p) => p.code === 'redis_sentinels_disagree'));

  const lagging = healthy();
  lagging.replicas[0].lag_s = 60;
  assert.deepEqual(
    redisTopologyProblems(lagging, 'inv').map((p) => [p.code, p.subject]),
    [['redis_replica_lag', 'master']],
  );
});

test('the report with a topology validates against docs/status.schema.json and turns unhealthy on a problem', () => {
  const schema = JSON.parse(readFileSync(new URL('../../docs/status.schema.json', import.meta.url), 'utf8'));
  const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
  // a report with no node, so that the topology's problems are the only ones
  const m = hosts[0];
  const report = (redis: RedisTopology | undefined) =>
    analyseStatus({
      inventory: {
        name: 'inv',
        hosts: [],
        services: { mariadb: m, redis: m, memcached: m, rrdcached: m, web: m },
      } as unknown as Inventory,
      inventoryArg: 'inv',
      master: hosts[0],
      answers: [],
      checkedAt: new Date(0),
      durationMs: 1,
      redis,
    });
  const base = report(undefined);
  assert.equal(base.healthy, true);
  const ok = report(healthy());
  assert.equal(ok.healthy, true);
  assert.ok(validate(ok), JSON.stringify(validate.errors));
  const bad = report({ ...healthy(), replicas: [] });
  assert.equal(bad.healthy, false);
  assert.equal(bad.exit_code, 1);
  assert.ok(validate(bad), JSON.stringify(validate.errors));
  assert.ok(!('redis' in base));
});
