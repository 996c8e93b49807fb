// Neighbours from LLDP-MIB's lldpRemTable and CISCO-CDP-MIB's cdpCacheTable, in LibreNMS's
// `links` columns. LLDP rows are indexed timeMark.localPortNum.remIndex; the local port number
// is a bridge port (dot1dBasePortIfIndex gives its ifIndex) or, where that says nothing, the
// ifIndex itself. A neighbour that gives no system name is left out, as LibreNMS does.
import { num, str } from '../snmp/values.js';
import type { Cell } from '../snmp/types.js';
import type { CollectedData, Collector, LinkRecord } from './types.js';

const REM = '1.0.8802.1.1.2.1.4.1.1';
const L = {
  chassisSubtype: `${REM}.4`,
  chassisId: `${REM}.5`,
  portSubtype: `${REM}.6`,
  portId: `${REM}.7`,
  sysName: `${REM}.9`,
  sysDesc: `${REM}.10`,
};
const dot1dBasePortIfIndex = '1.3.6.1.2.1.17.1.4.1.2';
const CDP = '1.3.6.1.4.1.9.9.23.1.2.1.1';
const C = { version: `${CDP}.5`, deviceId: `${CDP}.6`, devicePort: `${CDP}.7`, platform: `${CDP}.8` };
/** LldpChassisIdSubtype macAddress(4); LldpPortIdSubtype macAddress(3). */
const CHASSIS_MAC = 4;
const PORT_MAC = 3;

export const discoveryProtocolsCollector: Collector<LinkRecord[]> = {
  name: 'discovery-protocols',
  columns: [...Object.values(L), dot1dBasePortIfIndex, ...Object.values(C)],
  process: (data) => [...lldp(data), ...cdp(data)],
  tables: (r) => ({ links: r.map(({ remote_mac: _mac, remote_port_name: _name, ...row }) => ({ ...row, active: 1 })) }),
};

function lldp({ columns }: CollectedData): LinkRecord[] {
  const col = (k: keyof typeof L) => columns.get(L[k]);
  const bridge = columns.get(dot1dBasePortIfIndex);
  const out: LinkRecord[] = [];
  for (const [i, nameCell] of col('sysName') ?? []) {
    const remote_hostname = str(nameCell);
    const local = Number(i.split('.')[1]);
    if (!remote_hostname || !Number.isInteger(local)) continue;
    const viaBridge = num(bridge?.get(String(local)));
    const portMac = num(col('portSubtype')?.get(i)) === PORT_MAC ? macOf(col('portId')?.get(i)) : null;
    const chassisMac = num(col('chassisSubtype')?.get(i)) === CHASSIS_MAC ? macOf(col('chassisId')?.get(i)) : null;
    const portText = portMac ? portMac.toUpperCase().replace(/(..)(?!$)/g, '$1 ') : (str(col('portId')?.get(i)) ?? '');
    const mac = portMac ?? chassisMac;
    out.push({
      ifIndex: viaBridge ? viaBridge : local,
      protocol: 'lldp',
      remote_hostname,
      remote_port: mac ? `${portText} (${mac})` : portText,
      remote_port_name: portText,
      remote_platform: null,
      remote_version: str(col('sysDesc')?.get(i)) || null,
      remote_mac: portMac,
    });
  }
  return out;
}

function cdp({ columns }: CollectedData): LinkRecord[] {
  const out: LinkRecord[] = [];
  for (const [i, idCell] of columns.get(C.deviceId) ?? []) {
    const remote_hostname = str(idCell);
    if (!remote_hostname) continue;
    const port = str(columns.get(C.devicePort)?.get(i)) ?? '';
    out.push({
      ifIndex: Number(i.split('.')[0]),
      protocol: 'cdp',
      remote_hostname,
      remote_port: port,
      remote_port_name: port,
      remote_platform: str(columns.get(C.platform)?.get(i)) || null,
      remote_version: str(columns.get(C.version)?.get(i)) || null,
      remote_mac: null,
    });
  }
  return out;
}

/** A 6-byte OctetString as 12 lower-case hex digits. */
function macOf(c: Cell | undefined): string | null {
  return c && Buffer.isBuffer(c.value) && c.value.length === 6 ? c.value.toString('hex') : null;
}
