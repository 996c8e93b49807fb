// ENTITY-MIB entPhysicalTable: the device's physical inventory (chassis, modules, ports, power
// supplies, fans, ...), one row per entPhysicalIndex seen in any column, in LibreNMS's
// `entPhysical` columns. ifIndex comes from entAliasMappingTable where the device maps a port.
import { num, str } from '../snmp/values.js';
import type { Cell } from '../snmp/types.js';
import type { Collector, EntPhysicalRecord } from './types.js';

const E = '1.3.6.1.2.1.47.1.1.1.1';
const COL = {
  entPhysicalDescr: `${E}.2`,
  entPhysicalVendorType: `${E}.3`,
  entPhysicalContainedIn: `${E}.4`,
  entPhysicalClass: `${E}.5`,
  entPhysicalParentRelPos: `${E}.6`,
  entPhysicalName: `${E}.7`,
  entPhysicalHardwareRev: `${E}.8`,
  entPhysicalFirmwareRev: `${E}.9`,
  entPhysicalSoftwareRev: `${E}.10`,
  entPhysicalSerialNum: `${E}.11`,
  entPhysicalMfgName: `${E}.12`,
  entPhysicalModelName: `${E}.13`,
  entPhysicalAlias: `${E}.14`,
  entPhysicalAssetID: `${E}.15`,
  entPhysicalIsFRU: `${E}.16`,
} as const;
const TEXT = [
  'entPhysicalDescr',
  'entPhysicalName',
  'entPhysicalHardwareRev',
  'entPhysicalFirmwareRev',
  'entPhysicalSoftwareRev',
  'entPhysicalSerialNum',
  'entPhysicalMfgName',
  'entPhysicalModelName',
  'entPhysicalAlias',
  'entPhysicalAssetID',
] as const;
/** entAliasMappingIdentifier: indexed by entPhysicalIndex.logicalIndex, an OID ending in the ifIndex. */
const ALIAS = '1.3.6.1.2.1.47.1.3.2.1.2';
const IF_INDEX_OID = '1.3.6.1.2.1.2.2.1.1.';
/** ENTITY-MIB's PhysicalClass. */
const CLASSES = [
  '',
  'other',
  'unknown',
  'chassis',
  'backplane',
  'container',
  'powerSupply',
  'fan',
  'sensor',
  'module',
  'port',
  'stack',
  'cpu',
  'energyObject',
  'battery',
  'storageDrive',
];

export const entityPhysicalCollector: Collector<EntPhysicalRecord[]> = {
  name: 'entity-physical',
  columns: [...Object.values(COL), ALIAS],
  process({ columns }) {
    const rows = new Set<string>();
    for (const c of Object.values(COL)) for (const i of columns.get(c)?.keys() ?? []) rows.add(i);
    const ifIndexOf = aliasMap(columns.get(ALIAS));
    const cell = (k: keyof typeof COL, i: string): Cell | undefined => columns.get(COL[k])?.get(i);
    const out: EntPhysicalRecord[] = [];
    for (const i of [...rows].sort((a, b) => Number(a) - Number(b))) {
      const r = { entPhysicalIndex: Number(i) } as EntPhysicalRecord;
      for (const k of TEXT) r[k] = str(cell(k, i));
      const cls = num(cell('entPhysicalClass', i));
      r.entPhysicalClass = cls === null ? null : CLASSES[cls] || String(cls);
      r.entPhysicalVendorType = vendorType(str(cell('entPhysicalVendorType', i)));
      r.entPhysicalContainedIn = num(cell('entPhysicalContainedIn', i)) ?? 0; // LibreNMS's defaults when absent
      r.entPhysicalParentRelPos = num(cell('entPhysicalParentRelPos', i)) ?? -1;
      const fru = num(cell('entPhysicalIsFRU', i));
      r.entPhysicalIsFRU = fru === 1 ? 'true' : fru === 2 ? 'false' : null;
      r.ifIndex = ifIndexOf.get(i) ?? null;
      out.push(r);
    }
    return out;
  },
  tables: (r) => ({ entPhysical: r }),
};

function aliasMap(rows: Map<string, Cell> | undefined): Map<string, number> {
  const m = new Map<string, number>();
  for (const [key, c] of rows ?? []) {
    const oid = str(c);
    if (oid?.startsWith(IF_INDEX_OID)) m.set(key.split('.')[0], Number(oid.slice(IF_INDEX_OID.length)));
  }
  return m;
}

/** The OID as LibreNMS shows it without the vendor's MIB: zeroDotZero, or enterprises.<rest>. */
function vendorType(oid: string | null): string | null {
  if (oid === null) return null;
  const o = oid.replace(/^\./, '');
  if (o === '0.0') return 'zeroDotZero';
  return o.startsWith('1.3.6.1.4.1.') ? `enterprises.${o.slice('1.3.6.1.4.1.'.length)}` : o;
}
