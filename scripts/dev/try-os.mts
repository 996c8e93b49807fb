/* eslint-disable @typescript-eslint/no-explicit-any -- a dev aid reading the expected JSON loosely */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSet, readDefinitionTexts } from '../../agent/definitions/loader.js';
import { detectOs, osRecord } from '../../agent/definitions/detect.js';
import { recordingReader, readExpected as expectedOf, TESTDATA } from '../../test/helpers/snmprec.js';
import { str } from '../../agent/snmp/values.js';
const set = buildSet(readDefinitionTexts());
const only = process.argv[2];
let ok = 0,
  tot = 0;
const fields = ['os', 'hardware', 'version', 'serial', 'features'] as const;
for (const f of readdirSync(join(TESTDATA, 'recordings')).sort()) {
  const name = f.replace('.snmprec', '');
  if (only && !name.startsWith(only)) continue;
  const r = recordingReader(name);
  const g = await r.get(['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.2.0']);
  const sys = { sysDescr: str(g.get('1.3.6.1.2.1.1.1.0')) ?? '', sysObjectID: str(g.get('1.3.6.1.2.1.1.2.0')) ?? '' };
  const def = await detectOs(set, sys, r);
  const rec = await osRecord(set, def, sys, r);
  const want = (expectedOf(name).os as any).discovery.devices[0];
  const bad = fields.filter((k) => (want[k] || null) !== (rec as any)[k] && !(k !== 'os' && !want[k]));
  tot++;
  if (!bad.length) ok++;
  if (bad.length)
    console.log(
      name.padEnd(28),
      bad.map((k) => `${k}: want ${JSON.stringify(want[k])} got ${JSON.stringify((rec as any)[k])}`).join(' | '),
    );
}
console.log(`${ok}/${tot} fully right`);
