// One message as rsyslog hands it over (the JSON of templates/rsyslog/60-nms.conf.hbs) turned
// into a `syslog` row: LibreNMS's columns and widths, the timestamp in the database's local
// form, the device found from the sender's address.

export interface SyslogRow {
  device_id: number | null;
  facility: string | null;
  /** Severity name (`warning`). */
  priority: string | null;
  /** Severity number 0-7, as text. */
  level: string | null;
  tag: string | null;
  /** `YYYY-MM-DD hh:mm:ss` in this node's local time (MariaDB DATETIME). */
  timestamp: string;
  program: string | null;
  msg: string;
}

interface RsyslogJson {
  host?: string;
  facility?: string;
  priority?: string;
  level?: string | number;
  tag?: string;
  program?: string;
  timestamp?: string;
  msg?: string;
}

const cut = (v: unknown, n: number): string | null => (typeof v === 'string' && v !== '' ? v.slice(0, n) : null);
const pad = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DD hh:mm:ss` in this node's local time: how `syslog.timestamp` is written and compared. */
export function localDatetime(d: Date): string {
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${day} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Parses one line; null when it is not one of rsyslog's JSON objects with a sender. */
export function parseSyslogLine(
  line: string,
  deviceOf: (address: string) => number | null,
  now = new Date(),
): SyslogRow | null {
  let j: RsyslogJson;
  try {
    j = JSON.parse(line) as RsyslogJson;
  } catch {
    return null;
  }
  if (!j || typeof j !== 'object' || typeof j.host !== 'string' || !j.host) return null;
  const when = j.timestamp ? new Date(j.timestamp) : now;
  // a device with a wrong clock says when it thinks it is; an unreadable date is "received now"
  const ts = Number.isNaN(when.getTime()) ? now : when;
  const tag = typeof j.tag === 'string' ? j.tag.replace(/:$/, '') : null;
  return {
    device_id: deviceOf(j.host),
    facility: cut(j.facility, 10),
    priority: cut(j.priority, 10),
    level: j.level === undefined || j.level === '' ? null : String(j.level).slice(0, 10),
    tag: cut(tag, 10),
    timestamp: localDatetime(ts),
    program: cut(j.program, 32),
    msg: typeof j.msg === 'string' ? j.msg.replace(/^\s+/, '') : '',
  };
}
