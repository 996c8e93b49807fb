// Bundles the CLI, the agent and the lab's SNMP simulator into single files under dist/.
// The agent bundle is what `nms deploy` pushes to every node: one file, no node_modules.
import { build } from 'esbuild';

const banner = {
  // CommonJS dependencies bundled into ESM expect require, __filename and __dirname (ssh2
  // resolves a path with __dirname when it loads)
  js: [
    "import { createRequire as __nmsCreateRequire } from 'node:module';",
    "import { fileURLToPath as __nmsFileURLToPath } from 'node:url';",
    'const require = __nmsCreateRequire(import.meta.url);',
    'const __filename = __nmsFileURLToPath(import.meta.url);',
    "const __dirname = __nmsFileURLToPath(new URL('.', import.meta.url));",
  ].join(' '),
};
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  banner,
  sourcemap: 'linked',
  legalComments: 'none',
  // non-ASCII escaped (strings, regexes, names): see asciiOnly below
  charset: 'ascii',
  external: ['cpu-features', '*.node'],
  logLevel: 'warning',
};
const entries = [
  ['cli/main.ts', 'dist/nms.mjs'],
  ['agent/main.ts', 'dist/nms-agent.mjs'],
  ['simulator/main.ts', 'dist/nms-simulator.mjs'],
];
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
// The OS definitions travel inside the agent bundle, parsed and checked here (a bad file fails
// the build with its file, line and field): agent/definitions/loader.ts takes them from
// __NMS_DEFINITIONS__, so the agent parses no YAML at run time.
const compiler = 'dist/.definitions-compiler.mjs';
await build({ ...common, sourcemap: false, entryPoints: ['agent/definitions/loader.ts'], outfile: compiler });
const { compileDefinitions, readDefinitionTexts } = await import(pathToFileURL(compiler).href);
rmSync(compiler);
const define = { __NMS_DEFINITIONS__: JSON.stringify(compileDefinitions(readDefinitionTexts('agent/definitions/os'))) };
await Promise.all(
  entries
    .filter(([src]) => existsSync(src))
    .map(([entryPoints, outfile]) => build({ ...common, define, entryPoints: [entryPoints], outfile })),
);

// V8 keeps a script's source text for the process's life, two bytes a character as soon as one
// character is outside Latin-1: 13 MiB instead of 6.5 for the agent. esbuild's charset 'ascii'
// escapes strings, regexes and names but leaves the comments it keeps; escape those too (a \uXXXX
// in a comment is only text, anywhere else it is the same character).
for (const [src, out] of entries) {
  if (!existsSync(src)) continue;
  const text = readFileSync(out, 'utf8');
  if (/[^\x00-\x7f]/.test(text))
    writeFileSync(
      out,
      text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    );
}
