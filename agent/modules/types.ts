// A device module (LibreNMS's names: os, processors, mempools, storage, sensors, ...): what it
// does at discovery (find the device's entities, store them with the OIDs to poll) and at each
// poll (read those OIDs, update the rows, make RRD points). Modules are listed in index.ts and
// can be switched off per OS (definition `disabled_modules`) and per device (devices_attribs).
import type { Db, WriteBatch } from '../db/index.js';
import type { DeviceRow } from '../db/devices.js';
import type { DefinitionSet } from '../definitions/loader.js';
import type { SnmpReader } from '../definitions/reader.js';
import type { OsDefinition } from '../definitions/types.js';
import type { RrdPoint } from '../rrd/writer.js';
import type { Logger } from '../../lib/log.js';
import type { Cell } from '../snmp/types.js';
import type { StoredRows } from './stored.js';

export interface ModuleContext {
  db: Db;
  reader: SnmpReader;
  device: DeviceRow;
  set: DefinitionSet;
  /** The device's OS definition (decided at discovery). */
  def: OsDefinition;
  /** RRD host directory. */
  host: string;
  /** Points the module adds; written once with the rest of the poll. */
  points: RrdPoint[];
  log: Logger;
  /** Values invalid for their type already reported for this device (each logged once). */
  invalid: Set<string>;
  /** The rows polls read back, kept between polls (the Poller's); none: read every poll. */
  stored?: StoredRows;
  /** A poll's batch: the modules' writes are queued there and sent with the device row. */
  writes?: WriteBatch;
}

/**
 * The first half of a module's poll: its rows read and the OIDs they need. The values of one
 * GET round shared by the poll's modules are then handed to `finish`, which computes, updates
 * the rows and adds the RRD points; it returns how many entities it updated.
 */
export interface PollStep {
  oids: (string | null | undefined)[];
  finish(values: Map<string, Cell>): Promise<number>;
}

export interface DeviceModule {
  /** LibreNMS's module name. */
  name: string;
  /** Finds and stores the device's entities; returns how many. */
  discover?(ctx: ModuleContext): Promise<number>;
  /** Updates the stored entities from the device; returns how many. */
  poll?(ctx: ModuleContext): Promise<number>;
  /** The poll split in two around a shared GET (see PollStep); null: nothing to poll. */
  pollStep?(ctx: ModuleContext): Promise<PollStep | null>;
}
