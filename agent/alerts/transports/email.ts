// Email over SMTP with nodemailer: STARTTLS when the server offers it, TLS from the start with
// `secure`, a login when `user` is set. One pooled-less transport per send keeps no socket
// open between alerts.
import nodemailer from 'nodemailer';
import type { TransportConfig } from '../../../lib/alerts.js';
import { DeliveryError, summary, type Transport } from './common.js';

export function emailTransport(c: TransportConfig): Transport {
  return {
    name: c.name,
    send: async (p) => {
      const ms = c.timeout * 1000;
      const mailer = nodemailer.createTransport({
        host: c.host,
        port: c.port ?? 25,
        secure: c.secure ?? false,
        ...(c.user ? { auth: { user: c.user, pass: c.password ?? '' } } : {}),
        connectionTimeout: ms,
        greetingTimeout: ms,
        socketTimeout: ms,
      });
      try {
        await mailer.sendMail({
          from: c.from,
          to: (c.to ?? []).join(', '),
          subject: summary(p).slice(0, 200),
          text: [
            summary(p),
            '',
            `Device:   ${p.hostname} (id ${p.device_id})`,
            `Entity:   ${p.entity || '-'}`,
            `Rule:     ${p.rule} (${p.severity})`,
            `Alert:    ${p.alert_id}`,
            `Time:     ${p.timestamp}`,
            '',
          ].join('\n'),
        });
      } catch (err) {
        const e = err as Error & { code?: string; responseCode?: number };
        throw new DeliveryError(`SMTP failed: ${e.responseCode ?? e.code ?? e.name}`);
      } finally {
        mailer.close();
      }
    },
  };
}
