// Run by bench/poll.ts in a fresh process (node --expose-gc): what loading every OS definition
// costs, as the agent started from the sources does it (YAML parsed, checked against the schema,
// regexes compiled) and as the agent bundle does it (the checked list, regexes compiled).
// Prints one JSON line: {files, yamlMs, bundleMs, heapMiB}.
import { buildSet, compileDefinitions, readDefinitionTexts, setOf } from '../../agent/definitions/loader.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
gc();
const heap0 = process.memoryUsage().heapUsed;
let t = performance.now();
const texts = readDefinitionTexts();
const set = buildSet(texts);
const yamlMs = performance.now() - t;
gc();
const heapMiB = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
const json = JSON.stringify(compileDefinitions(texts));
t = performance.now();
const bundled = setOf(JSON.parse(json) as ReturnType<typeof compileDefinitions>);
const bundleMs = performance.now() - t;
if (bundled.list.length !== set.list.length) throw new Error('bundle path lost definitions');
console.log(JSON.stringify({ files: set.list.length, yamlMs, bundleMs, heapMiB }));
