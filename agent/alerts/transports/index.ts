// The transports by type. Each delivers one notification (an outbox row's payload) or throws
// a DeliveryError (common.ts).
import type { TransportConfig } from '../../../lib/alerts.js';
import type { Transport } from './common.js';
import { webhookTransport } from './webhook.js';
import { slackTransport } from './slack.js';
import { emailTransport } from './email.js';

export { DeliveryError, type AlertPayload, type Transport } from './common.js';

export function makeTransport(c: TransportConfig): Transport {
  switch (c.type) {
    case 'webhook':
      return webhookTransport(c);
    case 'slack':
      return slackTransport(c);
    case 'email':
      return emailTransport(c);
  }
}
