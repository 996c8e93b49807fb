// HOST-RESOURCES-MIB storage: hrStorageTable, sizes in bytes (allocation units applied).
import { num, str } from '../snmp/values.js';
import type { Collector, StorageRecord } from './types.js';

const T = '1.3.6.1.2.1.25.2.3.1';
const C = { type: `${T}.2`, descr: `${T}.3`, units: `${T}.4`, size: `${T}.5`, used: `${T}.6` };
const TYPES: Record<string, string> = {
  1: 'hrStorageOther', 2: 'hrStorageRam', 3: 'hrStorageVirtualMemory', 4: 'hrStorageFixedDisk', 5: 'hrStorageRemovableDisk',
  6: 'hrStorageFloppyDisk', 7: 'hrStorageCompactDisc', 8: 'hrStorageRamDisk', 9: 'hrStorageFlashMemory', 10: 'hrStorageNetworkDisk',
};

export const storageCollector: Collector<StorageRecord[]> = {
  name: 'storage',
  columns: Object.values(C),
  process({ columns }) {
    const out: StorageRecord[] = [];
    for (const [index, sizeVb] of columns.get(C.size) ?? []) {
      const units = num(columns.get(C.units)?.get(index)) ?? 0;
      const blocks = num(sizeVb) ?? 0;
      if (units <= 0 || blocks <= 0) continue; // empty mounts and placeholders
      const typeOid = str(columns.get(C.type)?.get(index)) ?? '';
      const used = (num(columns.get(C.used)?.get(index)) ?? 0) * units;
      const size = blocks * units;
      out.push({
        index, type: TYPES[typeOid.split('.').pop() ?? ''] ?? 'hrStorageOther', descr: str(columns.get(C.descr)?.get(index)) ?? `storage ${index}`,
        units, size, used, free: size - used, perc: Math.round((used / size) * 100),
      });
    }
    return out;
  },
};
