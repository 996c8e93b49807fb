// `nms-agent probe <address>`: discovery and one poll of any device, printed in LibreNMS's
// table and column names, with nothing written anywhere (no database, no RRD, no config).
import type { Command } from 'commander';
import { UsageError } from '../../lib/errors.js';
import type { AuthLevel, SnmpTarget } from '../snmp/types.js';
import { formatProbe, probeJson, runProbe } from '../poll/probe.js';

interface ProbeFlags {
  port?: string;
  community?: string;
  v1?: boolean;
  v3?: boolean;
  authlevel?: string;
  authname?: string;
  authpass?: string;
  authalgo?: string;
  cryptopass?: string;
  cryptoalgo?: string;
  timeout?: string;
  interval?: string;
  json?: boolean;
}

const V3_FLAGS = ['authlevel', 'authname', 'authpass', 'authalgo', 'cryptopass', 'cryptoalgo'] as const;
const LEVELS = ['noAuthNoPriv', 'authNoPriv', 'authPriv'];

/** The SNMP target the flags describe; UsageError (exit 2) for contradictory or missing ones. */
export function probeTarget(address: string, o: ProbeFlags): SnmpTarget {
  const port = o.port === undefined ? 161 : Number(o.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`--port must be a UDP port number 1-65535 (got ${JSON.stringify(o.port)})`);
  const host = address.replace(/^\[(.*)\]$/, '$1');
  const transport = host.includes(':') ? 'udp6' : 'udp';
  const v3Given = V3_FLAGS.filter((k) => o[k] !== undefined);
  if (o.v3 && o.community !== undefined)
    throw new UsageError('--community is for v1/v2c; with --v3 give --authname and friends');
  if (o.v3 && o.v1) throw new UsageError('choose one of --v1 and --v3');
  if (!o.v3) {
    if (v3Given.length) throw new UsageError(`--${v3Given[0]} needs --v3`);
    return { host, port, transport, version: o.v1 ? 'v1' : 'v2c', community: o.community ?? 'public' };
  }
  const implied = o.cryptopass ? 'authPriv' : o.authpass ? 'authNoPriv' : 'noAuthNoPriv';
  const authlevel = (o.authlevel ?? implied) as AuthLevel;
  if (!LEVELS.includes(authlevel))
    throw new UsageError(`--authlevel must be one of ${LEVELS.join(', ')} (got ${JSON.stringify(o.authlevel)})`);
  if (!o.authname) throw new UsageError('--v3 needs --authname (the v3 user)');
  if (authlevel !== 'noAuthNoPriv' && !o.authpass) throw new UsageError(`--authlevel ${authlevel} needs --authpass`);
  if (authlevel === 'authPriv' && !o.cryptopass) throw new UsageError('--authlevel authPriv needs --cryptopass');
  return {
    host,
    port,
    transport,
    version: 'v3',
    authlevel,
    authname: o.authname,
    authpass: o.authpass,
    authalgo: o.authalgo ?? 'SHA',
    cryptopass: o.cryptopass,
    cryptoalgo: o.cryptoalgo ?? 'AES',
  };
}

function positive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new UsageError(`--${name} must be a number of seconds, 0 or more (got ${JSON.stringify(v)})`);
  return n;
}

export function register(program: Command): void {
  program
    .command('probe <address>')
    .description(
      "Discover and poll one device once, without a database, and print what each module found in LibreNMS's tables.",
    )
    .option('--port <n>', 'UDP port (default 161)')
    .option('--community <c>', 'v1/v2c community (default public)')
    .option('--v1', 'SNMP v1 instead of v2c')
    .option('--v3', 'SNMP v3 (with --authname, --authlevel, --authpass, --authalgo, --cryptopass, --cryptoalgo)')
    .option('--authlevel <level>', 'noAuthNoPriv, authNoPriv or authPriv (default: from the passwords given)')
    .option('--authname <user>', 'v3 user')
    .option('--authpass <password>', 'v3 authentication password')
    .option('--authalgo <algo>', 'MD5, SHA, SHA-224, SHA-256, SHA-384 or SHA-512 (default SHA)')
    .option('--cryptopass <password>', 'v3 privacy password')
    .option('--cryptoalgo <algo>', 'DES, AES, AES-256 or AES-256-C (default AES)')
    .option('--timeout <seconds>', 'per-request timeout (default 2)')
    .option('--interval <seconds>', 'wait between discovery and the poll, so that rates are shown (default 0)')
    .option('--json', 'print the result as JSON (shape: docs/agent-polling.md)')
    .addHelpText(
      'after',
      '\nExamples:\n  nms-agent probe 192.0.2.10 --community public\n' +
        '  nms-agent probe sw1.example.net --v3 --authname nms --authpass secret1 --cryptopass secret2 --json\n',
    )
    .action(async (address: string, o: ProbeFlags) => {
      const target = probeTarget(address, o);
      const r = await runProbe(target, {
        timeoutMs: positive('timeout', o.timeout, 2) * 1000 || 2000,
        intervalS: positive('interval', o.interval, 0),
      });
      process.stdout.write(o.json ? probeJson(r) + '\n' : formatProbe(r));
      if (r.status !== 'up') process.exitCode = 1;
    });
}
