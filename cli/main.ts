// Entry of the `nms` CLI: wires the commands and is the only place that prints a final
// error and exits. Each command module exports `register(program)`; its action calls a plain
// async function that returns data, so --json output and tests need no terminal.
import { Command } from 'commander';
import { runMain } from '../lib/run.js';
import { register as registerLab } from './commands/lab.js';
import { register as registerInit } from './commands/init.js';
import { register as registerInventory } from './commands/inventory.js';
import { register as registerDeploy } from './commands/deploy.js';
import { register as registerStatus } from './commands/status.js';
import { register as registerPollers } from './commands/pollers.js';
import { register as registerDevice } from './commands/device.js';
import { register as registerAlert } from './commands/alert.js';
import { register as registerUser } from './commands/user.js';

const program = new Command('nms')
  .description('Build, grow and check a distributed SNMP polling cluster from one workstation.')
  .version('0.1.0')
  .showHelpAfterError('(add --help for usage)')
  .addHelpText(
    'after',
    `
Examples:
  nms lab up --pollers 2 --devices 50     build a test cluster on this machine
  nms init inventory prod                 write inventories/prod/ by answering questions
  nms inventory check -i inventories/prod validate without connecting anywhere
  nms deploy -i inventories/lab           deploy (or converge) every host
  nms status -i inventories/lab           prove the cluster healthy, or say what is broken`,
  );

for (const register of [
  registerLab,
  registerInit,
  registerInventory,
  registerDeploy,
  registerStatus,
  registerPollers,
  registerDevice,
  registerAlert,
  registerUser,
]) {
  register(program);
}

await runMain(program);
