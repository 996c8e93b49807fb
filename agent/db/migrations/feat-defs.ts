// Migrations 10-19 (OS definitions and device modules, issue 12), with LibreNMS's names:
// the device's OS fields, mempools (memory moves out of storage), state sensors and their
// translations, sensor limits and the per-device module switches (devices_attribs).
import type { Migration } from './migration.js';

const TABLE_OPTS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

export const DEFS_MIGRATIONS: Migration[] = [
  {
    version: 10,
    name: 'devices_os_fields',
    statements: [
      'ALTER TABLE devices ADD COLUMN IF NOT EXISTS features TEXT NULL, ADD COLUMN IF NOT EXISTS serial TEXT NULL, ' +
        'ADD COLUMN IF NOT EXISTS icon VARCHAR(255) NULL',
      'ALTER TABLE storage ADD COLUMN IF NOT EXISTS storage_used_oid VARCHAR(255) NULL, ' +
        'ADD COLUMN IF NOT EXISTS storage_size_oid VARCHAR(255) NULL, ' +
        'ADD COLUMN IF NOT EXISTS storage_free_oid VARCHAR(255) NULL, ' +
        'ADD COLUMN IF NOT EXISTS storage_perc_oid VARCHAR(255) NULL',
    ],
  },
  {
    version: 11,
    name: 'create_mempools',
    statements: [
      `CREATE TABLE IF NOT EXISTS mempools (
  mempool_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  mempool_index VARCHAR(64) NOT NULL,
  entPhysicalIndex INT NULL,
  mempool_type VARCHAR(64) NOT NULL,
  mempool_class VARCHAR(32) NOT NULL DEFAULT 'system',
  mempool_precision INT NOT NULL DEFAULT 1,
  mempool_descr VARCHAR(255) NOT NULL,
  device_id INT UNSIGNED NOT NULL,
  mempool_perc INT NOT NULL DEFAULT 0,
  mempool_perc_oid VARCHAR(255) NULL,
  mempool_used BIGINT NOT NULL DEFAULT 0,
  mempool_used_oid VARCHAR(255) NULL,
  mempool_free BIGINT NOT NULL DEFAULT 0,
  mempool_free_oid VARCHAR(255) NULL,
  mempool_total BIGINT NOT NULL DEFAULT 0,
  mempool_total_oid VARCHAR(255) NULL,
  mempool_largestfree BIGINT NULL,
  mempool_lowestfree BIGINT NULL,
  mempool_deleted TINYINT(1) NOT NULL DEFAULT 0,
  mempool_perc_warn INT NULL DEFAULT 90,
  UNIQUE KEY mempools_device_type_index_unique (device_id, mempool_type, mempool_index)
) ${TABLE_OPTS}`,
    ],
  },
  {
    version: 12,
    name: 'state_sensors_and_limits',
    statements: [
      'ALTER TABLE sensors ADD COLUMN IF NOT EXISTS sensor_limit_warn DOUBLE NULL, ' +
        'ADD COLUMN IF NOT EXISTS sensor_limit_low_warn DOUBLE NULL, ' +
        'ADD COLUMN IF NOT EXISTS `group` VARCHAR(255) NULL, ' +
        "ADD COLUMN IF NOT EXISTS rrd_type VARCHAR(16) NOT NULL DEFAULT 'GAUGE'",
      `CREATE TABLE IF NOT EXISTS state_indexes (
  state_index_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  state_name VARCHAR(64) NOT NULL,
  UNIQUE KEY state_indexes_state_name_unique (state_name)
) ${TABLE_OPTS}`,
      `CREATE TABLE IF NOT EXISTS state_translations (
  state_translation_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  state_index_id INT UNSIGNED NOT NULL,
  state_descr VARCHAR(255) NOT NULL,
  state_draw_graph TINYINT(1) NOT NULL DEFAULT 0,
  state_value SMALLINT NOT NULL DEFAULT 0,
  state_generic_value TINYINT(1) NOT NULL,
  state_lastupdated TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  UNIQUE KEY state_index_id_value (state_index_id, state_value)
) ${TABLE_OPTS}`,
      `CREATE TABLE IF NOT EXISTS sensors_to_state_indexes (
  sensors_to_state_translations_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  sensor_id INT UNSIGNED NOT NULL,
  state_index_id INT UNSIGNED NOT NULL,
  UNIQUE KEY sensor_id_state_index_id (sensor_id, state_index_id)
) ${TABLE_OPTS}`,
    ],
  },
  {
    version: 13,
    name: 'create_devices_attribs',
    statements: [
      // LibreNMS's per-device settings; `discover_<module>` / `poll_<module>` = '0' switch a module off
      `CREATE TABLE IF NOT EXISTS devices_attribs (
  attrib_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  device_id INT UNSIGNED NOT NULL,
  attrib_type VARCHAR(32) NOT NULL,
  attrib_value TEXT NOT NULL,
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  KEY devices_attribs_device_id_index (device_id)
) ${TABLE_OPTS}`,
    ],
  },
];
