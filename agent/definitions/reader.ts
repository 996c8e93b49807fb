// What the definitions engine reads from a device: GETs, one GETNEXT, column walks. A small
// interface so that the engine runs against a live session or a recording alike.
import type { SnmpSession } from '../snmp/session.js';
import { SnmpError } from '../snmp/errors.js';
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

/** An SNMPv1 agent answers a request naming a missing object with an error (noSuchName) for the whole PDU. */
const isMissing = (err: unknown) => err instanceof SnmpError && err.failure === 'protocol';

export function sessionReader(session: SnmpSession, walk?: WalkOptions): SnmpReader {
  const getSome = async (oids: string[], out: Map<string, Cell>): Promise<void> => {
    try {
      for (const vb of await session.get(oids)) if (vb.value !== null) out.set(vb.oid, vb);
    } catch (err) {
      if (!isMissing(err) || oids.length === 1) {
        if (isMissing(err)) return;
        throw err;
      }
      // one at a time, so that the objects that exist are still read
      for (const oid of oids) await getSome([oid], out);
    }
  };
  return {
    async get(oids) {
      const out = new Map<string, Cell>();
      for (let i = 0; i < oids.length; i += GET_BATCH) await getSome(oids.slice(i, i + GET_BATCH), out);
      return out;
    },
    async next(oid) {
      try {
        const [vb] = await session.getNext([oid]);
        return vb && vb.value !== null ? vb : null;
      } catch (err) {
        if (isMissing(err)) return null; // v1: nothing after it
        throw err;
      }
    },
    walk: (columns) => walkColumns(session, columns, walk),
  };
}
