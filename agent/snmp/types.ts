// What the SNMP layer needs to reach one device, and the varbinds it hands to collectors.

export type SnmpVersion = 'v1' | 'v2c' | 'v3';
export type AuthLevel = 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';

/** One device's SNMP address and (decrypted) credentials. */
export interface SnmpTarget {
  host: string;
  /** UDP port. Default 161. */
  port?: number;
  /** 'udp' (IPv4) or 'udp6'. Default 'udp'. */
  transport?: 'udp' | 'udp6';
  version: SnmpVersion;
  /** v1/v2c community. */
  community?: string;
  /** v3 settings (LibreNMS's column names). */
  authlevel?: AuthLevel;
  authname?: string;
  authpass?: string;
  /** MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512. */
  authalgo?: string;
  cryptopass?: string;
  /** DES, AES, AES-256 (Blumenthal), AES-256-C (Reeder). */
  cryptoalgo?: string;
  /** Per-request timeout in ms, overriding the poller's. */
  timeoutMs?: number;
  /** Retries per request, overriding the poller's. */
  retries?: number;
}

/** A decoded value: numbers, bigints for Counter64, strings for text and OIDs, null for holes. */
export type SnmpValue = number | bigint | string | Buffer | null;

/**
 * One table cell as a walk keeps it: the row is the key it is stored under, so the full OID is
 * not kept (a poll holds some 800 of these while it runs; each OID string kept was garbage the
 * collector had to copy).
 */
export interface Cell {
  /** net-snmp's ObjectType number. */
  type: number;
  value: SnmpValue;
  /**
   * When the agent read it, as best known: midway between request and response (ms since the
   * epoch, sub-ms precision); absent in golden files.
   */
  at?: number;
}

/** One OID and its value, with its SNMP type (net-snmp's ObjectType numbers). */
export interface Varbind extends Cell {
  oid: string;
}
