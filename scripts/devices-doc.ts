// Regenerates the table of supported OS families in docs/devices.md from the definitions
// (agent/definitions/os/*.yaml), between its `families:start` and `families:end` markers.
// Run: node --import tsx scripts/devices-doc.ts  (npm run docs:devices)
import { readFileSync, writeFileSync } from 'node:fs';
import { buildSet, readDefinitionTexts } from '../agent/definitions/loader.js';
import type { OsDefinition } from '../agent/definitions/types.js';

const FILE = 'docs/devices.md';
const START = '<!-- families:start (scripts/devices-doc.ts writes this table) -->';
const END = '<!-- families:end -->';

const detectText = (d: OsDefinition) =>
  d.detect
    .map((r) =>
      [
        r.sysObjectID ? `sysObjectID ${r.sysObjectID.map((p) => `\`${p}\``).join(' or ')}` : '',
        r.sysDescr ? `sysDescr ~ ${r.sysDescr.map((p) => `\`${p.replace(/\|/g, '\\|')}\``).join(' or ')}` : '',
        r.has ? `has \`${r.has}\`` : '',
        r.get ? `GET \`${r.get.oid}\`` : '',
      ]
        .filter(Boolean)
        .join(', '),
    )
    .join('; ') || '(fallback)';

const count = (d: OsDefinition) => {
  const parts = [
    ['processors', d.processors],
    ['mempools', d.mempools],
    ['storage', d.storage],
    ['sensors', d.sensors],
  ]
    .filter(([, v]) => (v as unknown[] | undefined)?.length)
    .map(([k, v]) => `${k} ${(v as unknown[]).length}`);
  return parts.join(', ') || '—';
};

const set = buildSet(readDefinitionTexts());
const rows = set.list.map(
  (d) =>
    `| \`${d.os}\` | ${d.text} | ${d.vendor} | ${d.type} | ${Object.keys(d.fields ?? {}).join(', ') || '—'} | ` +
    `${count(d)} | ${detectText(d)} |`,
);
const table = [
  START,
  '',
  `${set.list.length} definitions. "own tables" counts the OS's own tables per module; the generic MIBs come on top.`,
  '',
  '| os | name | vendor | type | fields | own tables | recognised by |',
  '|---|---|---|---|---|---|---|',
  ...rows,
  '',
  END,
].join('\n');
const doc = readFileSync(FILE, 'utf8');
const a = doc.indexOf(START);
const b = doc.indexOf(END);
if (a < 0 || b < 0) throw new Error(`${FILE}: markers not found`);
writeFileSync(FILE, doc.slice(0, a) + table + doc.slice(b + END.length));
console.log(`${FILE}: ${set.list.length} families`);
