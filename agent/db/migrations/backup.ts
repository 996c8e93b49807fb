// Config backup's tables (versions 70-79; docs/config-backup.md). LibreNMS leaves configuration
// history to Oxidized and has no tables for it, so these are nms's own: `config_backups`, one
// row per device backed up (its SSH login, the password encrypted with APP_KEY like the SNMP
// secrets, and the last run's status), and `config_versions`, one row per stored version with
// its text and its diff from the one before, so that the master serves them without reaching
// the backup node (the node's git repository holds the same history).
import type { Migration } from './migration.js';

const TABLE_OPTS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

export const BACKUP_MIGRATIONS: Migration[] = [
  {
    version: 70,
    name: 'create_config_backups',
    statements: [
      `CREATE TABLE IF NOT EXISTS config_backups (
  device_id INT UNSIGNED NOT NULL PRIMARY KEY,
  ssh_username VARCHAR(255) NOT NULL,
  ssh_password TEXT NOT NULL,
  ssh_port SMALLINT UNSIGNED NOT NULL DEFAULT 22,
  status VARCHAR(16) NOT NULL DEFAULT 'never',
  status_reason TEXT NULL,
  node VARCHAR(255) NULL,
  last_attempt DATETIME NULL,
  last_success DATETIME NULL,
  last_changed DATETIME NULL,
  last_commit CHAR(40) NULL
) ${TABLE_OPTS}`,
      `CREATE TABLE IF NOT EXISTS config_versions (
  version_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  device_id INT UNSIGNED NOT NULL,
  \`commit\` CHAR(40) NOT NULL,
  created_at DATETIME NOT NULL,
  node VARCHAR(255) NOT NULL,
  config MEDIUMTEXT NOT NULL,
  diff MEDIUMTEXT NOT NULL,
  KEY config_versions_device_id_index (device_id, version_id)
) ${TABLE_OPTS}`,
    ],
  },
];
