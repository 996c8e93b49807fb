// Generic webhook: the alert payload as JSON, POSTed to `url` with the configured headers.
import type { TransportConfig } from '../../../lib/alerts.js';
import { postJson, type Transport } from './common.js';

export function webhookTransport(c: TransportConfig): Transport {
  return {
    name: c.name,
    send: (p) => postJson(c.url ?? '', p, c.timeout, c.headers),
  };
}
