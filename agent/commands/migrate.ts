// `nms-agent migrate`: applies the database migrations and writes the APP_KEY check value.
import type { Command } from 'commander';
import { output } from '../../lib/run.js';
import { loadNodeConfig } from '../../lib/node-config.js';
import { migrate, openDb, type MigrateResult } from '../db/index.js';

export async function migrateCommand(opts: {
  env: string;
  createDatabase?: boolean;
}): Promise<MigrateResult & { database: string }> {
  const config = loadNodeConfig(opts.env);
  const db = await openDb(config.env, { createDatabase: opts.createDatabase, connectionLimit: 2 });
  try {
    return { database: config.env.DB_DATABASE, ...(await migrate(db, { appKey: config.env.APP_KEY })) };
  } finally {
    await db.end();
  }
}

export function register(program: Command): void {
  program
    .command('migrate')
    .description('Apply the database schema migrations (idempotent) and write the APP_KEY check value when absent.')
    .option('--create-database', 'create the database first when it does not exist')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  nms-agent migrate\n  nms-agent --env /tmp/test/.env migrate --create-database --json\n',
    )
    .action(async (o: { json?: boolean; createDatabase?: boolean }, cmd: Command) => {
      const r = await migrateCommand({ env: cmd.optsWithGlobals().env, createDatabase: o.createDatabase });
      output(
        r,
        o.json,
        (d) =>
          (d.applied.length ? d.applied.map((a) => `applied ${a.version} ${a.name} (${a.ms} ms)\n`).join('') : '') +
          `database ${d.database} at schema version ${d.version}${d.applied.length ? '' : ' (nothing to do)'}\n` +
          (d.appKeyCheckWritten ? 'wrote the APP_KEY check value\n' : ''),
      );
    });
}
