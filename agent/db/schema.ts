// The database schema as versioned migrations, with LibreNMS's table and column names where the
// concept is the same, so that its users find what they expect. A migration is applied once and
// recorded in `migrations`; never edit one that has shipped: add the next version instead.
import { ALERT_MIGRATIONS } from './migrations/alerts.js';
import { AVAIL_MIGRATIONS } from './migrations/feat-avail.js';
import { BACKUP_MIGRATIONS } from './migrations/backup.js';
import { DEFS_MIGRATIONS } from './migrations/feat-defs.js';
import { MODULE_MIGRATIONS } from './migrations/feat-modules.js';
import { SEED_MIGRATIONS } from './migrations/seed.js';
import { WEB_MIGRATIONS } from './migrations/web.js';
import { PORT_COUNTERS } from '../collectors/port-counters.js';
import type { Migration } from './migrations/migration.js';

// Re-exported for importers from before the type and the counters moved (agent/poll/probe.ts,
// migrations written on other branches); new code imports migration.ts and agent/collectors.
export type { Migration } from './migrations/migration.js';
export { PORT_COUNTERS, type PortCounter } from '../collectors/port-counters.js';

// each counter with its _prev, _delta and _rate, as LibreNMS's ports table has them
const counterColumns = PORT_COUNTERS.map((c) =>
  [c, `${c}_prev`, `${c}_delta`, `${c}_rate`].map((n) => `\`${n}\` BIGINT UNSIGNED NULL`).join(', '),
).join(',\n  ');

const TABLE_OPTS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'create_devices_and_config',
    statements: [
      `CREATE TABLE IF NOT EXISTS config (
  config_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  config_name VARCHAR(191) NOT NULL,
  config_value TEXT NOT NULL,
  UNIQUE KEY config_config_name_unique (config_name)
) ${TABLE_OPTS}`,
      `CREATE TABLE IF NOT EXISTS poller_groups (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  group_name VARCHAR(255) NOT NULL,
  descr VARCHAR(255) NOT NULL DEFAULT ''
) ${TABLE_OPTS}`,
      `CREATE TABLE IF NOT EXISTS devices (
  device_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  inserted TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
  hostname VARCHAR(128) NOT NULL,
  sysName VARCHAR(128) NULL,
  display VARCHAR(128) NULL,
  ip VARBINARY(16) NULL,
  community VARCHAR(1024) NULL,
  authlevel ENUM('noAuthNoPriv','authNoPriv','authPriv') NULL,
  authname VARCHAR(64) NULL,
  authpass VARCHAR(1024) NULL,
  authalgo VARCHAR(10) NULL,
  cryptopass VARCHAR(1024) NULL,
  cryptoalgo VARCHAR(10) NULL,
  snmpver VARCHAR(4) NOT NULL DEFAULT 'v2c',
  port SMALLINT UNSIGNED NOT NULL DEFAULT 161,
  transport VARCHAR(16) NOT NULL DEFAULT 'udp',
  timeout INT NULL,
  retries INT NULL,
  snmp_disable TINYINT(1) NOT NULL DEFAULT 0,
  sysObjectID VARCHAR(128) NULL,
  sysDescr TEXT NULL,
  sysContact TEXT NULL,
  location VARCHAR(255) NULL,
  os VARCHAR(32) NULL,
  hardware TEXT NULL,
  version TEXT NULL,
  status TINYINT(1) NOT NULL DEFAULT 0,
  status_reason VARCHAR(50) NOT NULL DEFAULT '',
  \`ignore\` TINYINT(1) NOT NULL DEFAULT 0,
  disabled TINYINT(1) NOT NULL DEFAULT 0,
  uptime BIGINT NULL,
  last_polled TIMESTAMP NULL,
  last_poll_attempted TIMESTAMP NULL,
  last_polled_timetaken DOUBLE NULL,
  last_discovered_timetaken DOUBLE NULL,
  last_discovered TIMESTAMP NULL,
  last_ping TIMESTAMP NULL,
  last_ping_timetaken DOUBLE NULL,
  purpose TEXT NULL,
  notes TEXT NULL,
  poller_group INT UNSIGNED NOT NULL DEFAULT 0,
  port_association_mode INT NOT NULL DEFAULT 1,
  disable_notify TINYINT(1) NOT NULL DEFAULT 0,
  UNIQUE KEY devices_hostname_port_unique (hostname, port),
  KEY devices_sysname_index (sysName),
  KEY devices_status_index (status),
  KEY devices_last_polled_index (last_polled),
  KEY devices_poller_group_index (poller_group)
) ${TABLE_OPTS}`,
      `CREATE TABLE IF NOT EXISTS eventlog (
  event_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  device_id INT UNSIGNED NULL,
  datetime DATETIME NOT NULL DEFAULT '1970-01-02 00:00:01',
  message TEXT NULL,
  type VARCHAR(64) NULL,
  reference VARCHAR(64) NULL,
  username VARCHAR(128) NULL,
  severity TINYINT NOT NULL DEFAULT 2,
  KEY eventlog_device_id_index (device_id),
  KEY eventlog_datetime_index (datetime)
) ${TABLE_OPTS}`,
    ],
  },
  {
    version: 2,
    name: 'create_entities',
    statements: [
      `CREATE TABLE IF NOT EXISTS ports (
  port_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  device_id INT UNSIGNED NOT NULL DEFAULT 0,
  port_descr_type VARCHAR(255) NULL,
  port_descr_descr VARCHAR(255) NULL,
  ifDescr VARCHAR(255) NULL,
  ifName VARCHAR(255) NULL,
  portName VARCHAR(128) NULL,
  ifIndex BIGINT NULL DEFAULT 0,
  ifSpeed BIGINT NULL,
  ifSpeed_prev BIGINT NULL,
  ifConnectorPresent VARCHAR(12) NULL,
  ifOperStatus VARCHAR(16) NULL,
  ifOperStatus_prev VARCHAR(16) NULL,
  ifAdminStatus VARCHAR(16) NULL,
  ifAdminStatus_prev VARCHAR(16) NULL,
  ifDuplex VARCHAR(12) NULL,
  ifMtu INT NULL,
  ifType TEXT NULL,
  ifAlias TEXT NULL,
  ifPhysAddress TEXT NULL,
  ifLastChange BIGINT UNSIGNED NULL,
  ifVlan VARCHAR(8) NOT NULL DEFAULT '',
  ifTrunk VARCHAR(16) NULL,
  ifHighSpeed INT NULL,
  ifHighSpeed_prev INT NULL,
  counter_bits TINYINT NOT NULL DEFAULT 64,
  ${counterColumns},
  poll_time INT UNSIGNED NULL,
  poll_prev INT UNSIGNED NULL,
  poll_period INT UNSIGNED NULL,
  deleted TINYINT(1) NOT NULL DEFAULT 0,
  disabled TINYINT(1) NOT NULL DEFAULT 0,
  \`ignore\` TINYINT(1) NOT NULL DEFAULT 0,
  UNIQUE KEY ports_device_id_ifindex_unique (device_id, ifIndex),
  KEY ports_ifdescr_index (ifDescr)
) ${TABLE_OPTS}`,
      `CREATE TABLE IF NOT EXISTS processors (
  processor_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  entPhysicalIndex INT NOT NULL DEFAULT 0,
  hrDeviceIndex INT NULL,
  device_id INT UNSIGNED NOT NULL,
  processor_oid VARCHAR(128) NOT NULL,
  processor_index VARCHAR(32) NOT NULL,
  processor_type VARCHAR(16) NOT NULL,
  processor_usage INT NOT NULL DEFAULT 0,
  processor_descr VARCHAR(64) NOT NULL,
  processor_precision INT NOT NULL DEFAULT 1,
  processor_perc_warn INT NULL DEFAULT 75,
  UNIQUE KEY processors_device_type_index_unique (device_id, processor_type, processor_index)
) ${TABLE_OPTS}`,
      `CREATE TABLE IF NOT EXISTS storage (
  storage_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  device_id INT UNSIGNED NOT NULL,
  storage_mib VARCHAR(16) NOT NULL,
  storage_index VARCHAR(64) NULL,
  storage_type VARCHAR(32) NULL,
  storage_descr TEXT NOT NULL,
  storage_size BIGINT NOT NULL,
  storage_units INT NOT NULL,
  storage_used BIGINT NOT NULL DEFAULT 0,
  storage_free BIGINT NOT NULL DEFAULT 0,
  storage_perc INT NOT NULL DEFAULT 0,
  storage_perc_warn INT NULL DEFAULT 60,
  storage_deleted TINYINT(1) NOT NULL DEFAULT 0,
  UNIQUE KEY storage_device_mib_index_unique (device_id, storage_mib, storage_index)
) ${TABLE_OPTS}`,
      `CREATE TABLE IF NOT EXISTS sensors (
  sensor_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  sensor_deleted TINYINT(1) NOT NULL DEFAULT 0,
  sensor_class VARCHAR(64) NOT NULL,
  device_id INT UNSIGNED NOT NULL DEFAULT 0,
  poller_type VARCHAR(16) NOT NULL DEFAULT 'snmp',
  sensor_oid VARCHAR(255) NOT NULL,
  sensor_index VARCHAR(128) NULL,
  sensor_type VARCHAR(255) NOT NULL,
  sensor_descr VARCHAR(255) NULL,
  sensor_divisor BIGINT NOT NULL DEFAULT 1,
  sensor_multiplier INT NOT NULL DEFAULT 1,
  sensor_current DOUBLE NULL,
  sensor_limit DOUBLE NULL,
  sensor_limit_low DOUBLE NULL,
  sensor_prev DOUBLE NULL,
  lastupdate TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  entPhysicalIndex VARCHAR(16) NULL,
  UNIQUE KEY sensors_device_class_type_index_unique (device_id, sensor_class, sensor_type, sensor_index)
) ${TABLE_OPTS}`,
    ],
  },
  {
    version: 3,
    name: 'create_poller_cluster',
    statements: [
      `CREATE TABLE IF NOT EXISTS poller_cluster (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  node_id VARCHAR(255) NOT NULL,
  poller_name VARCHAR(255) NOT NULL,
  poller_version VARCHAR(255) NOT NULL DEFAULT '',
  poller_groups VARCHAR(255) NOT NULL DEFAULT '',
  last_report DATETIME NOT NULL,
  master TINYINT(1) NOT NULL,
  poller_enabled TINYINT(1) NULL,
  poller_frequency INT NULL,
  poller_workers INT NULL,
  poller_down_retry INT NULL,
  discovery_enabled TINYINT(1) NULL,
  discovery_frequency INT NULL,
  discovery_workers INT NULL,
  services_enabled TINYINT(1) NULL,
  services_frequency INT NULL,
  services_workers INT NULL,
  ping_enabled TINYINT(1) NULL,
  ping_frequency INT NULL,
  ping_workers INT NULL,
  loglevel VARCHAR(255) NULL,
  watchdog_enabled TINYINT(1) NULL,
  UNIQUE KEY poller_cluster_node_id_unique (node_id)
) ${TABLE_OPTS}`,
      `CREATE TABLE IF NOT EXISTS poller_cluster_stats (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  parent_poller INT UNSIGNED NOT NULL DEFAULT 0,
  poller_type VARCHAR(64) NOT NULL DEFAULT '',
  depth INT UNSIGNED NOT NULL,
  devices INT UNSIGNED NOT NULL,
  worker_seconds DOUBLE UNSIGNED NOT NULL,
  workers INT UNSIGNED NOT NULL,
  frequency INT UNSIGNED NOT NULL,
  UNIQUE KEY poller_cluster_stats_parent_poller_poller_type_unique (parent_poller, poller_type)
) ${TABLE_OPTS}`,
    ],
  },
  ...DEFS_MIGRATIONS,
  ...MODULE_MIGRATIONS,
  ...WEB_MIGRATIONS,
  ...AVAIL_MIGRATIONS,
  ...ALERT_MIGRATIONS,
  ...SEED_MIGRATIONS,
  ...BACKUP_MIGRATIONS,
];
