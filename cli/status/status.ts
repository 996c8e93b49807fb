// `nms status` as a plain function: load the inventory, ask every node, analyse. Returns the
// report; printing and the exit code belong to the command (cli/commands/status.ts).
import { loadInventory } from '../inventory/load.js';
import type { HostSpec, Inventory } from '../inventory/types.js';
import { analyseStatus } from './analyse.js';
import { collectStatus, sshFor } from './collect.js';
import { collectRedisTopology } from './redis-topology.js';
import type { StatusReport } from './types.js';

export interface StatusOptions {
  /** Inventory directory. */
  inventory: string;
  /** Per-check timeout on the nodes. Default 1500 ms. */
  checkTimeoutMs?: number;
  strictHostKeys?: boolean;
  onNewHostKey?: (host: string, fingerprint: string) => void;
}

/** The host the cluster view and the API are checked on: the one serving the web/API. */
export function masterOf(inv: Inventory): HostSpec {
  return inv.services.web;
}

export async function runStatus(o: StatusOptions, loaded?: Inventory): Promise<StatusReport> {
  const inventory = loaded ?? (await loadInventory(o.inventory));
  const master = masterOf(inventory);
  const t0 = Date.now();
  const keys = { strictHostKeys: o.strictHostKeys, onNewHostKey: o.onNewHostKey };
  const [answers, redis] = await Promise.all([
    collectStatus({ inventory, master, checkTimeoutMs: o.checkTimeoutMs, ...keys }),
    collectRedisTopology(inventory, (h) => sshFor(inventory, h, keys)),
  ]);
  return analyseStatus({
    inventory,
    inventoryArg: o.inventory,
    master,
    answers,
    checkedAt: new Date(t0),
    durationMs: Date.now() - t0,
    redis,
  });
}
