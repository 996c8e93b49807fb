// Entry of the lab's SNMP device simulator (bundled to dist/nms-simulator.mjs). Wires the
// command line to Simulator and prints the one `ready:` line the lab waits for.
import { Command, Option } from 'commander';
import { runMain } from '../lib/run.js';
import { UsageError } from '../lib/errors.js';
import { deviceCredentials, has64BitCounters, pollerGroup, sysName } from './model.js';
import { runLoad } from './load.js';
import { DEFAULT_SIMULATOR_OPTIONS, MAX_DEVICES, Simulator } from './server.js';
import { hostKeyFile, SshCli } from './ssh-cli.js';

/** Where the lab's simulator keeps its SSH host key, so a restart keeps the devices' key. */
const DEFAULT_LAB_HOST_KEY = '/var/lib/nms-simulator/ssh_host_ecdsa_key';

function int(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new UsageError(`${name} must be a non-negative integer, got '${v}'`);
    return Number(v);
  };
}

const d = DEFAULT_SIMULATOR_OPTIONS;
const program = new Command('nms-simulator')
  .description('Serves simulated SNMP devices for the nms lab and tests.')
  .showHelpAfterError('(add --help for usage)')
  .addHelpText(
    'after',
    `
Examples:
  nms-simulator serve --address 198.18.0.200 --devices 10000 --first-port 16100
  nms-simulator devices --address 198.18.0.200 --devices 100 > devices.json
  nms-simulator load --devices 10000 --first-port 16100 --seconds 10`,
  );

program
  .command('serve')
  .description('serve M devices, device i on UDP port first-port + i, until SIGTERM/SIGINT')
  .addOption(new Option('--address <ip>', 'IPv4 address to bind').default(d.address))
  .addOption(
    new Option('--devices <m>', `number of devices (1..${MAX_DEVICES})`).default(d.devices).argParser(int('--devices')),
  )
  .addOption(
    new Option('--first-port <port>', 'UDP port of device 0').default(d.firstPort).argParser(int('--first-port')),
  )
  .addOption(
    new Option(
      '--own-addresses',
      'device i on an address of its own (from --address, the base, by lib/device-addresses.ts), all on --first-port',
    ),
  )
  .addOption(
    new Option('--first-device <k>', 'serve devices k..k+m-1 (a fleet split over simulators; SSH only with 0)')
      .default(0)
      .argParser(int('--first-device')),
  )
  .addOption(new Option('--seed <s>', 'seed of the deterministic data').default(d.seed).argParser(int('--seed')))
  .addOption(
    new Option(
      '--ssh-first-port <port>',
      'SSH CLI of device 0 (default: 22 with --own-addresses, else no SSH)',
    ).argParser(int('--ssh-first-port')),
  )
  .addOption(
    new Option('--ssh-devices <n>', 'devices 0..n-1 of the SSH families (ios, junos, routeros) answer SSH')
      .default(100)
      .argParser(int('--ssh-devices')),
  )
  .addOption(
    new Option(
      '--ssh-host-key <file>',
      'host key of the SSH CLI, made there when missing (default with --own-addresses: ' +
        `${DEFAULT_LAB_HOST_KEY}; else a new key per start)`,
    ),
  )
  .addOption(new Option('--no-ssh', 'no SSH CLI at all'))
  .addOption(
    new Option('--max-message-size <bytes>', 'largest response (UDP payload)')
      .default(d.maxMessageSize)
      .argParser(int('--max-message-size')),
  )
  .addHelpText(
    'after',
    `
Prints "ready: M devices on A:P..Q" on stdout once every socket is bound.
Device i: sysName sim-<i>; v2c/v1 community "public", except i % 10 == 9, which answers only
SNMPv3 (user nmsv3, authPriv, SHA "nmsv3authpass", AES "nmsv3privpass"); i % 7 == 3 has
32-bit interface counters only. Rates and values: simulator/model.ts and docs/simulator.md.
Devices of the ios, junos and routeros families (i % 4 = 1, 2, 3) among the first --ssh-devices
also answer SSH (user nmsbackup, a password per device: simulator/ssh-model.ts) with their
configuration; \`nms-sim config-change\` over that SSH changes it (docs/config-backup.md).

Examples:
  nms-simulator serve --address 198.19.0.0 --own-addresses --first-port 161 --devices 10000
  nms-simulator serve --devices 20 --first-port 30100 &
  snmpbulkwalk -v2c -c public 127.0.0.1:30100 1.3.6.1.2.1.31.1.1.1.6      # ifHCInOctets
  snmpget -v3 -l authPriv -u nmsv3 -a SHA -A nmsv3authpass -x AES -X nmsv3privpass 127.0.0.1:30109 1.3.6.1.2.1.1.5.0`,
  )
  .action(
    async (opts: {
      address: string;
      devices: number;
      firstPort: number;
      ownAddresses?: boolean;
      firstDevice: number;
      seed: number;
      maxMessageSize: number;
      sshFirstPort?: number;
      sshDevices: number;
      sshHostKey?: string;
      ssh: boolean;
    }) => {
      const started = Date.now();
      const ownAddresses = !!opts.ownAddresses;
      const sshFirstPort = opts.sshFirstPort ?? (ownAddresses ? 22 : undefined);
      const cli =
        // the SSH CLI serves devices 0..n-1: only the simulator that serves device 0 runs it
        opts.ssh && sshFirstPort !== undefined && opts.sshDevices > 0 && opts.firstDevice === 0
          ? new SshCli({
              address: opts.address,
              devices: Math.min(opts.devices, opts.sshDevices),
              ownAddresses,
              sshFirstPort,
              seed: opts.seed,
              hostKey: hostKeyFile(opts.sshHostKey ?? (ownAddresses ? DEFAULT_LAB_HOST_KEY : undefined)),
            })
          : undefined;
      const sim = new Simulator({
        address: opts.address,
        devices: opts.devices,
        firstPort: opts.firstPort,
        ownAddresses,
        firstDevice: opts.firstDevice,
        seed: opts.seed,
        maxMessageSize: opts.maxMessageSize,
      });
      await sim.start();
      await cli?.start();
      const where = ownAddresses
        ? `${sim.endpoint(opts.firstDevice).address}..${sim.endpoint(opts.firstDevice + opts.devices - 1).address} ` +
          `port ${opts.firstPort}`
        : `${opts.address}:${opts.firstPort}..${sim.lastPort}`;
      process.stdout.write(`ready: ${opts.devices} devices on ${where}\n`);
      process.stderr.write(
        JSON.stringify({
          t: new Date().toISOString(),
          level: 'INFO',
          c: 'simulator',
          event: 'ready',
          devices: opts.devices,
          ssh_devices: cli?.devices.length ?? 0,
          startup_ms: Date.now() - started,
          rss_mib: Math.round(process.memoryUsage().rss / 1048576),
        }) + '\n',
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await cli?.close();
      await sim.close();
      process.stderr.write(
        JSON.stringify({ t: new Date().toISOString(), level: 'INFO', c: 'simulator', event: 'stopped', ...sim.stats }) +
          '\n',
      );
    },
  );

program
  .command('devices')
  .description('print the device list (hostname, port, poller group, SNMP credentials) as JSON')
  .addOption(new Option('--address <ip>', 'address the devices are served on').default(d.address))
  .addOption(new Option('--devices <m>', 'number of devices').default(d.devices).argParser(int('--devices')))
  .addOption(
    new Option('--first-port <port>', 'UDP port of device 0').default(d.firstPort).argParser(int('--first-port')),
  )
  .addHelpText('after', '\nExample:\n  nms-simulator devices --address 198.18.0.200 --devices 4 | jq .')
  .action((opts: { address: string; devices: number; firstPort: number }) => {
    const list = Array.from({ length: opts.devices }, (_, i) => ({
      hostname: opts.address,
      port: opts.firstPort + i,
      sysName: sysName(i),
      poller_group: pollerGroup(i),
      counters64: has64BitCounters(i),
      snmp: deviceCredentials(i),
    }));
    process.stdout.write(JSON.stringify({ devices: list }, null, 2) + '\n');
  });

program
  .command('load')
  .description('benchmark running devices: keep N v2c requests in flight for a while, print answers/s as JSON')
  .addOption(new Option('--address <ip>', 'address the devices are served on').default(d.address))
  .addOption(
    new Option('--devices <m>', 'number of devices to spread requests over')
      .default(d.devices)
      .argParser(int('--devices')),
  )
  .addOption(
    new Option('--first-port <port>', 'UDP port of device 0').default(d.firstPort).argParser(int('--first-port')),
  )
  .addOption(new Option('--concurrency <n>', 'requests in flight').default(64).argParser(int('--concurrency')))
  .addOption(new Option('--seconds <s>', 'duration').default(10).argParser(int('--seconds')))
  .addOption(
    new Option('--max-requests <n>', 'stop after this many answers')
      .default(1_000_000)
      .argParser(int('--max-requests')),
  )
  .addOption(
    new Option('--kind <kind>', 'get: 9 scalars; bulk: GETBULK 4 columns x 10 rows')
      .choices(['get', 'bulk'])
      .default('bulk'),
  )
  .addOption(
    new Option('--client <client>', 'raw: prebuilt v2c datagrams; net-snmp: the npm client, v3 devices too')
      .choices(['raw', 'net-snmp'])
      .default('raw'),
  )
  .addHelpText('after', '\nExample:\n  nms-simulator load --devices 10000 --first-port 20000 --seconds 10 --kind bulk')
  .action(
    async (opts: {
      address: string;
      devices: number;
      firstPort: number;
      concurrency: number;
      seconds: number;
      maxRequests: number;
      kind: 'get' | 'bulk';
      client: 'raw' | 'net-snmp';
    }) => {
      const result = await runLoad(opts);
      process.stdout.write(JSON.stringify(result) + '\n');
    },
  );

await runMain(program);
