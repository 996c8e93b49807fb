// HOST-RESOURCES-MIB processors: hrProcessorLoad per hrDeviceIndex, named by hrDeviceDescr.
import { num, str } from '../snmp/values.js';
import type { Collector, ProcessorRecord } from './types.js';

const hrProcessorLoad = '1.3.6.1.2.1.25.3.3.1.2';
const hrDeviceDescr = '1.3.6.1.2.1.25.3.2.1.3';

export const processorsCollector: Collector<ProcessorRecord[]> = {
  name: 'processors',
  columns: [hrProcessorLoad, hrDeviceDescr],
  process({ columns }) {
    const descr = columns.get(hrDeviceDescr);
    const out: ProcessorRecord[] = [];
    for (const [index, vb] of columns.get(hrProcessorLoad) ?? []) {
      const usage = num(vb);
      if (usage === null) continue;
      // Net-SNMP's descriptions repeat the CPU model; LibreNMS shortens them the same way.
      const d = str(descr?.get(index))?.replace(/^(GenuineIntel|AuthenticAMD): /, '').replace(/\s+/g, ' ') || 'Processor';
      out.push({ index, descr: d, usage });
    }
    return out;
  },
};
