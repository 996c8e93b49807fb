// An HTTP receiver for alert webhooks in tests: records every JSON body it accepts, and can
// answer 500 to the first `failFirst` requests (a flaky endpoint), or 503 while `down` is set
// (an endpoint that is away for a while).
import { createServer, type Server } from 'node:http';

export class WebhookReceiver {
  readonly accepted: Record<string, unknown>[] = [];
  readonly refused: Record<string, unknown>[] = [];
  readonly headers: Record<string, string | string[] | undefined>[] = [];
  /** While true every request is answered 503 (and recorded in `refused`). */
  down = false;
  private server?: Server;

  constructor(private failFirst = 0) {}

  async start(host = '127.0.0.1'): Promise<number> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(body) as Record<string, unknown>;
        } catch {
          json = { unparsable: body };
        }
        this.headers.push(req.headers);
        if (this.down || this.failFirst > 0) {
          if (!this.down) this.failFirst--;
          this.refused.push(json);
          res.writeHead(this.down ? 503 : 500).end('try later');
          return;
        }
        this.accepted.push(json);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((res) => this.server!.listen(0, host, res));
    return (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((res) => (this.server ? this.server.close(() => res()) : res()));
  }
}
