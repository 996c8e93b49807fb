// The graph types, named as LibreNMS names them: which rows the id selects (SQL giving the
// device's hostname/port and the parts of the RRD file name), and what rrdtool draws from
// those files. Legend texts and units are constants of this file: no device text reaches rrdtool.
import type mysql from 'mysql2/promise';

export interface GraphDef {
  name: string;
  /** What the id names, for messages. */
  what: string;
  /** Selects hostname, port and the columns file() uses, for the id (`?`). */
  sql: string;
  /** The parts of the file name, joined with `-` (each passed through safeName). */
  file(row: mysql.RowDataPacket): unknown[];
  /** Vertical label. */
  unit: string;
  base?: 1000 | 1024;
  max?: number;
  /** Values may be negative (dBm, °C): no lower limit of 0. */
  signed?: boolean;
  draw(files: string[], legend: boolean): string[];
}

const esc = (s: string) => s.replace(/%/g, '%%').replace(/:/g, '\\:');

/** Now / Avg / Max columns of a legend line. */
function stats(v: string, unit: string, legend: boolean): string[] {
  if (!legend) return [];
  const u = esc(unit);
  return [
    `GPRINT:${v}:LAST:Now %7.2lf %s${u}`,
    `GPRINT:${v}:AVERAGE:Avg %7.2lf %s${u}`,
    `GPRINT:${v}:MAX:Max %7.2lf %s${u}\\n`,
  ];
}

/** DEFs of one DS over all files and a CDEF `name` of their sum (unknown parts count as 0 when others are known). */
function summed(name: string, files: string[], ds: string, scale: number): string[] {
  const defs = files.map((f, i) => `DEF:${name}${i}=${f}:${ds}:AVERAGE`);
  const rpn = files.map((_, i) => (i === 0 ? `${name}0` : `${name}${i},ADDNAN`)).join(',');
  return [...defs, `CDEF:${name}=${rpn},${scale},*`];
}

function inOut(inDs: string, outDs: string, scale: number, unit: string) {
  return (files: string[], legend: boolean): string[] => [
    ...summed('in', files, inDs, scale),
    ...summed('out', files, outDs, scale),
    `AREA:in#4fc36b:${legend ? 'In ' : ''}`,
    ...stats('in', unit, legend),
    `LINE1.5:out#1f5fa8:${legend ? 'Out' : ''}`,
    ...stats('out', unit, legend),
  ];
}

function percentOfUsedFree(files: string[], legend: boolean): string[] {
  return [
    `DEF:used=${files[0]}:used:AVERAGE`,
    `DEF:free=${files[0]}:free:AVERAGE`,
    'CDEF:perc=used,used,free,+,/,100,*',
    `AREA:perc#f0ad4e:${legend ? 'Used' : ''}`,
    ...stats('perc', '%', legend),
  ];
}

function single(ds: string, label: string, unit: string, colour: string, scale = 1) {
  return (files: string[], legend: boolean): string[] => [
    `DEF:raw=${files[0]}:${ds}:AVERAGE`,
    `CDEF:v=raw,${scale},*`,
    `LINE1.5:v#${colour}:${legend ? label : ''}`,
    ...stats('v', unit, legend),
  ];
}

const PORT_SQL =
  'SELECT d.hostname, d.port, p.port_id FROM ports p JOIN devices d ON d.device_id = p.device_id ' +
  'WHERE p.port_id = ?';
const portFile = (r: mysql.RowDataPacket) => [`port`, `id${r.port_id}`];

function port(name: string, inDs: string, outDs: string, scale: number, unit: string): GraphDef {
  return { name, what: 'port', sql: PORT_SQL, file: portFile, unit, draw: inOut(inDs, outDs, scale, unit) };
}

/** Sensor classes LibreNMS knows, with their units. */
export const SENSOR_UNITS: Record<string, string> = {
  temperature: '°C',
  voltage: 'V',
  current: 'A',
  power: 'W',
  fanspeed: 'RPM',
  humidity: '%',
  frequency: 'Hz',
  dbm: 'dBm',
  load: '%',
  state: '',
  count: '',
  percent: '%',
  signal: 'dBm',
  snr: 'dB',
  pressure: 'Pa',
  airflow: 'cfm',
  charge: '%',
  runtime: 'min',
  delay: 's',
  quality_factor: 'dB',
  chromatic_dispersion: 'ps/nm',
  ber: '',
  eer: '',
  waterflow: 'l/m',
  power_consumed: 'kWh',
  power_factor: '',
  cooling: 'W',
  loss: 'dB',
  bitrate: 'bps',
  tv_signal: 'dBmV',
};

function sensor(cls: string): GraphDef {
  const unit = SENSOR_UNITS[cls];
  return {
    name: `sensor_${cls}`,
    what: `${cls} sensor`,
    sql: `SELECT d.hostname, d.port, s.sensor_class, s.sensor_type, s.sensor_index
      FROM sensors s JOIN devices d ON d.device_id = s.device_id
      WHERE s.sensor_id = ? AND s.sensor_class = '${cls}'`,
    file: (r) => ['sensor', r.sensor_class, r.sensor_type, r.sensor_index],
    unit,
    signed: true,
    draw: single('sensor', 'Value', unit, 'c8382e'),
  };
}

export const GRAPH_TYPES: Record<string, GraphDef> = {
  port_bits: port('port_bits', 'INOCTETS', 'OUTOCTETS', 8, 'bits/s'),
  port_upkts: port('port_upkts', 'INUCASTPKTS', 'OUTUCASTPKTS', 1, 'packets/s'),
  port_nupkts: port('port_nupkts', 'INNUCASTPKTS', 'OUTNUCASTPKTS', 1, 'packets/s'),
  port_errors: port('port_errors', 'INERRORS', 'OUTERRORS', 1, 'errors/s'),
  port_discards: port('port_discards', 'INDISCARDS', 'OUTDISCARDS', 1, 'discards/s'),
  device_bits: {
    name: 'device_bits',
    what: 'device',
    sql:
      'SELECT d.hostname, d.port, p.port_id FROM devices d ' +
      'JOIN ports p ON p.device_id = d.device_id AND p.deleted = 0 ' +
      'WHERE d.device_id = ? ORDER BY p.ifIndex LIMIT 512',
    file: portFile,
    unit: 'bits/s',
    draw: inOut('INOCTETS', 'OUTOCTETS', 8, 'bits/s'),
  },
  processor_usage: {
    name: 'processor_usage',
    what: 'processor',
    sql:
      'SELECT d.hostname, d.port, x.processor_type, x.processor_index FROM processors x ' +
      'JOIN devices d ON d.device_id = x.device_id WHERE x.processor_id = ?',
    file: (r) => ['processor', r.processor_type, r.processor_index],
    unit: '%',
    max: 100,
    draw: (files, legend) => [
      `DEF:v=${files[0]}:usage:AVERAGE`,
      `AREA:v#9b59b6:${legend ? 'Usage' : ''}`,
      ...stats('v', '%', legend),
    ],
  },
  mempool_usage: {
    name: 'mempool_usage',
    what: 'memory pool',
    sql:
      'SELECT d.hostname, d.port, x.mempool_type, x.mempool_class, x.mempool_index FROM mempools x ' +
      'JOIN devices d ON d.device_id = x.device_id WHERE x.mempool_id = ?',
    file: (r) => ['mempool', r.mempool_type, r.mempool_class, r.mempool_index],
    unit: '%',
    max: 100,
    draw: percentOfUsedFree,
  },
  storage_usage: {
    name: 'storage_usage',
    what: 'storage',
    sql:
      'SELECT d.hostname, d.port, x.storage_mib, x.storage_descr FROM storage x ' +
      'JOIN devices d ON d.device_id = x.device_id WHERE x.storage_id = ?',
    file: (r) => ['storage', r.storage_mib, r.storage_descr],
    unit: '%',
    max: 100,
    draw: percentOfUsedFree,
  },
  device_uptime: {
    name: 'device_uptime',
    what: 'device',
    sql: 'SELECT hostname, port FROM devices WHERE device_id = ?',
    file: () => ['uptime'],
    unit: 'days',
    draw: single('uptime', 'Uptime', 'days', '1f5fa8', 1 / 86400),
  },
  device_poller_perf: {
    name: 'device_poller_perf',
    what: 'device',
    sql: 'SELECT hostname, port FROM devices WHERE device_id = ?',
    file: () => ['poller-perf'],
    unit: 'seconds',
    draw: single('poller', 'Poll time', 's', '1f5fa8'),
  },
  ...Object.fromEntries(Object.keys(SENSOR_UNITS).map((c) => [`sensor_${c}`, sensor(c)])),
};
