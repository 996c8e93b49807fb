// Measures what loading every OS definition costs (the budget: ≤ 200 ms and ≤ 20 MiB), in a
// fresh process each way the agent loads them:
//   bundle: the agent bundle's definitions (checked at build time): JSON, regexes compiled;
//   source: the YAML files parsed and checked with ajv (tests, and the agent run from sources).
// Run: node --expose-gc --import tsx scripts/dev/definitions-cost.mts bundle|source
import { execFileSync } from 'node:child_process';
import { compileDefinitions, readDefinitionTexts, setOf, buildSet } from '../../agent/definitions/loader.js';

const mode = process.argv[2] ?? 'both';
if (mode === 'both') {
  for (const m of ['bundle', 'source']) {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', process.argv[1], m], {
      encoding: 'utf8',
    });
    process.stdout.write(out);
  }
} else {
  // what the build embeds, prepared before the clock starts (the bundle holds it as code)
  const embedded = mode === 'bundle' ? JSON.stringify(compileDefinitions(readDefinitionTexts())) : '';
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const set = mode === 'bundle' ? setOf(JSON.parse(embedded)) : buildSet(readDefinitionTexts());
  const ms = performance.now() - t0;
  gc?.();
  const heap = (process.memoryUsage().heapUsed - heap0) / 1048576;
  console.log(
    JSON.stringify({
      mode,
      definitions: set.list.length,
      regexes: set.regex.size,
      loadMs: Math.round(ms * 10) / 10,
      retainedHeapMiB: Math.round(heap * 100) / 100,
    }),
  );
}
