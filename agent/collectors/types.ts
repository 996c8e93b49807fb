// Collectors are declarations: the OIDs they need and a `process` that turns the varbinds
// into a typed record. One generic runner (runner.ts) fetches and feeds them.
import type { Cell, Varbind } from '../snmp/types.js';
import type { PortCounter } from '../db/schema.js';

/** What a collector gets: scalars by OID, and table columns by column OID then row index. */
export interface CollectedData {
  scalars: Map<string, Varbind>;
  columns: Map<string, Map<string, Cell>>;
}

export interface Collector<R> {
  /** Module name, as shown in timings (`system`, `ports`, ...). */
  name: string;
  /** Scalar OIDs fetched with one GET (with `.0`). */
  scalars?: string[];
  /** Table column OIDs walked together with GETBULK. */
  columns?: string[];
  process(data: CollectedData): R;
}

export interface SystemRecord {
  sysDescr: string;
  sysObjectID: string;
  sysName: string;
  sysContact: string;
  sysLocation: string;
  /** Seconds since the agent restarted (sysUpTime / 100), null when absent. */
  uptime: number | null;
}

export interface PortRecord {
  ifIndex: number;
  ifDescr: string | null;
  ifName: string | null;
  ifAlias: string | null;
  ifType: string | null;
  ifMtu: number | null;
  /** Bits per second: ifHighSpeed × 10^6 when ifSpeed saturates, else ifSpeed. */
  ifSpeed: number | null;
  ifHighSpeed: number | null;
  ifPhysAddress: string | null;
  ifAdminStatus: string | null;
  ifOperStatus: string | null;
  ifLastChange: number | null;
  /** 64 when the ifXTable HC counters were present for this port, else 32. */
  counterBits: 32 | 64;
  counters: Record<PortCounter, bigint | null>;
}

export interface ProcessorRecord {
  /** hrDeviceIndex. */
  index: string;
  descr: string;
  /** Percent busy over the last minute. */
  usage: number;
}

export interface StorageRecord {
  index: string;
  /** Last arc of hrStorageType (hrStorageFixedDisk, hrStorageRam, ...). */
  type: string;
  descr: string;
  units: number;
  size: number;
  used: number;
  free: number;
  perc: number;
}

export interface SensorRecord {
  /** entPhysicalIndex. */
  index: string;
  /** LibreNMS class: temperature, voltage, current, power, fanspeed, humidity, frequency, dbm. */
  sensorClass: string;
  descr: string;
  /** Value in the class's unit (scale and precision applied). */
  value: number | null;
  /** The raw value's OID, polled later. */
  oid: string;
  divisor: number;
  multiplier: number;
}
