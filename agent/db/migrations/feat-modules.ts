// Tables of the entity-physical, ipv4-addresses, discovery-protocols and ucd-diskio modules,
// with LibreNMS's table and column names (versions 20-29 belong to this set).
import type { Migration } from './migration.js';

const TABLE_OPTS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

export const MODULE_MIGRATIONS: Migration[] = [
  {
    version: 20,
    name: 'create_entphysical',
    statements: [
      `CREATE TABLE IF NOT EXISTS entPhysical (
  entPhysical_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  device_id INT UNSIGNED NOT NULL,
  entPhysicalIndex INT NOT NULL,
  entPhysicalDescr TEXT NULL,
  entPhysicalClass TEXT NULL,
  entPhysicalName TEXT NULL,
  entPhysicalHardwareRev VARCHAR(255) NULL,
  entPhysicalFirmwareRev VARCHAR(255) NULL,
  entPhysicalSoftwareRev VARCHAR(255) NULL,
  entPhysicalAlias VARCHAR(255) NULL,
  entPhysicalAssetID VARCHAR(255) NULL,
  entPhysicalIsFRU VARCHAR(8) NULL,
  entPhysicalModelName TEXT NULL,
  entPhysicalVendorType TEXT NULL,
  entPhysicalSerialNum TEXT NULL,
  entPhysicalContainedIn INT NOT NULL DEFAULT 0,
  entPhysicalParentRelPos INT NOT NULL DEFAULT -1,
  entPhysicalMfgName TEXT NULL,
  ifIndex INT NULL,
  UNIQUE KEY entphysical_device_id_index_unique (device_id, entPhysicalIndex)
) ${TABLE_OPTS}`,
    ],
  },
  {
    version: 21,
    name: 'create_ipv4_addresses_and_networks',
    statements: [
      `CREATE TABLE IF NOT EXISTS ipv4_networks (
  ipv4_network_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ipv4_network VARCHAR(64) NOT NULL,
  context_name VARCHAR(128) NOT NULL DEFAULT '',
  UNIQUE KEY ipv4_networks_network_context_unique (ipv4_network, context_name)
) ${TABLE_OPTS}`,
      `CREATE TABLE IF NOT EXISTS ipv4_addresses (
  ipv4_address_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ipv4_address VARCHAR(32) NOT NULL,
  ipv4_prefixlen INT NOT NULL,
  ipv4_network_id INT UNSIGNED NOT NULL,
  port_id INT UNSIGNED NOT NULL,
  context_name VARCHAR(128) NOT NULL DEFAULT '',
  UNIQUE KEY ipv4_addresses_port_address_context_unique (port_id, ipv4_address, context_name),
  KEY ipv4_addresses_ipv4_address_index (ipv4_address)
) ${TABLE_OPTS}`,
    ],
  },
  {
    version: 22,
    name: 'create_links',
    statements: [
      `CREATE TABLE IF NOT EXISTS links (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  local_port_id INT UNSIGNED NULL,
  local_device_id INT UNSIGNED NOT NULL,
  remote_port_id INT UNSIGNED NULL,
  active TINYINT(1) NOT NULL DEFAULT 1,
  protocol VARCHAR(11) NULL,
  remote_hostname VARCHAR(128) NOT NULL,
  remote_device_id INT UNSIGNED NOT NULL DEFAULT 0,
  remote_port VARCHAR(128) NOT NULL,
  remote_platform VARCHAR(256) NULL,
  remote_version VARCHAR(256) NULL,
  KEY links_local_device_id_index (local_device_id),
  KEY links_local_port_id_index (local_port_id),
  KEY links_remote_device_id_index (remote_device_id)
) ${TABLE_OPTS}`,
    ],
  },
  {
    version: 23,
    name: 'create_ucd_diskio',
    statements: [
      `CREATE TABLE IF NOT EXISTS ucd_diskio (
  diskio_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  device_id INT UNSIGNED NOT NULL,
  diskio_index INT NOT NULL,
  diskio_descr VARCHAR(32) NOT NULL,
  UNIQUE KEY ucd_diskio_device_id_index_unique (device_id, diskio_index)
) ${TABLE_OPTS}`,
    ],
  },
];
