// Records a golden file from a live SNMP agent:
//   node --import tsx test/golden/record.ts COLLECTOR HOST:PORT COMMUNITY OUT.json [--rows N] [--source TEXT]
// `expected` is what the collector makes of the varbinds today: check it by hand against
// snmpwalk before committing, since the test then holds the collector to it.
import { writeFileSync } from 'node:fs';
import { SnmpSession } from '../../agent/snmp/session.js';
import { fetchFor } from '../../agent/collectors/runner.js';
import { COLLECTORS } from '../../agent/collectors/index.js';
import { encodeVarbind, jsonable, type GoldenFile } from './golden.js';
import type { Varbind } from '../../agent/snmp/types.js';

const [name, addr, community, out, ...rest] = process.argv.slice(2);
const c = COLLECTORS.find((x) => x.name === name);
if (!c || !addr || !community || !out) {
  process.stderr.write('usage: record.ts COLLECTOR HOST:PORT COMMUNITY OUT.json [--rows N] [--source TEXT]\n');
  process.exit(2);
}
const opt = (k: string) => (rest.includes(k) ? rest[rest.indexOf(k) + 1] : undefined);
const rows = Number(opt('--rows') ?? Infinity);
const [host, port] = addr.split(':');
const session = new SnmpSession({ host, port: Number(port), version: 'v2c', community });
try {
  const data = await fetchFor(session, c);
  // keep the first N row indexes of the table (by the first column's order) so the file stays readable
  const firstCol = c.columns?.[0];
  const keep = new Set([...(firstCol ? data.columns.get(firstCol)!.keys() : [])].slice(0, rows));
  for (const col of data.columns.values()) for (const i of [...col.keys()]) if (!keep.has(i) && keep.size > 0) col.delete(i);
  const list: Varbind[] = [...data.scalars.values()];
  // a walk keeps cells by row: the OID is the column's plus the row index
  for (const [col, rows] of data.columns) for (const [i, cell] of rows) list.push({ oid: `${col}.${i}`, ...cell });
  const golden: GoldenFile = {
    collector: c.name,
    source: opt('--source') ?? `recorded from ${addr} community ${community} on ${new Date().toISOString().slice(0, 10)}`,
    varbinds: list.map(encodeVarbind),
    expected: jsonable(c.process(data)),
  };
  writeFileSync(out, JSON.stringify(golden, null, 1) + '\n');
  process.stdout.write(`${out}: ${list.length} varbinds\n`);
} finally {
  session.close();
}
