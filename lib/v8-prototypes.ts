// V8 puts a prototype that gains a subclass (`class X extends String`) into its setup mode, a
// dictionary of properties, and takes it out when an object below it gets a property of its
// own; until then optimized code reaches the prototype's methods through a generic property
// load. ioredis 6 declares `class VerbatimString extends String` when it loads and makes one
// only for a RESP3 verbatim reply, which nms never asks for: String.prototype stayed a
// dictionary for the agent's whole life, and every string method call of the hot path
// (charCodeAt, startsWith, slice ... in the walk, the codec and mysql2's escaping) with it. In a
// perf profile at 2,000 devices that generic load was 11 % of the agent's CPU (1.5 % in the
// Poller alone, which does not load ioredis); after this, the agent's CPU a device fell from
// 5.83 to 4.69 ms in the same trial. Writable.prototype is left the same way by a subclass
// nobody instantiates here.
import { Writable } from 'node:stream';

/** The prototypes settled: the ones found in setup mode in the agent, and their relatives. */
const PROTOTYPES: object[] = [String.prototype, Number.prototype, Writable.prototype, Error.prototype];

/** Takes the built-in prototypes out of V8's setup mode; call once every module has loaded. */
export function settlePrototypes(): void {
  for (const proto of PROTOTYPES) (Object.create(proto) as { settled?: boolean }).settled = true;
}
