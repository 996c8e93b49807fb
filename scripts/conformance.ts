// `npm run conformance`: runs the conformance comparison (test/conformance/) on every recording
// and writes docs/conformance.md. Options: --only a,b (recordings), --keep (the database),
// --processes N (snmpsim processes, default 3), --concurrency N (devices at once, default 10).
import { writeFileSync } from 'node:fs';
import { runConformance } from '../test/conformance/run.js';
import { figures, markdown, ratio } from '../test/conformance/report.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const report = await runConformance({
  dbUrl: process.env.NMS_TEST_DB ?? 'mysql://nmstest:nmstest@127.0.0.1:13306',
  only: arg('only')?.split(','),
  processes: arg('processes') ? Number(arg('processes')) : undefined,
  concurrency: arg('concurrency') ? Number(arg('concurrency')) : undefined,
  keep: process.argv.includes('--keep'),
});
if (!arg('only')) writeFileSync('docs/conformance.md', markdown(report));
else process.stdout.write(markdown(report));
for (const [k, v] of Object.entries(figures(report)))
  if (!k.startsWith('ports.')) console.log(`${k.padEnd(26)} ${v[0]}/${v[1]} ${Math.floor(ratio(v) * 1000) / 10} %`);
const written = arg('only') ? '' : '; docs/conformance.md written';
console.log(`${report.results.length} recordings in ${report.seconds.toFixed(1)} s${written}`);
