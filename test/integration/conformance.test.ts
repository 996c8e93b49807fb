// The conformance comparison (test/conformance/) on every recording of the shared test data:
// snmpsim on its own port, a fresh database, discovery and two polls through the real Poller,
// compared with LibreNMS's expected rows. Fails when a recording errors or times out, or when a
// figure drops below its floor (test/conformance/floors.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runConformance } from '../conformance/run.js';
import { figures, ratio } from '../conformance/report.js';
import { FLOORS } from '../conformance/floors.js';

test(
  'conformance with LibreNMS on every recording stays at or above the recorded floors',
  { timeout: 300_000 },
  async () => {
    const report = await runConformance({
      dbUrl: process.env.NMS_TEST_DB ?? 'mysql://nmstest:nmstest@127.0.0.1:13306',
    });
    assert.equal(report.results.length, 55, 'recordings compared');
    for (const r of report.results) {
      assert.equal(r.error, undefined, `${r.recording} failed: ${r.error}`);
      assert.deepEqual(r.runs, ['up', 'up', 'up'], `${r.recording}: discovery and two polls all up`);
    }
    const f = figures(report);
    // on a failure, every figure (and the misses in a report) says what moved
    process.stdout.write(
      `# ${Object.entries(f)
        .filter(([k]) => !k.startsWith('ports.'))
        .map(([k, v]) => `${k} ${v[0]}/${v[1]}`)
        .join(', ')} (${report.seconds.toFixed(0)} s)\n`,
    );
    const below = Object.entries(FLOORS)
      .filter(([k, floor]) => !f[k] || ratio(f[k]) < floor)
      .map(([k, floor]) => `${k}: ${f[k] ? `${f[k][0]}/${f[k][1]}` : 'not compared'} < ${floor}`);
    assert.deepEqual(below, [], `figures below their floors:\n${below.join('\n')}`);
  },
);
