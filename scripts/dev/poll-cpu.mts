// Dev aid: CPU per poll of the simulator's 48-port device 0 (linux family) through the real
// Poller (no RRD), with every module, and with processors/mempools/storage/sensors switched off
// for the device (devices_attribs poll_<module> = 0), as the difference the modules make.
// Run: node --import tsx scripts/dev/poll-cpu.mts [polls]   (MariaDB from NMS_TEST_DB)
import { Simulator } from '../../simulator/server.js';
import { deviceCredentials } from '../../simulator/model.js';
import { generateAppKey } from '../../lib/crypto.js';
import { addDevice, migrate, openDb } from '../../agent/db/index.js';
import { Poller } from '../../agent/poll/poller.js';

const POLLS = Number(process.argv[2] ?? 40);
const url = new URL(process.env.NMS_TEST_DB ?? 'mysql://nmstest:nmstest@127.0.0.1:13306');
const database = `nms_pollcpu_${process.pid}`;
const appKey = generateAppKey();
const sim = new Simulator({ address: '127.0.0.1', devices: 1, firstPort: 29700 });
await sim.start();
const db = await openDb(
  { host: url.hostname, port: Number(url.port), user: url.username, password: url.password, database },
  { createDatabase: true },
);
try {
  await migrate(db, { appKey });
  const poller = new Poller({ db, appKey, snmpTimeoutMs: 2000 });
  const id = await addDevice(db, appKey, { hostname: '127.0.0.1', port: 29700, snmp: deviceCredentials(0) });
  await poller.discoverDevice(id);
  const measure = async () => {
    for (let i = 0; i < 5; i++) await poller.pollDevice(id); // warm
    const c0 = process.cpuUsage();
    for (let i = 0; i < POLLS; i++) await poller.pollDevice(id);
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000 / POLLS;
  };
  const all = await measure();
  for (const m of ['processors', 'mempools', 'storage', 'sensors'])
    await db.query('INSERT INTO devices_attribs (device_id, attrib_type, attrib_value) VALUES (?, ?, ?)', [
      id,
      `poll_${m}`,
      '0',
    ]);
  const without = await measure();
  console.log(
    JSON.stringify({
      polls: POLLS,
      cpuMsPerPollAllModules: Math.round(all * 100) / 100,
      cpuMsPerPollPortsOnly: Math.round(without * 100) / 100,
    }),
  );
} finally {
  await db.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await db.end();
  await sim.close();
}
