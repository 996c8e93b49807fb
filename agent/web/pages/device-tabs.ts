// The tabs of a device page other than its overview. Each reads with `maybe`, so a table not
// created yet by its owner shows "not collected" instead of an error.
import { maybe, rows, type Row } from '../common/db.js';
import { html, qs, type Html } from '../common/html.js';
import { HttpError, type WebRequest } from '../common/http.js';
import { graphImg, notCollected, portStatus, si, table, when } from '../common/layout.js';
import type { WebContext } from '../common/context.js';
import { SENSOR_UNITS } from '../common/graph-types.js';

export async function portsTab(ctx: WebContext, d: Row): Promise<Html> {
  const id = Number(d.device_id);
  const ports = await rows(
    ctx.db,
    `SELECT port_id, ifIndex, ifName, ifDescr, ifAlias, ifOperStatus, ifAdminStatus,
    ifSpeed, ifHighSpeed, ifType, ifInOctets_rate, ifOutOctets_rate
    FROM ports WHERE device_id = ? AND deleted = 0 ORDER BY ifIndex LIMIT 2000`,
    [id],
  );
  return table(
    ['Port', 'Status', 'Speed', 'Alias', 'In', 'Out', 'Traffic (1 day)'],
    ports.map((p) => [
      html`<a href="/device/${id}/port/${Number(p.port_id)}">${p.ifName || p.ifDescr}</a> <br /><small
          >${p.ifType ?? ''}</small
        >`,
      portStatus(p.ifOperStatus, p.ifAdminStatus),
      p.ifHighSpeed ? si(Number(p.ifHighSpeed) * 1e6, 'bps') : si(p.ifSpeed, 'bps'),
      p.ifAlias,
      si(Number(p.ifInOctets_rate) * 8, 'bps'),
      si(Number(p.ifOutOctets_rate) * 8, 'bps'),
      html`<a href="/device/${id}/port/${Number(p.port_id)}"
        >${graphImg('port_bits', Number(p.port_id), '-1d', undefined, 150, 36, false)}</a
      >`,
    ]),
    'no ports',
  );
}

function sensorValue(s: Row): string {
  if (s.sensor_current === null || s.sensor_current === undefined) return '–';
  const unit = SENSOR_UNITS[String(s.sensor_class)] ?? '';
  return `${Number(Number(s.sensor_current).toFixed(2))}${unit ? ` ${unit}` : ''}`;
}

export async function healthTab(ctx: WebContext, d: Row): Promise<Html> {
  const id = Number(d.device_id);
  const cols =
    's.sensor_id, s.sensor_class, s.sensor_descr, s.sensor_current, s.sensor_limit, s.sensor_limit_low, ' +
    's.lastupdate';
  const withState = await maybe(
    ctx.db,
    `SELECT ${cols}, st.state_descr, st.state_generic_value FROM sensors s
    LEFT JOIN sensors_to_state_indexes si ON si.sensor_id = s.sensor_id
    LEFT JOIN state_translations st ON st.state_index_id = si.state_index_id AND st.state_value = s.sensor_current
    WHERE s.device_id = ? AND s.sensor_deleted = 0 ORDER BY s.sensor_class, s.sensor_descr`,
    [id],
  );
  const sensors =
    withState ??
    (await rows(
      ctx.db,
      `SELECT ${cols} FROM sensors s
    WHERE s.device_id = ? AND s.sensor_deleted = 0 ORDER BY s.sensor_class, s.sensor_descr`,
      [id],
    ));
  if (!sensors.length) return html`<p class="empty">no sensors</p>`;
  const byClass = new Map<string, Row[]>();
  for (const s of sensors) byClass.set(String(s.sensor_class), [...(byClass.get(String(s.sensor_class)) ?? []), s]);
  const stateBadge = (s: Row) => {
    const g = Number(s.state_generic_value);
    const cls = g === 0 ? 'up' : g === 1 ? 'grey' : 'down';
    return s.state_descr ? html`<span class="badge ${cls}">${s.state_descr}</span>` : String(s.sensor_current ?? '–');
  };
  return html`${[...byClass].map(
    ([cls, list]) =>
      html`<h2>${cls}</h2>
        ${table(
          ['Sensor', 'Current', 'Low limit', 'High limit', 'Updated', 'Graph'],
          list.map((s) => [
            s.sensor_descr,
            cls === 'state' ? stateBadge(s) : sensorValue(s),
            s.sensor_limit_low,
            s.sensor_limit,
            when(s.lastupdate),
            Object.hasOwn(SENSOR_UNITS, cls)
              ? graphImg(`sensor_${cls}`, Number(s.sensor_id), '-1d', undefined, 150, 36, false)
              : '',
          ]),
        )}`,
  )}`;
}

export async function inventoryTab(ctx: WebContext, d: Row): Promise<Html> {
  const list = await maybe(
    ctx.db,
    `SELECT entPhysicalIndex, entPhysicalDescr, entPhysicalClass, entPhysicalName,
    entPhysicalModelName,
    entPhysicalSerialNum, entPhysicalContainedIn, entPhysicalHardwareRev, entPhysicalFirmwareRev, entPhysicalSoftwareRev
    FROM entPhysical WHERE device_id = ? ORDER BY entPhysicalIndex LIMIT 5000`,
    [Number(d.device_id)],
  );
  if (list === null) return notCollected('Inventory (ENTITY-MIB)');
  // depth in the containment tree, for indentation (a loop in bad data stops at 20)
  const parent = new Map(list.map((e) => [Number(e.entPhysicalIndex), Number(e.entPhysicalContainedIn)]));
  const depth = (i: number) => {
    let n = 0;
    for (let p = parent.get(i); p && parent.has(p) && n < 20; p = parent.get(p)) n++;
    return n;
  };
  return table(
    ['Name', 'Class', 'Description', 'Model', 'Serial', 'Revisions'],
    list.map((e) => [
      html`${'· '.repeat(depth(Number(e.entPhysicalIndex)))}${e.entPhysicalName}`,
      e.entPhysicalClass,
      e.entPhysicalDescr,
      e.entPhysicalModelName,
      e.entPhysicalSerialNum,
      [e.entPhysicalHardwareRev, e.entPhysicalFirmwareRev, e.entPhysicalSoftwareRev].filter(Boolean).join(' / '),
    ]),
    'no inventory',
  );
}

export async function neighboursTab(ctx: WebContext, d: Row): Promise<Html> {
  const list = await maybe(
    ctx.db,
    `SELECT l.protocol, l.remote_hostname, l.remote_port, l.remote_platform,
    l.remote_device_id, l.local_port_id,
    p.ifName, p.ifDescr, rd.hostname AS remote_known FROM links l LEFT JOIN ports p ON p.port_id = l.local_port_id
    LEFT JOIN devices rd ON rd.device_id = l.remote_device_id
    WHERE l.local_device_id = ? ORDER BY p.ifIndex LIMIT 2000`,
    [Number(d.device_id)],
  );
  if (list === null) return notCollected('Neighbours (LLDP/CDP)');
  const id = Number(d.device_id);
  return table(
    ['Local port', 'Neighbour', 'Remote port', 'Platform', 'Protocol'],
    list.map((l) => [
      l.local_port_id
        ? html`<a href="/device/${id}/port/${Number(l.local_port_id)}">${l.ifName || l.ifDescr || l.local_port_id}</a>`
        : '',
      l.remote_known
        ? html`<a href="/device/${Number(l.remote_device_id)}">${l.remote_hostname}</a>`
        : l.remote_hostname,
      l.remote_port,
      l.remote_platform,
      l.protocol,
    ]),
    'no neighbours',
  );
}

export async function eventsTab(ctx: WebContext, d: Row): Promise<Html> {
  const list = await rows(
    ctx.db,
    `SELECT datetime, type, severity, message FROM eventlog
    WHERE device_id = ? ORDER BY datetime DESC, event_id DESC LIMIT 200`,
    [Number(d.device_id)],
  );
  const cells = list.map((e) => [when(e.datetime), e.type, e.severity, e.message]);
  return table(['Time', 'Type', 'Severity', 'Message'], cells, 'no events');
}

const SYSLOG_PAGE = 100;

/** The device's syslog (LibreNMS's `syslog` table), newest first, 100 a page (`?page=`). */
export async function syslogTab(ctx: WebContext, d: Row, req: WebRequest): Promise<Html> {
  const id = Number(d.device_id);
  const pageNo = Number(req.query.get('page') ?? 1);
  if (!Number.isSafeInteger(pageNo) || pageNo < 1) throw new HttpError(400, 'page must be a positive number');
  // the timestamp is the database's local time as the receiver wrote it: shown as stored
  const list = await maybe(
    ctx.db,
    `SELECT DATE_FORMAT(timestamp, '%Y-%m-%d %H:%i:%s') AS ts, priority, level, program, msg FROM syslog
    WHERE device_id = ? ORDER BY timestamp DESC, seq DESC LIMIT ? OFFSET ?`,
    [id, SYSLOG_PAGE + 1, (pageNo - 1) * SYSLOG_PAGE],
  );
  if (list === null) return notCollected('Syslog');
  const level = (s: Row) => [s.priority, s.level === null ? '' : `(${s.level})`].filter(Boolean).join(' ');
  const cells = list.slice(0, SYSLOG_PAGE).map((s) => [s.ts, level(s), s.program, s.msg]);
  const link = (p: number) => `/device/${id}/syslog${qs({ page: p })}`;
  return html`${table(['Time', 'Priority', 'Program', 'Message'], cells, 'no syslog messages')}
    <p class="pager">
      ${pageNo > 1 ? html`<a href="${link(pageNo - 1)}">← newer</a>` : ''}<span>page ${pageNo}</span>
      ${list.length > SYSLOG_PAGE ? html`<a href="${link(pageNo + 1)}">older →</a>` : ''}
    </p>`;
}
