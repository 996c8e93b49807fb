// The OS families the simulated devices present, so that a lab cluster shows detected OSes and
// vendor processors, memory pools and sensors: device i is linux, ios, junos or routeros by
// i % 4. Each family has its sysObjectID and sysDescr (the facts our OS definitions recognise)
// and a few objects of its vendor's MIB, computed from model.ts like the rest of the simulator.
import { TAG, type BerWriter } from './ber.js';
import { sysName, unit, DEFAULT_SEED } from './model.js';
import { processorLoad } from './health.js';

export const FAMILIES = ['linux', 'ios', 'junos', 'routeros'] as const;
export type Family = (typeof FAMILIES)[number];

export function familyOf(device: number): Family {
  return FAMILIES[device % FAMILIES.length];
}

/** What the writer knows of the request (mib.ts's DeviceView). */
export interface FamilyView {
  index: number;
  seed: number;
  nowMs: number;
}

export interface FamilyObject {
  oid: number[];
  /** Length of the OID without its instance part. */
  baseLen: number;
  write(w: BerWriter, d: FamilyView): void;
}

const SYS_OBJECT_IDS: Record<Family, number[]> = {
  linux: [1, 3, 6, 1, 4, 1, 8072, 3, 2, 10], // NET-SNMP-TC linux
  ios: [1, 3, 6, 1, 4, 1, 9, 1, 516], // CISCO-PRODUCTS catalyst37xxStack
  junos: [1, 3, 6, 1, 4, 1, 2636, 1, 1, 1, 2, 57], // JUNIPER-CHASSIS-DEFINES jnxProductNameMX80
  routeros: [1, 3, 6, 1, 4, 1, 14988, 1], // MIKROTIK-MIB routerboard
};

export const familySysObjectID = (device: number): number[] => SYS_OBJECT_IDS[familyOf(device)];

export function familySysDescr(device: number): string {
  const v = `${device % 5}.${device % 11}`;
  switch (familyOf(device)) {
    case 'linux':
      return `Linux ${sysName(device)} 6.1.${device % 100}-nms-sim #1 SMP PREEMPT_DYNAMIC x86_64`;
    case 'ios':
      return `Cisco IOS Software, C3750 Software (C3750-IPSERVICESK9-M), Version 15.2(${v})E, RELEASE SOFTWARE (fc1)`;
    case 'junos':
      return (
        `Juniper Networks, Inc. mx80 internet router, kernel JUNOS 21.4R${(device % 3) + 1}.${device % 9}, ` +
        'Build date: 2024-01-01 00:00:00 UTC'
      );
    case 'routeros':
      return 'RouterOS CCR2004-16G-2S+';
  }
}

/** A slowly moving value in [lo, hi] (same for a device and key within a minute). */
const level = (d: FamilyView, key: number, lo: number, hi: number) =>
  lo + (hi - lo) * unit(d.seed ?? DEFAULT_SEED, d.index, key, Math.floor(d.nowMs / 60_000));

const scalar = (oid: number[], write: FamilyObject['write']): FamilyObject => ({
  oid: [...oid, 0],
  baseLen: oid.length,
  write,
});
const cell = (column: number[], row: number[], write: FamilyObject['write']): FamilyObject => ({
  oid: [...column, ...row],
  baseLen: column.length,
  write,
});

const CPM = [1, 3, 6, 1, 4, 1, 9, 9, 109, 1, 1, 1, 1]; // CISCO-PROCESS-MIB cpmCPUTotalEntry
const MEMPOOL = [1, 3, 6, 1, 4, 1, 9, 9, 48, 1, 1, 1]; // CISCO-MEMORY-POOL-MIB ciscoMemoryPoolEntry
const ENVMON_TEMP = [1, 3, 6, 1, 4, 1, 9, 9, 13, 1, 3, 1]; // CISCO-ENVMON-MIB ciscoEnvMonTemperatureStatusEntry
const JNX_OPERATING = [1, 3, 6, 1, 4, 1, 2636, 3, 1, 13, 1]; // JUNIPER-MIB jnxOperatingEntry
const JNX_BOX = [1, 3, 6, 1, 4, 1, 2636, 3, 1];
const MTXR = [1, 3, 6, 1, 4, 1, 14988, 1, 1]; // MIKROTIK-MIB mtxrSystem
const MTXR_GAUGE = [...MTXR, 3, 100, 1]; // mtxrGaugeEntry: name, value, unit

const RE0 = [9, 1, 0, 0];
const GAUGES: [number, string, number, number, number][] = [
  // index, name, unit (1 celsius, 2 rpm), low, high
  [14, 'temperature', 1, 35, 50],
  [17, 'cpu-temperature', 1, 40, 65],
  [7001, 'fan1-speed', 2, 4800, 5600],
];

const OBJECTS: Record<Family, FamilyObject[]> = {
  linux: [],
  ios: [
    cell([...CPM, 2], [1], (w) => w.int(1)),
    cell([...CPM, 8], [1], (w, d) => w.uint(TAG.Gauge32, processorLoad(d.index, 0, d.nowMs, d.seed))),
    ...[
      [1, 'Processor', 512],
      [2, 'I/O', 64],
    ].flatMap(([i, name, mb]) => [
      cell([...MEMPOOL, 2], [i as number], (w) => w.ascii(name as string)),
      cell([...MEMPOOL, 5], [i as number], (w, d) =>
        w.uint(TAG.Gauge32, Math.round((mb as number) * 1048576 * level(d, 700 + (i as number), 0.3, 0.6))),
      ),
      cell([...MEMPOOL, 6], [i as number], (w, d) =>
        w.uint(TAG.Gauge32, Math.round((mb as number) * 1048576 * (1 - level(d, 700 + (i as number), 0.3, 0.6)))),
      ),
    ]),
    cell([...ENVMON_TEMP, 2], [1], (w) => w.ascii('SW#1, Sensor#1')),
    cell([...ENVMON_TEMP, 3], [1], (w, d) => w.uint(TAG.Gauge32, Math.round(level(d, 710, 32, 45)))),
  ],
  junos: [
    scalar([...JNX_BOX, 3], (w, d) => w.ascii(`JN1${String(d.index).padStart(6, '0')}AFA`)),
    cell([...JNX_OPERATING, 5], RE0, (w) => w.ascii('Routing Engine')),
    cell([...JNX_OPERATING, 7], RE0, (w, d) => w.uint(TAG.Gauge32, Math.round(level(d, 720, 38, 52)))),
    cell([...JNX_OPERATING, 8], RE0, (w, d) => w.uint(TAG.Gauge32, processorLoad(d.index, 0, d.nowMs, d.seed))),
    cell([...JNX_OPERATING, 11], RE0, (w, d) => w.uint(TAG.Gauge32, Math.round(level(d, 721, 20, 60)))),
    cell([...JNX_OPERATING, 15], RE0, (w) => w.uint(TAG.Gauge32, 2048)),
  ],
  routeros: [
    scalar([...MTXR, 3, 8], (w, d) => w.int(Math.round(level(d, 730, 238, 242)))),
    ...GAUGES.flatMap(([i, name, u, lo, hi]) => [
      cell([...MTXR_GAUGE, 2], [i], (w) => w.ascii(name)),
      cell([...MTXR_GAUGE, 3], [i], (w, d) => w.uint(TAG.Gauge32, Math.round(level(d, 740 + i, lo, hi)))),
      cell([...MTXR_GAUGE, 4], [i], (w) => w.int(u)),
    ]),
    scalar([...MTXR, 4, 3], (w) => w.int(6)),
    scalar([...MTXR, 4, 4], (w) => w.ascii('7.12.1')),
    scalar([...MTXR, 7, 3], (w, d) => w.ascii(`HE${(0x0a0000 + d.index).toString(16).toUpperCase()}`)),
  ],
};

/** The family's own objects (unsorted; the layout sorts them with the rest). */
export const familyObjects = (f: Family): readonly FamilyObject[] => OBJECTS[f];
