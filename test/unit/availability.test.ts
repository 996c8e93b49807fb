// Availability pieces without services: fping's summary lines, plugin output and perfdata,
// check declarations, the argv of a check, status event wording, and the deploy's service
// digest (which must equal what MariaDB computes, see the e2e test for the real thing).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fpingArgs, parseFpingSummary } from '../../agent/availability/fping.js';
import { checkProblem, dsName, parsePluginOutput, runPlugin } from '../../agent/availability/plugin.js';
import { serviceArgv } from '../../agent/availability/services.js';
import { statusDiffers, statusEvent } from '../../agent/db/status.js';
import { serviceSql, servicesDigest } from '../../cli/deploy/services.js';
import { sqlString } from '../../cli/deploy/database.js';

test('fping summary lines: answered, lost, partly lost; arguments', () => {
  const out = [
    '198.19.0.1 : xmt/rcv/%loss = 3/3/0%, min/avg/max = 0.027/0.039/0.046',
    '198.19.0.2 : xmt/rcv/%loss = 3/0/100%',
    'sw1.example.net : xmt/rcv/%loss = 3/2/33%, min/avg/max = 1.10/1.20/1.30',
    'nosuch.invalid: Name or service not known',
  ].join('\n');
  const m = parseFpingSummary(out);
  assert.deepEqual(m.get('198.19.0.1'), { xmt: 3, rcv: 3, loss: 0, min: 0.027, avg: 0.039, max: 0.046 });
  assert.deepEqual(m.get('198.19.0.2'), { xmt: 3, rcv: 0, loss: 100, min: 0, avg: 0, max: 0 });
  assert.equal(m.get('sw1.example.net')?.loss, 33);
  assert.equal(m.has('nosuch.invalid'), false);
  const args = fpingArgs({ count: 3, periodMs: 500, timeoutMs: 500, intervalMs: 1 });
  assert.deepEqual(args, ['-q', '-4', '-c', '3', '-p', '500', '-t', '500', '-i', '1', '-r', '0']);
});

test('plugin output: message before |, perfdata labels made RRD-safe, quoted labels', () => {
  const line = 'HTTP OK: HTTP/1.1 200 OK - 612 bytes in 0.001 second response time';
  const o = parsePluginOutput(`${line} |time=0.000951s;;;0.000000;10.000000 size=612B;;;0\n`);
  assert.equal(o.message, 'HTTP OK: HTTP/1.1 200 OK - 612 bytes in 0.001 second response time');
  assert.deepEqual(o.perf, [
    { ds: 'time', value: 0.000951, uom: 's' },
    { ds: 'size', value: 612, uom: 'B' },
  ]);
  const disk = parsePluginOutput("DISK OK | '/var/lib'=5MB;;;0;100");
  assert.deepEqual(disk.perf, [{ ds: '_var_lib', value: 5, uom: 'MB' }]);
  assert.equal(dsName('a very long label with spaces'), 'a_very_long_label_w');
  assert.deepEqual(parsePluginOutput('TCP CRITICAL - Connection refused').perf, []);
});

test('check declarations: names and argument lists are checked; no shell, -H first unless given', async () => {
  assert.equal(checkProblem('http', ['-S', '-p', '443']), undefined);
  assert.match(checkProblem('../bin/sh', []) ?? '', /check type/);
  assert.match(checkProblem('http', '-S -p 443') ?? '', /list of strings/);
  assert.match(checkProblem('http', ['a\nb']) ?? '', /printable/);
  const p22 = '["-p","22"]';
  assert.deepEqual(serviceArgv({ service_param: p22, service_ip: null, hostname: 'sw1' }), ['-H', 'sw1', '-p', '22']);
  const withIp = serviceArgv({ service_param: p22, service_ip: '10.0.0.1', hostname: 'sw1' });
  assert.deepEqual(withIp, ['-H', '10.0.0.1', '-p', '22']);
  assert.deepEqual(serviceArgv({ service_param: '["-H","x"]', service_ip: null, hostname: 'sw1' }), ['-H', 'x']);
  // a shell metacharacter is just an argument: check_dummy prints it back, nothing is run
  const r = await runPlugin('dummy', ['0', '$(touch /tmp/nms-pwned); `id`'], 5000);
  assert.equal(r.state, 0);
  assert.equal(r.message, 'OK: $(touch /tmp/nms-pwned); `id`');
  assert.equal((await runPlugin('dummy', ['2', 'bad'], 5000)).state, 2);
  assert.equal((await runPlugin('nosuchplugin', [], 5000)).state, 3);
});

test('status changes: when a write is needed and the wording of each event', () => {
  assert.equal(statusDiffers({ up: true, reason: '', before: { status: 1, status_reason: '' } }), false);
  assert.equal(statusDiffers({ up: false, reason: 'icmp', before: { status: 0, status_reason: 'snmp' } }), true);
  const wasUp = { status: 1, status_reason: '' };
  const never = { status: 0, status_reason: '' };
  const icmp = { status: 0, status_reason: 'icmp' };
  const msg = (c: Parameters<typeof statusEvent>[0]) => statusEvent(c).message;
  const down = msg({ up: false, reason: 'icmp', before: wasUp, detail: 'no reply' });
  assert.equal(down, 'Device status changed to Down from icmp check: no reply');
  assert.equal(msg({ up: false, reason: 'snmp', before: never }), 'Device is Down from snmp check');
  assert.equal(msg({ up: true, reason: '', before: icmp }), 'Device status changed to Up');
});

test("deploy: a device's service rows are rewritten only when its declaration changed", () => {
  const snmp = { version: 'v2c' as const, community: 'public' };
  const services = [{ type: 'tcp', args: ['-p', '22'] }];
  const d = { hostname: '198.19.0.1', port: 161, transport: 'udp' as const, poller_group: 0, snmp, services };
  const digest = servicesDigest(d.services);
  assert.match(digest, /^[0-9a-f]{32}$/);
  assert.equal(serviceSql(d, digest, sqlString), '');
  const sql = serviceSql(d, undefined, sqlString);
  const del = /^DELETE FROM services WHERE service_template_id = 0 AND device_id = \(SELECT device_id FROM devices /;
  assert.match(sql, del);
  assert.match(sql, /hostname = '198\.19\.0\.1' AND port = 161\);/);
  assert.match(
    sql,
    /INSERT INTO services .* SELECT device_id, 'tcp', NULL, '\["-p","22"\]', NULL, NULL, UNIX_TIMESTAMP\(\) /,
  );
  assert.equal(servicesDigest([]), '');
  assert.equal(serviceSql({ ...d, services: undefined }, undefined, sqlString), '');
});
