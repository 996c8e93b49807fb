/* eslint-disable @typescript-eslint/no-explicit-any -- a dev aid reading the expected JSON loosely */
// Dev aid: runs discovery of processors, mempools and storage against each recording in memory
// and prints where the counts differ from LibreNMS's expected rows.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSet, readDefinitionTexts } from '../../agent/definitions/loader.js';
import { detectOs } from '../../agent/definitions/detect.js';
import { recordingReader, readExpected as expectedOf, TESTDATA } from '../../test/helpers/snmprec.js';
import { str } from '../../agent/snmp/values.js';
import { discoverProcessors } from '../../agent/modules/processors.js';
import { discoverMempools } from '../../agent/modules/mempools.js';
import { discoverStorage } from '../../agent/modules/storage.js';
import { createLogger } from '../../lib/log.js';
import { discoverSensors } from '../../agent/modules/sensors.js';
const set = buildSet(readDefinitionTexts());
const only = process.argv[2];
const score: Record<string, [number, number]> = {
  processors: [0, 0],
  mempools: [0, 0],
  storage: [0, 0],
  sensors: [0, 0],
};
for (const f of readdirSync(join(TESTDATA, 'recordings')).sort()) {
  const name = f.replace('.snmprec', '');
  if (only && !name.startsWith(only)) continue;
  const r = recordingReader(name);
  const g = await r.get(['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.2.0']);
  const def = await detectOs(
    set,
    { sysDescr: str(g.get('1.3.6.1.2.1.1.1.0')) ?? '', sysObjectID: str(g.get('1.3.6.1.2.1.1.2.0')) ?? '' },
    r,
  );
  const ctx = {
    reader: r,
    def,
    set,
    log: createLogger('dev'),
    invalid: new Set<string>(),
    device: { device_id: 0 },
  } as never;
  const exp = expectedOf(name) as any;
  const got = {
    processors: await discoverProcessors(ctx),
    mempools: await discoverMempools(ctx),
    storage: await discoverStorage(ctx),
  };
  if (exp.sensors) {
    const want = exp.sensors.discovery.sensors as any[];
    const have = await discoverSensors(ctx);
    const classes = [...new Set([...want, ...have].map((x) => x.sensor_class))];
    const bad = classes.filter(
      (c) => want.filter((w) => w.sensor_class === c).length !== have.filter((h) => h.sensor_class === c).length,
    );
    score.sensors[1]++;
    if (!bad.length) score.sensors[0]++;
    else
      console.log(
        name.padEnd(26),
        'sensors',
        bad
          .map(
            (c) =>
              `${c}: want ${want.filter((w) => w.sensor_class === c).length} ` +
              `got ${have.filter((h) => h.sensor_class === c).length}`,
          )
          .join(', '),
      );
  }
  for (const m of ['processors', 'mempools', 'storage'] as const) {
    if (!exp[m]) continue;
    const want = exp[m].discovery[m] as any[];
    const have = got[m] as any[];
    score[m][1]++;
    if (want.length === have.length) score[m][0]++;
    else
      console.log(
        name.padEnd(26),
        m,
        'want',
        want.length,
        'got',
        have.length,
        'want:',
        want
          .map((w) => w.processor_descr ?? w.mempool_descr ?? w.storage_descr)
          .slice(0, 5)
          .join(','),
        '| got:',
        have
          .map((h) => h.processor_descr ?? h.descr)
          .slice(0, 5)
          .join(','),
      );
    if (process.argv[3] === 'v') console.log(JSON.stringify(want.slice(0, 3)), '\n', JSON.stringify(have.slice(0, 3)));
  }
}
console.log(score);
