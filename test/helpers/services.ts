// The shared integration services of scripts/test-services.sh (its `env` prints the variables
// read here; the defaults are the ports it starts them on), and a fresh MariaDB database per
// test file: no test meets another's rows, keys or RRD files.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { migrate, openDb, type Db } from '../../agent/db/index.js';

export interface HostPort {
  host: string;
  port: number;
}

function hostPort(name: string, fallback: string): HostPort {
  const [host, port] = (process.env[name] ?? fallback).split(':');
  return { host, port: Number(port) };
}

const dbUrl = new URL(process.env.NMS_TEST_DB ?? 'mysql://nmstest:nmstest@127.0.0.1:13306');

/** Where each shared service listens. */
export const SERVICES = {
  /** MariaDB: the test account, no database chosen. */
  db: {
    host: dbUrl.hostname,
    port: Number(dbUrl.port),
    user: decodeURIComponent(dbUrl.username),
    password: decodeURIComponent(dbUrl.password),
  },
  /** The same as a URL (mysql://user:password@host:port). */
  dbUrl: dbUrl.href.replace(/\/$/, ''),
  redis: hostPort('NMS_TEST_REDIS', '127.0.0.1:16379'),
  memcached: hostPort('NMS_TEST_MEMCACHED', '127.0.0.1:11311'),
  /** rrdcached over TCP (host:port, as the agent's option takes it). */
  rrdcached: process.env.NMS_TEST_RRDCACHED ?? '127.0.0.1:42227',
  /** The same rrdcached's unix socket and base directory. */
  rrdcachedSocket: process.env.NMS_TEST_RRDCACHED_SOCK ?? '/tmp/nms-test-services/rrdcached.sock',
  rrdDir: process.env.NMS_TEST_RRD_DIR ?? '/tmp/nms-test-services/rrd',
  /** Debian's snmpd (v2c `public`, v3 `nmsv3`). */
  snmpd: hostPort('NMS_TEST_SNMPD', '127.0.0.1:16161'),
  /** snmpsim with Debian's example recordings. */
  snmpsim: hostPort('NMS_TEST_SNMPSIM', '127.0.0.1:16162'),
} as const;

/** `host:port` of a service. */
export const address = (s: HostPort): string => `${s.host}:${s.port}`;

/** A database (or key prefix) name no other test file or run uses at the same time: nms_<tag>_<pid>. */
export function freshName(tag: string): string {
  return `nms_${tag}_${process.pid}`;
}

/** Connection settings for `database` on the test MariaDB. */
export function dbTarget(database: string) {
  return { ...SERVICES.db, database };
}

export interface TestDb {
  db: Db;
  database: string;
  /** Drops the database and closes the pool (safe when the set-up failed half-way). */
  drop(): Promise<void>;
}

/** Creates `database` (freshName's) and migrates it, with the APP_KEY check value of appKey. */
export async function openTestDb(database: string, appKey: string): Promise<TestDb> {
  const db = await openDb(dbTarget(database), { createDatabase: true });
  await migrate(db, { appKey });
  return {
    db,
    database,
    async drop() {
      await db.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await db.end();
    },
  };
}

export interface PrivateRrdcached {
  /** `unix:<dir>/sock`, for RrdcachedClient and the agent's `rrdcached` setting. */
  address: string;
  child: ChildProcess;
  /** Stops the daemon (the directory stays the test's to remove). */
  stop(): void;
}

/**
 * An rrdcached of the test's own in `dir` (file names such as port-id<N> must not meet those of
 * other test databases): base directory `dir`, writes every hour, listening on `dir/sock`.
 */
export async function startPrivateRrdcached(dir: string): Promise<PrivateRrdcached> {
  const child = spawn(
    'rrdcached',
    ['-g', '-b', dir, '-B', '-R', '-F', '-w', '3600', '-l', `unix:${dir}/sock`, '-p', `${dir}/pid`],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 50 && !existsSync(`${dir}/sock`); i++) await new Promise((r) => setTimeout(r, 100));
  return { address: `unix:${dir}/sock`, child, stop: () => child.kill('SIGTERM') };
}

export interface AgentEnv {
  database: string;
  appKey: string;
  nodeId: string;
  /** NMS_USER (default nms). */
  user?: string;
  /** More KEY=value lines. */
  extra?: string[];
}

/** The text of an agent's .env pointing at the shared MariaDB (this database) and Redis. */
export function agentEnv(o: AgentEnv): string {
  return (
    [
      `DB_HOST=${SERVICES.db.host}`,
      `DB_PORT=${SERVICES.db.port}`,
      `DB_DATABASE=${o.database}`,
      `DB_USERNAME=${SERVICES.db.user}`,
      `DB_PASSWORD=${SERVICES.db.password}`,
      `REDIS_HOST=${SERVICES.redis.host}`,
      `REDIS_PORT=${SERVICES.redis.port}`,
      'REDIS_PASSWORD=',
      'REDIS_DB=0',
      `APP_KEY=${o.appKey}`,
      `NODE_ID=${o.nodeId}`,
      `NMS_USER=${o.user ?? 'nms'}`,
      ...(o.extra ?? []),
    ].join('\n') + '\n'
  );
}
