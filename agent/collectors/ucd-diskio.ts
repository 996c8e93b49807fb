// UCD-DISKIO-MIB diskIOTable: bytes and operations per block device (Net-SNMP agents), in
// LibreNMS's `ucd_diskio` rows; the counters go to its ucd_diskio-<descr>.rrd files. 64-bit byte
// counters (diskIONReadX/WrittenX) when the agent has them. Disks that never read nor wrote a
// byte are left out at discovery, as LibreNMS does.
import { big, str } from '../snmp/values.js';
import type { Collector, DiskIoRecord } from './types.js';

const D = '1.3.6.1.4.1.2021.13.15.1.1';
const COL = {
  device: `${D}.2`,
  nRead: `${D}.3`,
  nWritten: `${D}.4`,
  reads: `${D}.5`,
  writes: `${D}.6`,
  nReadX: `${D}.12`,
  nWrittenX: `${D}.13`,
};

export const ucdDiskioCollector: Collector<DiskIoRecord[]> = {
  name: 'ucd-diskio',
  columns: Object.values(COL),
  process({ columns }) {
    const out: DiskIoRecord[] = [];
    const get = (k: keyof typeof COL, i: string) => big(columns.get(COL[k])?.get(i));
    for (const [i, vb] of columns.get(COL.device) ?? []) {
      const diskio_descr = str(vb);
      if (!diskio_descr || !/^\d+$/.test(i)) continue;
      out.push({
        diskio_index: Number(i),
        diskio_descr,
        read: get('nReadX', i) ?? get('nRead', i),
        written: get('nWrittenX', i) ?? get('nWritten', i),
        reads: get('reads', i),
        writes: get('writes', i),
      });
    }
    return out;
  },
  // what LibreNMS keeps: the disks with traffic
  tables: (r) => ({
    ucd_diskio: activeDisks(r).map(({ diskio_index, diskio_descr }) => ({ diskio_index, diskio_descr })),
  }),
};

/** What discovery keeps: disks with traffic. */
export const activeDisks = (r: DiskIoRecord[]) => r.filter((d) => (d.read ?? 0n) > 0n || (d.written ?? 0n) > 0n);
