// The values of the simulated MIB: each object computed on demand from model.ts for one device
// at one moment, written as a BER TLV. Objects are known by a small code (the layout of mib.ts
// maps OIDs to codes and rows), so a response never builds an object tree.
import { type BerWriter, TAG } from './ber.js';
import {
  BASE_COUNTERS,
  baseValue,
  COUNTER_COLUMNS,
  FIRST_UPLINK,
  PORTS,
  portAlias,
  portSpeed,
  portStatus,
  sysName,
  sysLocation,
  type CounterName,
} from './model.js';
import { processorLoad, SENSORS, sensorValue, storages, storageUsed } from './health.js';
import { FAMILIES, familyObjects, familySysDescr, familySysObjectID } from './families.js';

/** What the value writer needs to know about the device and the moment of the request. */
export interface DeviceView {
  index: number;
  seed: number;
  /** Wall clock of the request, ms since the Unix epoch. */
  nowMs: number;
  /** sysUpTime in hundredths of a second (from the simulator's start). */
  uptimeTicks: number;
}

const HR = [1, 3, 6, 1, 2, 1, 25];
const ZERO_DOT_ZERO = [0, 0];
const HR_TYPE_RAM = [...HR, 2, 1, 2];
const HR_TYPE_DISK = [...HR, 2, 1, 4];
const HR_DEVICE_PROCESSOR = [...HR, 3, 1, 3];
/** Net-SNMP numbers processors in hrDeviceTable from 768 << 8. */
export const CPU_DEVICE_BASE = 196608;

// Object codes. Columns of a table are base + column number.
export const C_SYS = 0; // + sysX sub-identifier 1..7
export const C_IF_NUMBER = 20;
export const C_IF = 100;
export const C_IFX = 200;
export const C_HR_UPTIME = 300;
export const C_HR_MEMSIZE = 301;
export const C_HR_STORAGE = 310;
export const C_HR_DEVICE = 320;
export const C_HR_PROCESSOR = 330;
export const C_ENT_PHYSICAL = 400;
export const C_ENT_SENSOR = 420;
/** A family's own objects: C_FAMILY + 100 × family + k (families.ts). */
export const C_FAMILY = 1000;

/** ifTable/ifXTable counter columns by code, with the base counters they sum. */
export const COUNTER_BY_CODE = new Map<number, { bits: 32 | 64; bases: number[] }>();
function counterCode(code: number, name: CounterName): number {
  const [bits, bases] = COUNTER_COLUMNS[name];
  COUNTER_BY_CODE.set(code, { bits, bases: bases.map((b) => BASE_COUNTERS.indexOf(b)) });
  return code;
}
[
  [10, 'ifInOctets'],
  [11, 'ifInUcastPkts'],
  [12, 'ifInNUcastPkts'],
  [13, 'ifInDiscards'],
  [14, 'ifInErrors'],
  [15, 'ifInUnknownProtos'],
  [16, 'ifOutOctets'],
  [17, 'ifOutUcastPkts'],
  [18, 'ifOutNUcastPkts'],
  [19, 'ifOutDiscards'],
  [20, 'ifOutErrors'],
].forEach(([col, name]) => counterCode(C_IF + (col as number), name as CounterName));
[
  [2, 'ifInMulticastPkts'],
  [3, 'ifInBroadcastPkts'],
  [4, 'ifOutMulticastPkts'],
  [5, 'ifOutBroadcastPkts'],
  [6, 'ifHCInOctets'],
  [7, 'ifHCInUcastPkts'],
  [8, 'ifHCInMulticastPkts'],
  [9, 'ifHCInBroadcastPkts'],
  [10, 'ifHCOutOctets'],
  [11, 'ifHCOutUcastPkts'],
  [12, 'ifHCOutMulticastPkts'],
  [13, 'ifHCOutBroadcastPkts'],
].forEach(([col, name]) => counterCode(C_IFX + (col as number), name as CounterName));

const MAC_PREFIX = [0x02, 0x5e];
const mac = Buffer.alloc(6);

function ifDescr(ifIndex: number): string {
  return ifIndex >= FIRST_UPLINK
    ? `TenGigabitEthernet1/1/${ifIndex - FIRST_UPLINK + 1}`
    : `GigabitEthernet1/0/${ifIndex}`;
}
function ifName(ifIndex: number): string {
  return ifIndex >= FIRST_UPLINK ? `Te1/1/${ifIndex - FIRST_UPLINK + 1}` : `Gi1/0/${ifIndex}`;
}

/** The family's sysDescr (families.ts): what OS detection reads. */
export function sysDescr(device: number): string {
  return familySysDescr(device);
}

/** Writes the value TLV of entry (code, row) for device `d`. */
export function writeValue(w: BerWriter, code: number, row: number, d: DeviceView): void {
  const counter = COUNTER_BY_CODE.get(code);
  if (counter) {
    let v = 0;
    for (const b of counter.bases) v += baseValue(d.index, row, BASE_COUNTERS[b], d.nowMs, d.seed);
    if (counter.bits === 32) w.uint(TAG.Counter32, v % 4294967296);
    else w.uint(TAG.Counter64, v);
    return;
  }
  if (code < C_IF) return writeSystem(w, code, d);
  if (code < C_HR_UPTIME) return writeInterface(w, code, row, d);
  if (code < C_ENT_PHYSICAL) return writeHost(w, code, row, d);
  if (code < C_FAMILY) return writeEntity(w, code, row, d);
  if (code >= C_FAMILY) {
    const f = FAMILIES[Math.floor((code - C_FAMILY) / 100)];
    const o = familyObjects(f)[(code - C_FAMILY) % 100];
    if (o) return o.write(w, d);
  }
  noValue(code);
}

function noValue(code: number): never {
  throw new Error(`simulator: no value for object code ${code}`);
}

/** system and ifNumber. */
function writeSystem(w: BerWriter, code: number, d: DeviceView): void {
  switch (code) {
    case C_SYS + 1:
      return w.ascii(sysDescr(d.index));
    case C_SYS + 2:
      return w.oid(familySysObjectID(d.index));
    case C_SYS + 3:
      return w.uint(TAG.TimeTicks, d.uptimeTicks);
    case C_SYS + 4:
      return w.ascii('NOC <noc@nms.lab>');
    case C_SYS + 5:
      return w.ascii(sysName(d.index));
    case C_SYS + 6:
      return w.ascii(sysLocation(d.index));
    case C_SYS + 7:
      return w.int(6);
    case C_IF_NUMBER:
      return w.int(PORTS);
  }
  noValue(code);
}

/** ifTable and ifXTable, counters aside. */
function writeInterface(w: BerWriter, code: number, row: number, d: DeviceView): void {
  switch (code) {
    case C_IF + 1:
      return w.int(row);
    case C_IF + 2:
      return w.ascii(ifDescr(row));
    case C_IF + 3:
      return w.int(6); // ethernetCsmacd
    case C_IF + 4:
      return w.int(row >= FIRST_UPLINK ? 9216 : 1500);
    case C_IF + 5:
      return w.uint(TAG.Gauge32, Math.min(portSpeed(row), 4294967295));
    case C_IF + 6:
      mac[0] = MAC_PREFIX[0];
      mac[1] = MAC_PREFIX[1];
      mac.writeUInt16BE(d.index & 0xffff, 2);
      mac[4] = (d.index >> 16) & 0xff;
      mac[5] = row;
      return w.bytes(TAG.OctetString, mac);
    case C_IF + 7:
      return w.int(portStatus(d.index, row, d.seed).admin);
    case C_IF + 8:
      return w.int(portStatus(d.index, row, d.seed).oper);
    case C_IF + 9:
      // down ports changed state a little after boot; up ports have been up since boot
      return w.uint(
        TAG.TimeTicks,
        portStatus(d.index, row, d.seed).oper === 1 ? 0 : Math.min(d.uptimeTicks, 500 + row * 37),
      );
    case C_IF + 21:
      return w.uint(TAG.Gauge32, 0);
    case C_IF + 22:
      return w.oid(ZERO_DOT_ZERO);
    case C_IFX + 1:
      return w.ascii(ifName(row));
    case C_IFX + 14:
      return w.int(row >= FIRST_UPLINK ? 1 : 2);
    case C_IFX + 15:
      return w.uint(TAG.Gauge32, portSpeed(row) / 1e6);
    case C_IFX + 16:
      return w.int(2);
    case C_IFX + 17:
      return w.int(1);
    case C_IFX + 18:
      return w.ascii(portAlias(d.index, row, d.seed));
    case C_IFX + 19:
      return w.uint(TAG.TimeTicks, 0);
  }
  noValue(code);
}

/** HOST-RESOURCES-MIB: uptime, memory, storage, devices and processors. */
function writeHost(w: BerWriter, code: number, row: number, d: DeviceView): void {
  switch (code) {
    case C_HR_UPTIME:
      return w.uint(TAG.TimeTicks, d.uptimeTicks);
    case C_HR_MEMSIZE:
      return w.int(storages(d.index)[0].size);
  }
  if (code > C_HR_STORAGE && code <= C_HR_STORAGE + 7) {
    const s = storages(d.index).find((x) => x.index === row)!;
    switch (code - C_HR_STORAGE) {
      case 1:
        return w.int(row);
      case 2:
        return w.oid(s.kind === 'ram' ? HR_TYPE_RAM : HR_TYPE_DISK);
      case 3:
        return w.ascii(s.descr);
      case 4:
        return w.int(s.units);
      case 5:
        return w.int(s.size);
      case 6:
        return w.int(storageUsed(d.index, s, d.nowMs, d.seed));
      default:
        return w.uint(TAG.Counter32, 0);
    }
  }
  if (code > C_HR_DEVICE && code <= C_HR_DEVICE + 6) {
    switch (code - C_HR_DEVICE) {
      case 1:
        return w.int(row);
      case 2:
        return w.oid(HR_DEVICE_PROCESSOR);
      case 3:
        return w.ascii(`Simulated CPU ${row - CPU_DEVICE_BASE} @ 2.40GHz`);
      case 4:
        return w.oid(ZERO_DOT_ZERO);
      case 5:
        return w.int(2); // running
      default:
        return w.uint(TAG.Counter32, 0);
    }
  }
  if (code === C_HR_PROCESSOR + 1) return w.oid(ZERO_DOT_ZERO);
  if (code === C_HR_PROCESSOR + 2) return w.int(processorLoad(d.index, row - CPU_DEVICE_BASE, d.nowMs, d.seed));
  noValue(code);
}

/** ENTITY-MIB's entPhysicalTable and ENTITY-SENSOR-MIB. */
function writeEntity(w: BerWriter, code: number, row: number, d: DeviceView): void {
  if (code > C_ENT_PHYSICAL && code <= C_ENT_PHYSICAL + 7) {
    const s = SENSORS.find((x) => x.index === row);
    switch (code - C_ENT_PHYSICAL) {
      case 2:
        return w.ascii(s ? s.descr : 'NMS simulated 48-port switch chassis');
      case 3:
        return w.oid(ZERO_DOT_ZERO);
      case 4:
        return w.int(s ? 1 : 0);
      case 5:
        return w.int(s ? 8 : 3); // sensor / chassis
      case 6:
        return w.int(s ? row - 1000 : -1);
      default:
        return w.ascii(s ? s.name : 'Chassis');
    }
  }
  if (code > C_ENT_SENSOR && code <= C_ENT_SENSOR + 8) {
    const s = SENSORS.find((x) => x.index === row)!;
    switch (code - C_ENT_SENSOR) {
      case 1:
        return w.int(s.type);
      case 2:
        return w.int(s.scale);
      case 3:
        return w.int(s.precision);
      case 4:
        return w.int(sensorValue(d.index, s, d.nowMs, d.seed));
      case 5:
        return w.int(1); // ok
      case 6:
        return w.ascii(s.units);
      case 7:
        return w.uint(TAG.TimeTicks, d.uptimeTicks);
      default:
        return w.uint(TAG.Gauge32, 1000);
    }
  }
  noValue(code);
}
