// What the simulated devices report beside their ports: processor load, storage use and sensor
// values, slow waves around a per-device level, as pure functions of (seed, device, time) like
// model.ts, so a test can compute what a poller should have seen.
import { DEFAULT_SEED, unit } from './model.js';

function wave(seed: number, device: number, salt: number, timeMs: number, periodS: number): number {
  const phase = unit(seed, device, salt, 7) * 2 * Math.PI;
  return Math.sin((timeMs / 1000 / periodS) * 2 * Math.PI + phase);
}

/** hrProcessorLoad of CPU `cpu` (0-based) in percent, 0..100. */
export function processorLoad(device: number, cpu: number, timeMs: number, seed = DEFAULT_SEED): number {
  const level = 5 + 60 * unit(seed, device, 300 + cpu);
  const v = level + 15 * wave(seed, device, 300 + cpu, timeMs, 600);
  return Math.max(0, Math.min(100, Math.round(v)));
}

export interface StorageInfo {
  index: number;
  kind: 'ram' | 'disk';
  descr: string;
  /** hrStorageAllocationUnits in bytes. */
  units: number;
  /** hrStorageSize in units. */
  size: number;
}

/** hrStorageTable rows: physical memory, `/` and `/var`. */
export function storages(device: number): StorageInfo[] {
  const ramGiB = [4, 8, 16][device % 3];
  return [
    { index: 1, kind: 'ram', descr: 'Physical memory', units: 1024, size: ramGiB * 1024 * 1024 },
    { index: 31, kind: 'disk', descr: '/', units: 4096, size: 8 * 1024 * 256 },
    { index: 32, kind: 'disk', descr: '/var', units: 4096, size: 32 * 1024 * 256 },
  ];
}

/** hrStorageUsed in units at `timeMs`: 20–85 % of size, moving slowly. */
export function storageUsed(device: number, storage: StorageInfo, timeMs: number, seed = DEFAULT_SEED): number {
  const level = 0.2 + 0.55 * unit(seed, device, 400 + storage.index);
  const f = level + 0.1 * wave(seed, device, 400 + storage.index, timeMs, 900);
  return Math.floor(storage.size * f);
}

export interface SensorInfo {
  /** entPhysicalIndex. */
  index: number;
  descr: string;
  name: string;
  /** entPhySensorType: 8 celsius, 4 voltsDC, 10 rpm. */
  type: 8 | 4 | 10;
  /** entPhySensorScale: 9 units, 8 milli. */
  scale: 9 | 8;
  precision: number;
  units: string;
  /** Mean of the reading, in the sensor's scaled units. */
  mean: number;
  /** Amplitude of the reading's wave. */
  swing: number;
}

/** Temperature, voltage and fan sensors (the same set on every device). */
export const SENSORS: readonly SensorInfo[] = [
  {
    index: 1001,
    descr: 'CPU temperature sensor',
    name: 'CPU temp',
    type: 8,
    scale: 9,
    precision: 1,
    units: 'C',
    mean: 520,
    swing: 60,
  },
  {
    index: 1002,
    descr: 'Inlet temperature sensor',
    name: 'Inlet temp',
    type: 8,
    scale: 9,
    precision: 1,
    units: 'C',
    mean: 280,
    swing: 20,
  },
  {
    index: 1003,
    descr: 'Power supply 1 12V rail',
    name: 'PSU1 12V',
    type: 4,
    scale: 8,
    precision: 0,
    units: 'mV',
    mean: 12050,
    swing: 80,
  },
  {
    index: 1004,
    descr: 'Power supply 1 3.3V rail',
    name: 'PSU1 3.3V',
    type: 4,
    scale: 8,
    precision: 0,
    units: 'mV',
    mean: 3310,
    swing: 20,
  },
  {
    index: 1005,
    descr: 'Fan tray 1 fan 1',
    name: 'Fan 1',
    type: 10,
    scale: 9,
    precision: 0,
    units: 'rpm',
    mean: 6200,
    swing: 400,
  },
  {
    index: 1006,
    descr: 'Fan tray 1 fan 2',
    name: 'Fan 2',
    type: 10,
    scale: 9,
    precision: 0,
    units: 'rpm',
    mean: 6100,
    swing: 400,
  },
];

/** entPhySensorValue of a sensor at `timeMs` (an integer in the sensor's scale/precision). */
export function sensorValue(device: number, sensor: SensorInfo, timeMs: number, seed = DEFAULT_SEED): number {
  const offset = (unit(seed, device, 500 + sensor.index) - 0.5) * sensor.swing;
  return Math.round(sensor.mean + offset + sensor.swing * wave(seed, device, 500 + sensor.index, timeMs, 300));
}
