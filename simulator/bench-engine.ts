// CPU cost of the SNMP engine alone (no sockets): `node --import tsx simulator/bench-engine.ts`.
// A benchmark, not a test: prints microseconds per request for three request kinds.
import { SimAgent } from './agent.js';
import { buildRequest, PDU } from './testing.js';

const agent = new SimAgent();
const kinds = {
  'get 9 objects': buildRequest({
    version: 1,
    pduType: PDU.get,
    oids: [
      '1.3.6.1.2.1.1.3.0',
      ...[1, 2, 3, 4].flatMap((p) => [`1.3.6.1.2.1.31.1.1.1.6.${p}`, `1.3.6.1.2.1.31.1.1.1.10.${p}`]),
    ],
  }),
  'bulk 4 columns x 10': buildRequest({
    version: 1,
    pduType: PDU.getBulk,
    maxRepetitions: 10,
    oids: ['1.3.6.1.2.1.2.2.1.2', '1.3.6.1.2.1.2.2.1.8', '1.3.6.1.2.1.31.1.1.1.6', '1.3.6.1.2.1.31.1.1.1.10'],
  }),
  'bulk to 1472 bytes': buildRequest({
    version: 1,
    pduType: PDU.getBulk,
    maxRepetitions: 50,
    oids: ['1.3.6.1.2.1.31.1.1.1.6', '1.3.6.1.2.1.31.1.1.1.10'],
  }),
};
for (const [name, req] of Object.entries(kinds)) {
  for (let i = 0; i < 2000; i++) agent.handle(i % 1000, req); // warm up
  const n = 50_000;
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) agent.handle(i % 9000, req);
  const us = Number(process.hrtime.bigint() - t) / 1000 / n;
  console.log(`${name}: ${us.toFixed(1)} us/request, ${agent.handle(0, req)!.length} bytes`);
}
