// Who may read /metrics: loopback, and the addresses and networks of the `metrics_allow` setting
// (the cluster's nodes and the inventory's Prometheus servers, written by the deploy). Checked by
// the agent itself, because pollers carry no firewall of their own.
import { BlockList, isIP } from 'node:net';

export class MetricsAccess {
  private readonly list = new BlockList();

  constructor(allow: readonly string[]) {
    this.list.addAddress('127.0.0.1', 'ipv4');
    this.list.addAddress('::1', 'ipv6');
    for (const entry of allow) {
      const [addr, prefix] = entry.split('/');
      const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
      if (!isIP(addr)) continue; // config validation refuses these; a name cannot be matched here
      if (prefix === undefined) this.list.addAddress(addr, type);
      else this.list.addSubnet(addr, Number(prefix), type);
    }
  }

  /** Whether a peer (as node reports `socket.remoteAddress`, IPv4-mapped forms included) may scrape. */
  allows(remote: string | undefined): boolean {
    if (!remote) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote);
    const addr = mapped ? mapped[1] : remote;
    const family = isIP(addr);
    if (!family) return false;
    return this.list.check(addr, family === 6 ? 'ipv6' : 'ipv4');
  }
}
