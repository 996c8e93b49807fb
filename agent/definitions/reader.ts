// What the definitions engine reads from a device: GETs, one GETNEXT, column walks. A small
// interface so that the engine runs against a live session or a recording alike.
import type { SnmpSession } from '../snmp/session.js';
import { walkColumns, type WalkOptions } from '../snmp/walk.js';
import type { Cell, Varbind } from '../snmp/types.js';

export interface SnmpReader {
  /** Values by OID; missing ones are absent (or hold a null value). */
  get(oids: string[]): Promise<Map<string, Cell>>;
  /** The first varbind after `oid`, or null at the end of the MIB. */
  next(oid: string): Promise<Varbind | null>;
  /** Column OID → row index → cell. */
  walk(columns: string[]): Promise<Map<string, Map<string, Cell>>>;
}

/** GETs in batches of this many OIDs (agents refuse large PDUs). */
const GET_BATCH = 20;

export function sessionReader(session: SnmpSession, walk?: WalkOptions): SnmpReader {
  return {
    async get(oids) {
      const out = new Map<string, Cell>();
      for (let i = 0; i < oids.length; i += GET_BATCH) {
        for (const vb of await session.get(oids.slice(i, i + GET_BATCH))) if (vb.value !== null) out.set(vb.oid, vb);
      }
      return out;
    },
    async next(oid) {
      const [vb] = await session.getNext([oid]);
      return vb && vb.value !== null ? vb : null;
    },
    walk: (columns) => walkColumns(session, columns, walk),
  };
}
