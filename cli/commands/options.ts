// Options several `nms` commands share.
import { Option } from 'commander';
import { inventoryDirOf } from '../inventory/load.js';

/**
 * `-i, --inventory <dir>`, required, or $NMS_INVENTORY: no command guesses which cluster it acts
 * on (only `nms lab ...` knows the lab's). A file of the inventory stands for its directory.
 */
export function inventoryOption(description = 'inventory directory'): Option {
  return new Option('-i, --inventory <dir>', `${description} (or set NMS_INVENTORY)`)
    .env('NMS_INVENTORY')
    .makeOptionMandatory()
    .argParser(inventoryDirOf);
}
