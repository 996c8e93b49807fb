// The web UI's tables (versions 30-39): LibreNMS's `users` (its column names; `level` 10 is an
// administrator) and `sessions` (Laravel's shape). A session row holds the SHA-256 of the cookie
// value, never the value itself, and its CSRF token in `payload`.
import type { Migration } from './migration.js';

const TABLE_OPTS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

export const WEB_MIGRATIONS: Migration[] = [
  {
    version: 30,
    name: 'create_users_and_sessions',
    statements: [
      `CREATE TABLE IF NOT EXISTS users (
  user_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  auth_type VARCHAR(32) NULL,
  auth_id VARCHAR(255) NULL,
  username VARCHAR(255) NOT NULL,
  password VARCHAR(255) NULL,
  realname VARCHAR(64) NOT NULL DEFAULT '',
  email VARCHAR(64) NOT NULL DEFAULT '',
  descr CHAR(30) NOT NULL DEFAULT '',
  level TINYINT NOT NULL DEFAULT 0,
  can_modify_passwd TINYINT(1) NOT NULL DEFAULT 1,
  created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  remember_token VARCHAR(100) NULL,
  enabled TINYINT(1) NOT NULL DEFAULT 1,
  UNIQUE KEY users_auth_type_username_unique (auth_type, username)
) ${TABLE_OPTS}`,
      `CREATE TABLE IF NOT EXISTS sessions (
  id VARCHAR(255) NOT NULL PRIMARY KEY,
  user_id INT UNSIGNED NULL,
  ip_address VARCHAR(45) NULL,
  user_agent TEXT NULL,
  payload TEXT NOT NULL,
  last_activity INT NOT NULL,
  KEY sessions_user_id_index (user_id),
  KEY sessions_last_activity_index (last_activity)
) ${TABLE_OPTS}`,
    ],
  },
];
