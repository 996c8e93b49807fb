// The shape of an OS definition (agent/definitions/os/<os>.yaml) after loading: plain data
// as written, plus regular expressions compiled once when the files are loaded.
import type { ConfigDef } from './config-schema.js';

/** Where one value (hardware, version, a processor's usage...) comes from. */
export interface ValueSource {
  /** A numeric OID (fetched with GET), `sysDescr` or `sysObjectID`. */
  from: string;
  /** Take the first non-empty row of the column `from` instead of a GET. */
  first?: boolean;
  /** A regular expression the value must match; its groups feed `template`. */
  match?: string;
  /** The result, with `$1`, `$2`, `$<name>` replaced by the match's groups. Default `$1` when `match` has a group. */
  template?: string;
  /** Values mapped to other texts after the template (e.g. a sysObjectID to a model name). */
  map?: Record<string, string>;
}

/** One way to recognise the OS; every condition given must hold. */
export interface DetectRule {
  /** sysObjectID prefixes (with a leading dot); one must match. */
  sysObjectID?: string[];
  /** Regular expressions over sysDescr; one must match. */
  sysDescr?: string[];
  /** Regular expressions over sysDescr that rule the OS out. */
  sysDescr_except?: string[];
  /** One extra GET: the value at `oid` must exist (and match `match` when given). */
  get?: { oid: string; match?: string };
  /** One extra GETNEXT: something must exist under this OID. */
  has?: string;
}

export type ModuleName = 'os' | 'processors' | 'mempools' | 'storage' | 'sensors' | (string & {});

export interface OsDefinition {
  os: string;
  text: string;
  vendor: string;
  type: string;
  icon: string;
  /** Higher wins when several definitions match. Default 0; generic families (linux) below. */
  priority?: number;
  /** The OS matches when any rule does. */
  detect: DetectRule[];
  /** Field name (hardware, version, serial, features) to sources, tried in order. */
  fields?: Partial<Record<'hardware' | 'version' | 'serial' | 'features', ValueSource[]>>;
  /** Modules switched off for this OS (LibreNMS names). */
  disabled_modules?: ModuleName[];
  /** Generic MIB tables not to use for this OS (e.g. hrstorage when the vendor's is better). */
  skip_generic?: string[];
  /** Vendor tables of a generic shape to read as well (`cisco-entity-sensor`: CISCO-ENTITY-SENSOR-MIB). */
  use_generic?: string[];
  processors?: TableDef[];
  mempools?: MempoolDef[];
  storage?: PoolDef[];
  sensors?: SensorDef[];
  /** Port names from the OS's own MIB instead of IF-MIB's (LibreNMS's names per field). */
  ports?: Partial<Record<PortNameField, PortNameSource[]>>;
  /** Config backup over SSH (config-schema.ts). */
  config?: ConfigDef;
}

export type PortNameField = 'ifName' | 'ifDescr' | 'ifAlias';

/**
 * One source of a port's name, tried in order: the first that gives a non-empty text wins; when
 * none does the IF-MIB name stays.
 */
export interface PortNameSource {
  /** A column OID read per port (its index is the ifIndex), or the port's ifIndex or IF-MIB name. */
  from: string;
  /** A regular expression the value must match; its groups feed `template`. */
  match?: string;
  /** The result, with `$1`... replaced by the match's groups. Default the value itself. */
  template?: string;
}

/** A table walked at discovery: one row per index of `oid` (a column). */
export interface TableDef {
  /** The value column (numeric OID, no leading dot); a scalar when it ends in `.0`. */
  oid: string;
  /** Description template: `{{ $index }}`, `{{ <column oid> }}`. */
  descr?: string;
  /** Type written to the row (processor_type, mempool_type, sensor_type...). Default the OS. */
  type?: string;
  divisor?: number;
  multiplier?: number;
  /** The value means idle, not busy: usage = 100 - value. */
  idle?: boolean;
  /** Row values to leave out. */
  skip_values?: number[];
  /** Regexes over the description that leave a row out. */
  skip_descr?: string[];
  /** Regexes over the description: when given, a row stays only if one matches. */
  keep_descr?: string[];
  /** Columns (same index) that must hold a non-zero number for the row to count. */
  skip_zero?: string[];
  /**
   * For a value given as text (`5 Secs ( 96.49%) ...`): a regular expression whose first group
   * (or whole match) is the number. Processors and sensors.
   */
  value_match?: string;
  /**
   * Keep only rows whose `oid` column (same index) holds one of `in` (e.g. a unit or kind
   * column), or whose index's `part` (1-based: PDU2-MIB's sensor type, the last of three) does.
   */
  where?: { oid?: string; part?: number; in: number[] };
}

/**
 * A memory pool or storage table: `oid` drives the rows; sizes come from whichever of `perc`,
 * `used`, `free`, `total` (column OIDs, or scalars ending in `.0`) the table has, each × `precision` bytes.
 */
export interface PoolDef extends TableDef {
  perc?: string;
  used?: string;
  free?: string;
  total?: string;
  /** Bytes per unit of used/free/total. Default 1. */
  precision?: number;
  /** mempool_class (system, buffers, cached, shared, swap, virtual). Default system. */
  class?: string;
}
export type MempoolDef = PoolDef;

export interface SensorDef extends TableDef {
  class: string;
  /**
   * One sensor whose value is the number of rows of `oid` (e.g. a cluster's members), counted at
   * discovery: a poll leaves it as it is.
   */
  count_rows?: boolean;
  /** A conversion after divisor/multiplier: an optical power in mW or µW shown in dBm. */
  convert?: 'mw_to_dbm' | 'uw_to_dbm';
  /** Texts of a state sensor: raw value → text and generic state (0 ok, 1 warning, 2 critical, 3 unknown). */
  states?: { value: number; descr: string; generic: 0 | 1 | 2 | 3 }[];
  low_limit?: number | string;
  high_limit?: number | string;
  warn_limit?: number | string;
  low_warn_limit?: number | string;
}
