// Entry of `nms-agent`: the daemon (`run`) and its one-shot helpers. Each command module
// exports `register(program)`.
import { Command } from 'commander';
import { runMain } from '../lib/run.js';
import { settlePrototypes } from '../lib/v8-prototypes.js';
import { register as registerRun } from './commands/run.js';
import { register as registerMigrate } from './commands/migrate.js';
import { register as registerPoll } from './commands/poll.js';
import { register as registerDoctor } from './commands/doctor.js';
import { register as registerClusterStatus } from './commands/cluster.js';
import { register as registerAlert } from './commands/alert.js';
import { register as registerProbe } from './commands/probe.js';

const program = new Command('nms-agent')
  .description(
    'The nms agent: polls devices over SNMP into rrdcached and MariaDB, coordinated through Redis and memcached.',
  )
  .version('0.1.0')
  .option(
    '--env <path>',
    'path of the node .env file (config.yaml is read beside it)',
    process.env.NMS_ENV ?? '/etc/nms/.env',
  )
  .showHelpAfterError('(add --help for usage)');

for (const register of [
  registerRun,
  registerMigrate,
  registerPoll,
  registerDoctor,
  registerClusterStatus,
  registerAlert,
  registerProbe,
]) {
  register(program);
}

// after every module has loaded (ioredis among them): lib/v8-prototypes.ts says why
settlePrototypes();
await runMain(program);
