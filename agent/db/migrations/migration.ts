// The shape of one schema step: the files beside this one hold the steps, agent/db/schema.ts
// lists them in order and agent/db/migrate.ts applies them.

/** One schema step. */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}
