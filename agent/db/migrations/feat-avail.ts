// Availability's tables (versions 40-49): LibreNMS's device_perf (one row per device per ping
// round) and services (one row per service check), and devices.status_at, which is ours: when
// the observation behind the current status was made, so that an older result from another
// poller never overwrites a newer one (agent/db/status.ts).
import type { Migration } from './migration.js';

const TABLE_OPTS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

export const AVAIL_MIGRATIONS: Migration[] = [
  {
    version: 40,
    name: 'create_device_perf_and_status_at',
    statements: [
      `CREATE TABLE IF NOT EXISTS device_perf (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  device_id INT UNSIGNED NOT NULL,
  timestamp DATETIME NOT NULL,
  xmt INT NOT NULL,
  rcv INT NOT NULL,
  loss INT NOT NULL,
  min DOUBLE NOT NULL,
  max DOUBLE NOT NULL,
  avg DOUBLE NOT NULL,
  debug TEXT NULL,
  KEY device_perf_device_id_timestamp_index (device_id, timestamp)
) ${TABLE_OPTS}`,
      'ALTER TABLE devices ADD COLUMN IF NOT EXISTS status_at DATETIME(3) NULL',
    ],
  },
  {
    version: 41,
    name: 'create_services',
    statements: [
      `CREATE TABLE IF NOT EXISTS services (
  service_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  device_id INT UNSIGNED NOT NULL,
  service_ip TEXT NULL,
  service_type VARCHAR(255) NOT NULL,
  service_desc TEXT NULL,
  service_param TEXT NULL,
  service_ignore TINYINT(1) NOT NULL DEFAULT 0,
  service_status TINYINT NOT NULL DEFAULT 0,
  service_changed INT UNSIGNED NOT NULL DEFAULT 0,
  service_message TEXT NULL,
  service_disabled TINYINT(1) NOT NULL DEFAULT 0,
  service_ds TEXT NULL,
  service_template_id INT UNSIGNED NOT NULL DEFAULT 0,
  service_name VARCHAR(255) NULL,
  KEY services_device_id_index (device_id)
) ${TABLE_OPTS}`,
    ],
  },
];
