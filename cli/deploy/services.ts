// Service checks declared in devices.yaml (`services:` per device) into LibreNMS's `services`
// table. A digest per device, computed the same way here and in SQL (SERVICE_DIGEST_SQL), says
// whether the rows match the inventory, so an unchanged inventory changes nothing. Rows made
// from the inventory have service_template_id 0; a device's rows are replaced when they differ.
import { createHash } from 'node:crypto';
import type { DeviceSpec, ServiceSpec } from '../inventory/types.js';

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** Fields of a row in digest order; the SQL below joins the same columns with 0x1f. */
function fields(s: ServiceSpec): string[] {
  return [s.type, s.ip ?? '', JSON.stringify(s.args ?? []), s.name ?? '', s.desc ?? ''];
}

/** The digest of a device's declared checks ('' when none), as SERVICE_DIGEST_SQL computes it. */
export function servicesDigest(services: ServiceSpec[] | undefined): string {
  if (!services?.length) return '';
  return md5(services.map((s) => md5(fields(s).join('\x1f'))).join(','));
}

/** A facts query line per device with checks: 'svcsum', hostname, port, digest. */
export function serviceDigestSql(database: string): string {
  const db = `\`${database.replace(/`/g, '')}\``;
  return (
    "SELECT 'svcsum', d.hostname, d.port, MD5(GROUP_CONCAT(MD5(CONCAT_WS(0x1f, s.service_type, " +
    "IFNULL(s.service_ip, ''), IFNULL(s.service_param, ''), IFNULL(s.service_name, ''), IFNULL(s.service_desc, ''))) " +
    "ORDER BY s.service_id SEPARATOR ',')) " +
    `FROM ${db}.services s JOIN ${db}.devices d ON d.device_id = s.device_id ` +
    'WHERE s.service_template_id = 0 GROUP BY d.device_id;'
  );
}

/** SQL that makes a device's rows those of the inventory, or '' when its digest matches. */
export function serviceSql(d: DeviceSpec, have: string | undefined, sqlString: (s: string) => string): string {
  if ((have ?? '') === servicesDigest(d.services)) return '';
  const dev = `SELECT device_id FROM devices WHERE hostname = ${sqlString(d.hostname)} AND port = ${Number(d.port)}`;
  const out = [`DELETE FROM services WHERE service_template_id = 0 AND device_id = (${dev});`];
  for (const s of d.services ?? []) {
    const v = fields(s).map((f, i) => (i === 1 && f === '' ? 'NULL' : i >= 3 && f === '' ? 'NULL' : sqlString(f)));
    out.push(
      'INSERT INTO services (device_id, service_type, service_ip, service_param, service_name, service_desc, ' +
        'service_changed) ' +
        `SELECT device_id, ${v.join(', ')}, UNIX_TIMESTAMP() ${dev.slice('SELECT device_id '.length)};`,
    );
  }
  return out.join('\n');
}
