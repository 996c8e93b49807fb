// The port counters: what the ports collectors read, the ports upsert stores and the schema's
// ports table has a column (with _prev, _delta and _rate) for.

/** The 15 port counters LibreNMS keeps (current value, previous, delta and rate each). */
export const PORT_COUNTERS = [
  'ifInUcastPkts',
  'ifOutUcastPkts',
  'ifInErrors',
  'ifOutErrors',
  'ifInOctets',
  'ifOutOctets',
  'ifInNUcastPkts',
  'ifOutNUcastPkts',
  'ifInDiscards',
  'ifOutDiscards',
  'ifInUnknownProtos',
  'ifInBroadcastPkts',
  'ifOutBroadcastPkts',
  'ifInMulticastPkts',
  'ifOutMulticastPkts',
] as const;
export type PortCounter = (typeof PORT_COUNTERS)[number];
