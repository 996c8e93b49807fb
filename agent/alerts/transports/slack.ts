// Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat): `{ text }` plus optional
// channel and user name.
import type { TransportConfig } from '../../../lib/alerts.js';
import { postJson, summary, type Transport } from './common.js';

export function slackTransport(c: TransportConfig): Transport {
  return {
    name: c.name,
    send: (p) =>
      postJson(
        c.url ?? '',
        {
          text:
            `${p.state === 'alert' ? ':red_circle:' : ':large_green_circle:'} ${summary(p)}` +
            ` (${p.hostname}, alert ${p.alert_id}, ${p.timestamp})`,
          ...(c.channel ? { channel: c.channel } : {}),
          ...(c.username ? { username: c.username } : {}),
        },
        c.timeout,
      ),
  };
}
