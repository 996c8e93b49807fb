// The agent's MariaDB access, one module per concern: the pool and write retries
// (connection.ts), migrations and the APP_KEY check (migrate.ts), the schema (schema.ts), and the
// repository functions for devices, the eventlog, status, entities and the discovery modules.
// This file only gathers them.
export * from './connection.js';
export * from './batch.js';
export * from './migrate.js';
export type { Migration } from './migrations/migration.js';
export { MIGRATIONS } from './schema.js';
export * from './devices.js';
export * from './eventlog.js';
export * from './entity-state.js';
export * from './ports.js';
export * from './modules.js';
