// Collectors are declarations: the OIDs they need and a `process` that turns the varbinds
// into a typed record. One generic runner (runner.ts) fetches and feeds them.
import type { Cell, Varbind } from '../snmp/types.js';
import type { PortCounter } from './port-counters.js';

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
  /**
   * What the record is in LibreNMS's tables: rows by table name, columns by LibreNMS's names
   * (`nms-agent probe` prints these; a collector without it is printed as its record).
   */
  tables?(record: R): Record<string, unknown[]>;
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

/** One entPhysicalTable row, in LibreNMS's `entPhysical` columns. */
export interface EntPhysicalRecord {
  entPhysicalIndex: number;
  entPhysicalDescr: string | null;
  entPhysicalClass: string | null;
  entPhysicalName: string | null;
  entPhysicalHardwareRev: string | null;
  entPhysicalFirmwareRev: string | null;
  entPhysicalSoftwareRev: string | null;
  entPhysicalAlias: string | null;
  entPhysicalAssetID: string | null;
  /** 'true' or 'false', as LibreNMS stores the TruthValue. */
  entPhysicalIsFRU: string | null;
  entPhysicalModelName: string | null;
  entPhysicalVendorType: string | null;
  entPhysicalSerialNum: string | null;
  entPhysicalContainedIn: number;
  entPhysicalParentRelPos: number;
  entPhysicalMfgName: string | null;
  ifIndex: number | null;
}

/** One IPv4 address of an interface (ipAddrTable), in LibreNMS's `ipv4_addresses` terms. */
export interface Ipv4AddressRecord {
  ipv4_address: string;
  ipv4_prefixlen: number;
  /** The network in CIDR form (`192.0.2.0/24`), LibreNMS's ipv4_networks.ipv4_network. */
  ipv4_network: string;
  ifIndex: number;
  context_name: string;
}

/** One neighbour seen by LLDP or CDP, in LibreNMS's `links` columns (local port by ifIndex). */
export interface LinkRecord {
  /** The local port's ifIndex. */
  ifIndex: number;
  protocol: 'lldp' | 'cdp';
  remote_hostname: string;
  remote_port: string;
  /** The remote port as the protocol names it (remote_port without the MAC): used to find the remote port. */
  remote_port_name: string;
  remote_platform: string | null;
  remote_version: string | null;
  /** The remote port's MAC (12 hex digits) when the protocol gives one: used to find the remote port. */
  remote_mac: string | null;
}

/** One UCD-DISKIO-MIB disk: LibreNMS's `ucd_diskio` row plus the counters its RRD file gets. */
export interface DiskIoRecord {
  diskio_index: number;
  diskio_descr: string;
  /** Bytes read and written (64-bit counters when the agent has them), read and write operations. */
  read: bigint | null;
  written: bigint | null;
  reads: bigint | null;
  writes: bigint | null;
}
