import { portsCollector } from '../agent/collectors/ports.js';
import { collectFromRecording, expectedRows, recordingNames } from '../test/helpers/snmprec.js';
const FIELDS = ['ifName','ifDescr','ifAlias','ifType','ifSpeed','ifOperStatus','ifAdminStatus','ifMtu','ifPhysAddress','ifInOctets','ifOutOctets','ifInUcastPkts','ifOutUcastPkts','ifInBroadcastPkts','ifOutBroadcastPkts','ifInMulticastPkts','ifOutMulticastPkts','ifInNUcastPkts','ifOutNUcastPkts','ifInErrors','ifOutErrors','ifInDiscards','ifOutDiscards','ifInUnknownProtos'];
const tot: Record<string, [number, number]> = {};
const miss: Record<string, string[]> = {};
for (const n of recordingNames()) {
  const want = expectedRows(n, 'ports', 'ports', 'poller');
  if (!want) continue;
  const got = portsCollector.process(collectFromRecording(n, portsCollector)) as any[];
  const byIdx = new Map(got.map((p) => [p.ifIndex, p]));
  for (const w of want) {
    const g = byIdx.get(w.ifIndex as number);
    for (const f of FIELDS) {
      const t = (tot[f] ??= [0, 0]); t[1]++;
      let gv = g ? (f in g ? g[f] : g.counters?.[f]) : 'MISSINGPORT';
      if (typeof gv === 'bigint') gv = Number(gv);
      if (gv === w[f] || (g && String(gv) === String(w[f]))) t[0]++;
      else (miss[f] ??= []).push(`${n}#${w.ifIndex}: want ${JSON.stringify(w[f])} got ${JSON.stringify(gv)}`);
    }
  }
  if (got.length !== want.length) console.log('count', n, got.length, want.length);
}
for (const f of FIELDS) console.log(f, tot[f][0], '/', tot[f][1], (100*tot[f][0]/tot[f][1]).toFixed(1), (miss[f] ?? []).slice(0, 60).join(' ; '));
