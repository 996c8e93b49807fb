// Dev aid: the simulator's four OS families as the definitions see them (OS fields, processors,
// memory pools, vendor sensors). Run: npx tsx scripts/dev/sim-families.mts [v1|v2c]
import { Simulator } from '../../simulator/server.js';
import { SnmpSession } from '../../agent/snmp/session.js';
import { sessionReader } from '../../agent/definitions/reader.js';
import { definitions } from '../../agent/definitions/loader.js';
import { detectOs, osRecord } from '../../agent/definitions/detect.js';
import { discoverProcessors } from '../../agent/modules/processors.js';
import { discoverMempools } from '../../agent/modules/mempools.js';
import { discoverSensors } from '../../agent/modules/sensors.js';
import { createLogger } from '../../lib/log.js';
import { str } from '../../agent/snmp/values.js';
const sim = new Simulator({ address: '127.0.0.1', devices: 4, firstPort: 29500 });
await sim.start();
const set = definitions();
for (let i = 0; i < 4; i++) {
  const s = new SnmpSession(
    { host: '127.0.0.1', port: 29500 + i, version: (process.argv[2] ?? 'v2c') as 'v1' | 'v2c', community: 'public' },
    { timeoutMs: 2000, retries: 1 },
  );
  const r = sessionReader(s);
  const g = await r.get(['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.2.0']);
  const sys = { sysDescr: str(g.get('1.3.6.1.2.1.1.1.0')) ?? '', sysObjectID: str(g.get('1.3.6.1.2.1.1.2.0')) ?? '' };
  const def = await detectOs(set, sys, r);
  const ctx = {
    reader: r,
    def,
    set,
    log: createLogger('x'),
    invalid: new Set<string>(),
    device: { device_id: i },
  } as never;
  const rec = await osRecord(set, def, sys, r);
  const p = await discoverProcessors(ctx);
  const m = await discoverMempools(ctx);
  const se = await discoverSensors(ctx);
  console.log(
    i,
    rec.os,
    rec.hardware,
    rec.version,
    rec.serial,
    '| proc',
    p.map((x) => `${x.processor_type}:${x.processor_usage}`).join(','),
    '| mem',
    m.map((x) => `${x.type}:${x.descr}:${Math.round(x.perc)}%`).join(','),
    '| sensors',
    se
      .filter((x) => x.sensor_type !== 'entity-sensor')
      .map((x) => `${x.sensor_class}:${x.sensor_descr}=${x.sensor_current}`)
      .join(','),
  );
  s.close();
}
await sim.close();
