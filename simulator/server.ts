// The simulator's sockets: one UDP socket per device (device i on firstPort + i, or with
// ownAddresses on an address of its own and port firstPort), all served by one SimAgent in this
// process. Owns the sockets; start() binds them all or none, close() frees them.
import dgram from 'node:dgram';
import { LabError } from '../lib/errors.js';
import { createLogger } from '../lib/log.js';
import { deviceAddress, MAX_OWN_ADDRESSES } from '../lib/device-addresses.js';
import { SimAgent, type AgentStats } from './agent.js';

export interface SimulatorOptions {
  /** IPv4 address to bind. Default 127.0.0.1. */
  address?: string;
  /** Number of devices, 1..50000 (one socket each: the open-files limit must be above it). Default 10. */
  devices?: number;
  /** UDP port of device 0; device i answers on firstPort + i. Default 16100. */
  firstPort?: number;
  /**
   * Every device on an address of its own (lib/device-addresses.ts's deviceAddress(i, address)), all on
   * port firstPort; `address` is then the network's base. Default false (one address).
   */
  ownAddresses?: boolean;
  /**
   * Index of the first device served: devices firstDevice..firstDevice+devices-1, each with the data
   * and credentials of its index (a large fleet split over several simulator processes). Default 0.
   */
  firstDevice?: number;
  /** Seed of the deterministic data. Default 1. */
  seed?: number;
  /** Largest response in bytes. Default 1472. */
  maxMessageSize?: number;
  /** Kernel receive buffer per socket in bytes; 0 keeps the system default. Default 0. */
  recvBufferSize?: number;
}

export const DEFAULT_SIMULATOR_OPTIONS: Required<SimulatorOptions> = {
  address: '127.0.0.1',
  devices: 10,
  firstPort: 16100,
  ownAddresses: false,
  firstDevice: 0,
  seed: 1,
  maxMessageSize: 1472,
  recvBufferSize: 0,
};

export const MAX_DEVICES = 50000;
const log = createLogger('simulator');
/** Internal errors logged in full before the rest are only counted. */
const LOGGED_BUGS = 10;

export class Simulator {
  readonly options: Required<SimulatorOptions>;
  readonly agent: SimAgent;
  private sockets: dgram.Socket[] = [];
  private started = false;
  /** Requests that hit a bug in the simulator (answered with nothing, the process goes on). */
  bugs = 0;

  constructor(options: SimulatorOptions = {}) {
    const o = { ...DEFAULT_SIMULATOR_OPTIONS, ...options };
    if (!Number.isInteger(o.devices) || o.devices < 1 || o.devices > MAX_DEVICES) {
      throw new LabError(`--devices must be an integer from 1 to ${MAX_DEVICES}, got ${o.devices}`);
    }
    if (
      !Number.isInteger(o.firstPort) ||
      o.firstPort < 1 ||
      o.firstPort + (o.ownAddresses ? 0 : o.devices - 1) > 65535
    ) {
      throw new LabError(`--first-port ${o.firstPort} with ${o.devices} devices runs past port 65535`);
    }
    if (!Number.isInteger(o.firstDevice) || o.firstDevice < 0)
      throw new LabError(`--first-device must be a non-negative integer, got ${o.firstDevice}`);
    if (o.ownAddresses && o.firstDevice + o.devices > MAX_OWN_ADDRESSES) {
      throw new LabError(`at most ${MAX_OWN_ADDRESSES} devices have addresses of their own (the last one counts)`);
    }
    if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff)
      throw new LabError(`--seed must be an integer from 0 to 4294967295, got ${o.seed}`);
    this.options = o;
    this.agent = new SimAgent({ seed: o.seed, maxMessageSize: o.maxMessageSize });
  }

  get stats(): AgentStats {
    return this.agent.stats;
  }

  /** The last port in use. */
  get lastPort(): number {
    return this.options.ownAddresses ? this.options.firstPort : this.options.firstPort + this.options.devices - 1;
  }

  /** Where device i (its index in the whole fleet) listens. */
  endpoint(i: number): { address: string; port: number } {
    const { address, firstPort, ownAddresses, firstDevice } = this.options;
    return ownAddresses
      ? { address: deviceAddress(i, address), port: firstPort }
      : { address, port: firstPort + i - firstDevice };
  }

  /** Binds every device's socket; on any failure closes those already bound and throws. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { devices, firstDevice } = this.options;
    const end = firstDevice + devices;
    // bind in batches: all at once would open every socket before the first bind fails
    const batch = 500;
    try {
      for (let first = firstDevice; first < end; first += batch) {
        const binds: Promise<void>[] = [];
        for (let i = first; i < Math.min(end, first + batch); i++) {
          const at = this.endpoint(i);
          binds.push(this.bindOne(i, at.address, at.port));
        }
        await Promise.all(binds);
      }
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  private bindOne(device: number, address: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: this.options.recvBufferSize || undefined });
      this.sockets.push(socket);
      const agent = this.agent;
      const onError = (err: NodeJS.ErrnoException) => {
        reject(
          new LabError(`cannot bind UDP ${address}:${port} for device ${device}: ${err.code ?? err.message}`, {
            hint:
              err.code === 'EMFILE'
                ? 'raise the open-files limit (ulimit -n) above the number of devices'
                : 'choose another --first-port or --address',
          }),
        );
      };
      socket.once('error', onError);
      socket.on('message', (msg, rinfo) => {
        let out: Buffer | null;
        try {
          out = agent.handle(device, msg);
        } catch (err) {
          // one odd packet must not take every simulated device down with it
          if (++this.bugs <= LOGGED_BUGS)
            log.error('request failed', {
              device,
              packet: msg.toString('hex'),
              error: (err as Error).stack ?? String(err),
            });
          return;
        }
        if (out) socket.send(out, rinfo.port, rinfo.address);
      });
      socket.bind({ port, address, exclusive: true }, () => {
        socket.off('error', onError);
        // after binding, a send error (e.g. the client went away) must not end the simulator
        socket.on('error', () => undefined);
        resolve();
      });
    });
  }

  /** Closes every socket; safe to call twice. */
  async close(): Promise<void> {
    const sockets = this.sockets;
    this.sockets = [];
    this.started = false;
    await Promise.all(
      sockets.map(
        (s) =>
          new Promise<void>((resolve) => {
            try {
              s.close(() => resolve());
            } catch {
              resolve(); // never bound or already closed
            }
          }),
      ),
    );
  }
}
