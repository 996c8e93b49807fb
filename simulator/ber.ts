// The BER codec lives in lib/ber.ts (shared with the agent's SNMP client); re-exported here.
export * from '../lib/ber.js';
