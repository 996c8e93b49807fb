// nms status's analysis, schema and output without any service: nodes' doctor reports and the
// master's cluster view are built as the agent builds them (the cluster view through the
// agent's own analyse()), then each acceptance fault is applied the way it shows on a real
// cluster. Every report must validate against docs/status.schema.json.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { loadInventory } from '../../cli/inventory/load.js';
import type { Inventory } from '../../cli/inventory/types.js';
import { analyseStatus } from '../../cli/status/analyse.js';
import { parseAgentJson, parseCurl } from '../../cli/status/collect.js';
import { colours, formatStatus } from '../../cli/status/format.js';
import type { NodeAnswers, StatusReport } from '../../cli/status/types.js';
import { analyse } from '../../agent/cluster-view/analyse.js';
import type { ClusterFacts } from '../../agent/cluster-view/types.js';
import type { DoctorCheck, DoctorReport } from '../../lib/contracts/doctor.js';
import type { NodeEntry } from '../../lib/contracts/registry.js';

const NOW = Date.parse('2026-11-25T17:00:00Z');
const schema = JSON.parse(readFileSync(new URL('../../docs/status.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
const inv: Inventory = await loadInventory(new URL('../fixtures/inventories/base', import.meta.url).pathname, {
  checkFiles: false,
});
const HOSTS = ['nms82', 'nms83', 'nms84'];
const GROUPS: Record<string, number[]> = { nms82: [0], nms83: [0, 1], nms84: [0, 1] };
const CHECKS: DoctorCheck['name'][] = [
  'config',
  'app_key',
  'mariadb',
  'redis',
  'memcached',
  'rrdcached',
  'clock',
  'registered',
  'working',
];

function entry(name: string, over: Partial<NodeEntry> = {}): NodeEntry {
  return {
    node_id: `id-${name}`,
    poller_name: name,
    version: '0.1.0',
    pid: 100,
    groups: GROUPS[name],
    roles: ['poller', 'discovery'],
    queues: [],
    dispatcher: name === 'nms82',
    state: 'working',
    started_at: NOW - 3_600_000,
    heartbeat_at: NOW - 1000,
    heartbeat_interval_ms: 10_000,
    jobs_ok: 42,
    jobs_failed: 0,
    ...over,
  };
}

function doctor(
  name: string,
  fail: Partial<Record<DoctorCheck['name'], string>> = {},
  reg: Partial<NodeEntry> = {},
): DoctorReport {
  const checks = CHECKS.map((c): DoctorCheck =>
    fail[c]
      ? { name: c, ok: false, detail: fail[c]!, fix: `fix ${c}`, ms: 3 }
      : { name: c, ok: true, detail: `${c} fine`, ms: 3 },
  );
  return {
    schema: 'nms-agent-doctor/1',
    healthy: checks.every((c) => c.ok),
    checked_at: new Date(NOW).toISOString(),
    version: '0.1.0',
    node_id: `id-${name}`,
    poller_name: name,
    groups: GROUPS[name],
    app_key_fingerprint: 'abcd1234',
    clock_skew_ms: 3,
    registry: fail.registered ? null : entry(name, reg),
    dispatcher: 'nms82-id-nms82-x',
    checks,
  };
}

function facts(over: Partial<ClusterFacts> = {}): ClusterFacts {
  return {
    now: NOW,
    pollerFrequency: 300,
    downRetry: 60,
    graceSeconds: 60,
    masterName: 'nms82',
    sources: { mariadb: { ok: true, ms: 2 }, redis: { ok: true, ms: 1 }, memcached: { ok: true, ms: 1 } },
    registry: HOSTS.map((h) => entry(h)),
    reports: HOSTS.map((h) => ({
      node_id: `id-${h}`,
      poller_name: h,
      groups: GROUPS[h],
      age_s: 20,
      polled: 10,
      version: '0.1.0',
    })),
    dispatcherHolder: 'nms82-id-nms82-x',
    dispatcherTick: { poller_name: 'nms82', at: NOW - 800, due: 0, queued: 0 },
    groupDevices: [
      { group: 0, devices: 1 },
      { group: 1, devices: 2 },
    ],
    queues: {
      0: { waiting: 0, active: 0, delayed: 0, failed: 0 },
      1: { waiting: 0, active: 1, delayed: 0, failed: 0 },
    },
    devices: { total: 3, up: 3, down: 0, disabled: 0, never_polled: 0, overdue: 0 },
    overdue: [],
    errors: [],
    ...over,
  };
}

const API_OK = { httpStatus: 200, body: '{"status":"ok","system":{}}', ms: 30 };

function answers(
  o: {
    doctors?: Partial<Record<string, DoctorReport>>;
    cluster?: Partial<ClusterFacts>;
    api?: NodeAnswers['api'];
    unreachable?: string[];
  } = {},
): NodeAnswers[] {
  return HOSTS.map((h): NodeAnswers => {
    if (o.unreachable?.includes(h))
      return { name: h, reachable: false, sshError: `${h}: cannot connect as root: connect ECONNREFUSED`, ms: 5 };
    const a: NodeAnswers = { name: h, reachable: true, doctor: o.doctors?.[h] ?? doctor(h), ms: 400 };
    if (h === 'nms82') {
      a.cluster = analyse(facts(o.cluster));
      a.api = o.api ?? API_OK;
    }
    return a;
  });
}

function report(a: NodeAnswers[]): StatusReport {
  const r = analyseStatus({
    inventory: inv,
    inventoryArg: 'inventories/fx',
    master: inv.services.web,
    answers: a,
    checkedAt: new Date(NOW),
    durationMs: 800,
  });
  assert.ok(validate(r), JSON.stringify(validate.errors, null, 2));
  return r;
}

const codes = (r: StatusReport) => r.problems.map((p) => `${p.code}:${p.subject}`).sort();
const everyone = (fail: Partial<Record<DoctorCheck['name'], string>>) =>
  Object.fromEntries(HOSTS.map((h) => [h, doctor(h, fail)]));

describe('nms status analysis', () => {
  it('is healthy (exit 0, no problems) when every node and the cluster are', () => {
    const r = report(answers());
    assert.deepEqual(r.problems, []);
    assert.equal(r.exit_code, 0);
    assert.equal(r.healthy, true);
    assert.deepEqual(
      r.nodes.map((n) => [n.name, n.state, n.jobs_ok]),
      HOSTS.map((h) => [h, 'working', 42]),
    );
    assert.equal(r.nodes.find((n) => n.dispatcher)?.name, 'nms82');
  });

  it('names Redis stopped on the master once, with the init script and deploy as the fix', () => {
    const r = report(
      answers({
        doctors: everyone({ redis: 'connect ECONNREFUSED 192.0.2.82:6379' }),
        cluster: {
          sources: { ...facts().sources, redis: { ok: false, error: 'ECONNREFUSED', ms: 1 } },
          dispatcherHolder: null,
          dispatcherTick: null,
        },
      }),
    );
    assert.deepEqual(codes(r), ['service_down:redis']);
    assert.equal(r.exit_code, 1);
    const p = r.problems[0];
    assert.match(p.message, /^redis on nms82 is not answering \(from nms82, nms83, nms84\)/);
    assert.match(p.fix, /on nms82 run `\/etc\/init.d\/redis-server start`/);
    assert.match(p.fix, /`nms deploy -i inventories\/fx --limit nms82`/);
  });

  it('names memcached stopped, not the agents it hides', () => {
    const fail = {
      memcached: 'no answer within 1500 ms',
      registered: 'not checked: memcached unreachable',
      working: 'not checked: agent not registered',
    };
    const r = report(
      answers({
        doctors: everyone(fail),
        cluster: {
          sources: { ...facts().sources, memcached: { ok: false, error: 'timeout', ms: 1500 } },
          registry: null,
        },
      }),
    );
    assert.deepEqual(codes(r), ['service_down:memcached']);
    assert.match(r.problems[0].fix, /memcached start/);
  });

  it('names rrdcached stopped', () => {
    const r = report(answers({ doctors: everyone({ rrdcached: 'connect ECONNREFUSED 192.0.2.82:42217' }) }));
    assert.deepEqual(codes(r), ['service_down:rrdcached']);
    assert.match(r.problems[0].fix, /\/etc\/init.d\/rrdcached start/);
  });

  it('names MariaDB stopped, with its service name', () => {
    const fail = {
      mariadb: 'cannot connect to MariaDB',
      app_key: 'not checked: MariaDB unreachable',
      clock: 'not checked: MariaDB unreachable',
    };
    const r = report(
      answers({
        doctors: everyone(fail),
        cluster: {
          sources: { ...facts().sources, mariadb: { ok: false, error: 'ECONNREFUSED', ms: 2 } },
          reports: null,
          groupDevices: null,
          devices: null,
        },
      }),
    );
    assert.deepEqual(codes(r), ['service_down:mariadb']);
    assert.match(r.problems[0].fix, /\/etc\/init.d\/mariadb start/);
  });

  it('names the poller whose agent is stopped, once, whichever side saw it', () => {
    const registry = HOSTS.filter((h) => h !== 'nms83').map((h) => entry(h));
    const r = report(
      answers({
        doctors: {
          nms83: doctor('nms83', {
            registered: 'no registry entry for node id-nms83',
            working: 'not checked: agent not registered',
          }),
        },
        cluster: { registry },
      }),
    );
    assert.deepEqual(codes(r), ['agent_down:nms83']);
    assert.match(r.problems[0].fix, /on nms83 run `\/etc\/init.d\/nms-agent start`/);
  });

  it('names the poller with a different APP_KEY once', () => {
    const registry = HOSTS.map((h) => entry(h, h === 'nms84' ? { state: 'app_key_mismatch' } : {}));
    const d = doctor(
      'nms84',
      {
        app_key: "APP_KEY fingerprint ffff differs from the cluster's",
        working: 'the agent refuses work: app_key_mismatch',
      },
      { state: 'app_key_mismatch' },
    );
    const r = report(answers({ doctors: { nms84: d }, cluster: { registry } }));
    assert.deepEqual(codes(r), ['app_key_mismatch:nms84']);
    assert.match(r.problems[0].fix, /nms deploy -i inventories\/fx --limit nms84/);
    assert.equal(r.nodes.find((n) => n.name === 'nms84')?.state, 'app_key_mismatch');
  });

  it('lets an agent say starting for a while, not for ever', () => {
    const fresh = doctor(
      'nms83',
      { working: 'the agent refuses work: starting' },
      { state: 'starting', started_at: NOW - 5000 },
    );
    assert.deepEqual(codes(report(answers({ doctors: { nms83: fresh } }))), []);
    const old = doctor(
      'nms83',
      { working: 'the agent refuses work: starting' },
      { state: 'starting', started_at: NOW - 600_000 },
    );
    assert.deepEqual(codes(report(answers({ doctors: { nms83: old } }))), ['agent_stuck:nms83']);
  });

  it('passes on a poller group left with no poller and the overdue devices', () => {
    const registry = [entry('nms82')];
    const cluster = {
      registry,
      devices: { ...facts().devices!, overdue: 2 },
      overdue: [
        {
          device_id: 2,
          hostname: 'switch1.example.net',
          port: 1161,
          poller_group: 1,
          last_polled: '2026-11-25T16:40:00.000Z',
          late_s: 900,
        },
      ],
    };
    const r = report(
      answers({
        doctors: {
          nms83: doctor('nms83', { registered: 'x', working: 'not checked' }),
          nms84: doctor('nms84', { registered: 'x', working: 'not checked' }),
        },
        cluster,
      }),
    );
    assert.deepEqual(codes(r), [
      'agent_down:nms83',
      'agent_down:nms84',
      'devices_overdue:devices',
      'group_unserved:group 1',
    ]);
    const g = r.problems.find((p) => p.code === 'group_unserved')!;
    assert.match(g.message, /poller group 1 has 2 devices and no live poller/);
    assert.match(
      r.problems.find((p) => p.code === 'devices_overdue')!.message,
      /switch1.example.net:1161 in group 1, 900 s/,
    );
  });

  it('exits 4 when a node cannot be reached, and says how to check it', () => {
    const r = report(answers({ unreachable: ['nms84'] }));
    assert.equal(r.exit_code, 4);
    assert.deepEqual(codes(r), ['node_unreachable:nms84']);
    assert.match(r.problems[0].fix, /ssh -i .*id_ed25519 -p 22 admin@192.0.2.84/);
    assert.equal(r.nodes.find((n) => n.name === 'nms84')?.reachable, false);
  });

  it('tells a refused token from an API that does not answer', () => {
    assert.deepEqual(codes(report(answers({ api: { httpStatus: 401, body: '{"status":"error"}', ms: 10 } }))), [
      'api_token:api',
    ]);
    const down = report(answers({ api: { httpStatus: 502, body: '<html>', ms: 10 } }));
    assert.deepEqual(codes(down), ['api_down:api']);
    assert.match(down.problems[0].fix, /nginx start/);
  });

  it('blames the path, not the service, when only one poller cannot reach it', () => {
    const r = report(answers({ doctors: { nms84: doctor('nms84', { redis: 'connect ETIMEDOUT 192.0.2.82:6379' }) } }));
    assert.deepEqual(codes(r), ['service_unreachable:redis@nms84']);
    assert.match(r.problems[0].fix, /--limit nms82,nms84/);
  });

  it('says when doctor could not run on a node', () => {
    const a = answers();
    delete a[1].doctor;
    a[1].doctorError = 'nms-agent doctor: nms-agent is not installed (exit 127)';
    const r = report(a);
    assert.deepEqual(codes(r), ['doctor_failed:nms83']);
  });
});

describe('nms status schema, parsing and output', () => {
  it('the schema rejects a report that breaks it (a problem without fix, a healthy report with problems)', () => {
    const r = report(answers());
    assert.equal(validate({ ...r, problems: [{ code: 'x', subject: 'y', message: 'z' }] }), false);
    assert.equal(
      validate({ ...r, problems: [{ code: 'x', subject: 'y', message: 'z', fix: 'f' }] }),
      false,
      'healthy with a problem',
    );
    assert.equal(validate({ ...r, exit_code: 3 }), false);
  });

  it('parses curl output and agent JSON, and explains what is not', () => {
    assert.deepEqual(parseCurl({ code: 0, stdout: '{"status":"ok"}\n200', stderr: '' }), {
      httpStatus: 200,
      body: '{"status":"ok"}',
    });
    assert.equal(
      parseCurl({ code: 7, stdout: '\n000', stderr: 'curl: (7) Failed to connect to 127.0.0.1 port 443' }).error,
      'curl: (7) Failed to connect to 127.0.0.1 port 443',
    );
    assert.throws(
      () =>
        parseAgentJson({ code: 127, stdout: '', stderr: 'sh: nms-agent: not found' }, 'nms-agent-doctor/1', 'doctor'),
      /not installed/,
    );
    assert.throws(
      () => parseAgentJson({ code: 1, stdout: 'error: unknown command', stderr: '' }, 'nms-agent-doctor/1', 'doctor'),
      /exit 1, no JSON: error: unknown command/,
    );
    assert.throws(
      () => parseAgentJson({ code: 0, stdout: '{"schema":"other/1"}', stderr: '' }, 'nms-agent-doctor/1', 'doctor'),
      /expected nms-agent-doctor\/1/,
    );
  });

  it('prints a table and each problem with its fix; NO_COLOR turns colour off', () => {
    const c = colours({ NO_COLOR: '1' });
    assert.equal(c.level, 0);
    const r = report(answers({ doctors: everyone({ rrdcached: 'refused' }) }));
    const text = formatStatus(r, c);
    assert.doesNotMatch(text, /\u001b\[/);
    assert.match(text, /UNHEALTHY/);
    assert.match(text, /^ {2}host +address +roles/m);
    assert.match(text, /nms83 +192\.0\.2\.83/);
    assert.match(text, /fix: on nms82 run `\/etc\/init.d\/rrdcached start`/);
    assert.match(formatStatus(report(answers()), c), /base: healthy/);
  });

  it('lists active alerts from the cluster view; they do not make nms unhealthy', () => {
    const since = '2026-11-25T16:58:00.000Z';
    const message = 'Device sw3 is down (icmp)';
    const alert = {
      id: 7,
      rule: 'device-down',
      severity: 'critical',
      state: 'alerting',
      device_id: 3,
      hostname: 'sw3',
    };
    const alerts = [{ ...alert, entity: '', message, since }];
    const r = report(answers({ cluster: { alerts } }));
    assert.equal(r.healthy, true);
    assert.deepEqual(r.cluster?.alerts, alerts);
    const text = formatStatus(r, colours({ NO_COLOR: '1' }));
    assert.ok(text.includes(`alerts: 1 active\n    alert 7 CRITICAL device-down: ${message} since ${since}`), text);
  });
});

describe('the cluster view rules (agent side)', () => {
  it('calls a dispatcher that holds the lock without ticking stuck', () => {
    const v = analyse(facts({ dispatcherTick: { poller_name: 'nms82', at: NOW - 60_000 } }));
    assert.deepEqual(
      v.problems.map((p) => p.code),
      ['dispatcher_stuck'],
    );
    assert.match(v.problems[0].message, /has not dispatched for 60 s/);
  });

  it('calls a working poller idle when its groups have devices and it did nothing for long', () => {
    const registry = HOSTS.map((h) => entry(h, h === 'nms84' ? { jobs_ok: 0, started_at: NOW - 3_600_000 } : {}));
    assert.deepEqual(
      analyse(facts({ registry })).problems.map((p) => `${p.code}:${p.subject}`),
      ['node_idle:nms84'],
    );
    const young = HOSTS.map((h) => entry(h, h === 'nms84' ? { jobs_ok: 0, started_at: NOW - 30_000 } : {}));
    assert.deepEqual(analyse(facts({ registry: young })).problems, [], 'a young agent is not idle yet');
  });

  it('forgets poller_cluster rows older than a day and keeps a stale heartbeat apart', () => {
    const v = analyse(
      facts({
        reports: [
          ...facts().reports!,
          { node_id: 'old', poller_name: 'retired', groups: [0], age_s: 200_000, polled: 0, version: '0.1.0' },
        ],
      }),
    );
    assert.ok(!v.nodes.some((n) => n.poller_name === 'retired'));
    const stale = analyse(
      facts({ registry: HOSTS.map((h) => entry(h, h === 'nms83' ? { heartbeat_at: NOW - 60_000 } : {})) }),
    );
    assert.deepEqual(
      stale.problems.map((p) => `${p.code}:${p.subject}`),
      ['node_stale:nms83'],
    );
  });
});

describe('probe helpers', () => {
  it('picks the hosts that poll a group and prints each hop', async () => {
    const { pollersOf, formatProbe } = await import('../../cli/status/probe.js');
    assert.deepEqual(
      pollersOf(inv, 1).map((h) => h.name),
      ['nms83', 'nms84'],
    );
    assert.deepEqual(
      pollersOf(inv, 0).map((h) => h.name),
      ['nms82', 'nms83', 'nms84'],
    );
    const text = formatProbe({
      schema: 'nms-probe/1',
      ok: false,
      device: {
        device_id: 2,
        hostname: 'switch1.example.net',
        port: 1161,
        poller_group: 1,
        status: 0,
        last_polled: null,
      },
      node: 'nms83',
      hops: [
        { from: 'workstation', to: 'nms83', what: 'ssh connect', ms: 120, ok: true },
        {
          from: 'nms83',
          to: 'switch1.example.net:1161',
          what: 'poll: SNMP (1 requests)',
          ms: 3000,
          ok: false,
          detail: 'no SNMP answer',
        },
      ],
      total_ms: 3200,
      runs: [],
    });
    assert.match(text, /FAILED in 3200 ms/);
    assert.match(text, /FAIL nms83 → switch1\.example\.net:1161 +3000 ms +poll: SNMP \(1 requests\): no SNMP answer/);
  });
});
