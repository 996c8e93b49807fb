// Alerting tables (versions 50-59). `alert_rules`, `alerts` and `alert_log` keep LibreNMS's
// names and columns; ours beside them: `alerts.entity` (one alert per faulty port, sensor, ...
// rather than one per device and rule), `alerts.pending_since` (the rule's delay) and the
// outbox `alert_notifications`, written in the same transaction as the state change and marked
// sent after delivery, so a new dispatcher resumes what the old one left.
import type { Migration } from './migration.js';

const TABLE_OPTS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

export const ALERT_MIGRATIONS: Migration[] = [
  {
    version: 50,
    name: 'create_alerts',
    statements: [
      `CREATE TABLE IF NOT EXISTS alert_rules (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  rule TEXT NOT NULL,
  severity ENUM('ok','warning','critical') NOT NULL,
  extra VARCHAR(2048) NOT NULL,
  disabled TINYINT(1) NOT NULL,
  name VARCHAR(191) NOT NULL,
  query TEXT NOT NULL,
  builder TEXT NOT NULL,
  proc VARCHAR(80) NULL,
  invert_map TINYINT(1) NOT NULL DEFAULT 0,
  notes TEXT NULL,
  UNIQUE KEY alert_rules_name_unique (name)
) ${TABLE_OPTS}`,
      `CREATE TABLE IF NOT EXISTS alerts (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  device_id INT UNSIGNED NOT NULL,
  rule_id INT UNSIGNED NOT NULL,
  entity VARCHAR(191) NOT NULL DEFAULT '',
  state INT NOT NULL,
  alerted INT NOT NULL,
  open INT NOT NULL,
  note TEXT NULL,
  timestamp TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  pending_since DATETIME NULL,
  info TEXT NOT NULL,
  UNIQUE KEY alerts_rule_device_entity_unique (rule_id, device_id, entity),
  KEY alerts_device_id_index (device_id),
  KEY alerts_state_index (state)
) ${TABLE_OPTS}`,
      `CREATE TABLE IF NOT EXISTS alert_log (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  rule_id INT UNSIGNED NOT NULL,
  device_id INT UNSIGNED NOT NULL,
  alert_id INT UNSIGNED NOT NULL,
  entity VARCHAR(191) NOT NULL DEFAULT '',
  state INT NOT NULL,
  details TEXT NULL,
  time_logged TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY alert_log_rule_id_index (rule_id),
  KEY alert_log_device_id_index (device_id),
  KEY alert_log_time_logged_index (time_logged)
) ${TABLE_OPTS}`,
      `CREATE TABLE IF NOT EXISTS alert_notifications (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  alert_log_id INT UNSIGNED NOT NULL,
  alert_id INT UNSIGNED NOT NULL,
  transport VARCHAR(191) NOT NULL,
  payload TEXT NOT NULL,
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  next_attempt DATETIME(3) NOT NULL,
  claimed_by VARCHAR(255) NULL,
  claimed_until DATETIME(3) NULL,
  sent_at DATETIME(3) NULL,
  failed_at DATETIME(3) NULL,
  last_error VARCHAR(255) NULL,
  UNIQUE KEY alert_notifications_log_transport_unique (alert_log_id, transport),
  KEY alert_notifications_pending_index (sent_at, failed_at, next_attempt)
) ${TABLE_OPTS}`,
    ],
  },
  {
    version: 51,
    name: 'index_ports_status_for_alerts',
    // the port-down rule reads the few ports that are down instead of scanning every port each
    // minute; the index changes only when a port's status does
    statements: [
      'ALTER TABLE ports ADD INDEX IF NOT EXISTS ports_ifoperstatus_ifadminstatus_index (ifOperStatus, ifAdminStatus)',
    ],
  },
];
