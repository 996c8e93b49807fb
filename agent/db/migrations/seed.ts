// Migrations of the syslog, config-backup and supervision work (versions 60-69).
import type { Migration } from './migration.js';

const TABLE_OPTS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

export const SEED_MIGRATIONS: Migration[] = [
  {
    version: 60,
    name: 'create_syslog',
    // LibreNMS's table: seq is the key; priority and level are the severity (name and number)
    statements: [
      `CREATE TABLE IF NOT EXISTS syslog (
  device_id INT UNSIGNED NULL,
  facility VARCHAR(10) NULL,
  priority VARCHAR(10) NULL,
  level VARCHAR(10) NULL,
  tag VARCHAR(10) NULL,
  timestamp DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  program VARCHAR(32) NULL,
  msg TEXT NULL,
  seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  KEY syslog_priority_level_index (priority, level),
  KEY syslog_device_id_timestamp_index (device_id, timestamp),
  KEY syslog_device_id_index (device_id),
  KEY syslog_timestamp_index (timestamp),
  KEY syslog_program_index (program)
) ${TABLE_OPTS}`,
    ],
  },
];
