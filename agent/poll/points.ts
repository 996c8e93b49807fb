// Turns collector records into RRD points in LibreNMS's layout.
import type { PortRecord } from '../collectors/types.js';
import { PORT_DS, rrdFiles } from '../rrd/layout.js';
import type { RrdPoint } from '../rrd/writer.js';

/**
 * One point per port, dated when its octet counters arrived (`readAt(ifIndex)`, ms) rather than
 * when the poll started: a walk of many ports takes a while, and the rate RRD computes divides
 * by the difference of these times.
 */
export function portPoints(
  host: string,
  ports: PortRecord[],
  ids: Map<number, number>,
  readAt: (ifIndex: number) => number,
): RrdPoint[] {
  const out: RrdPoint[] = [];
  for (const p of ports) {
    const id = ids.get(p.ifIndex);
    if (id === undefined) continue;
    out.push({
      def: rrdFiles.port(host, id),
      time: readAt(p.ifIndex) / 1000,
      values: PORT_DS.map(([, counter]) => p.counters[counter]),
    });
  }
  return out;
}
