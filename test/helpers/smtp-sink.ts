// A tiny SMTP server for tests: greets, accepts any sender and recipients, stores each message
// (envelope and raw text), offers no STARTTLS and no AUTH. Enough for nodemailer.
import { createServer, type Server, type Socket } from 'node:net';

export interface SinkMessage {
  from: string;
  to: string[];
  data: string;
}

export class SmtpSink {
  readonly messages: SinkMessage[] = [];
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  async start(host = '127.0.0.1'): Promise<number> {
    this.server = createServer((s) => this.session(s));
    await new Promise<void>((res) => this.server!.listen(0, host, res));
    return (this.server.address() as { port: number }).port;
  }

  private session(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => undefined);
    let buf = '';
    let inData = false;
    let cur: SinkMessage = { from: '', to: [], data: '' };
    const reply = (line: string) => s.write(`${line}\r\n`);
    reply('220 sink ESMTP');
    s.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          if (end < 0) return;
          cur.data = buf.slice(0, end).replace(/\r\n\.\./g, '\r\n.');
          buf = buf.slice(end + 5);
          this.messages.push(cur);
          cur = { from: '', to: [], data: '' };
          inData = false;
          reply('250 queued');
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') reply('250-sink\r\n250 8BITMIME');
        else if (verb === 'HELO') reply('250 sink');
        else if (verb === 'MAIL') {
          cur.from = line
            .replace(/^MAIL FROM:\s*/i, '')
            .replace(/[<>]/g, '')
            .split(' ')[0];
          reply('250 ok');
        } else if (verb === 'RCPT') {
          cur.to.push(line.replace(/^RCPT TO:\s*/i, '').replace(/[<>]/g, ''));
          reply('250 ok');
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 go ahead');
        } else if (verb === 'QUIT') {
          reply('221 bye');
          s.end();
        } else if (verb === 'RSET' || verb === 'NOOP') reply('250 ok');
        else reply('502 not implemented');
      }
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((res) => (this.server ? this.server.close(() => res()) : res()));
  }
}
