// `/device/<id>/port/<port_id>`: a port's details and its bits, packets, errors and discards graphs.
import { rows } from '../common/db.js';
import { html } from '../common/html.js';
import { HttpError, htmlReply, type Reply, type WebRequest } from '../common/http.js';
import { graphImg, page, portStatus, rangeBar, si, when } from '../common/layout.js';
import type { WebContext } from '../common/context.js';
import { deviceHeader, headItem, loadDevice, pageRange } from './device.js';

const GRAPHS: [string, string][] = [
  ['port_bits', 'Traffic'],
  ['port_upkts', 'Unicast packets'],
  ['port_nupkts', 'Non-unicast packets'],
  ['port_errors', 'Errors'],
  ['port_discards', 'Discards'],
];

export async function portPage(ctx: WebContext, req: WebRequest): Promise<Reply> {
  const [deviceId, portId] = [Number(req.params[0]), Number(req.params[1])];
  const d = await loadDevice(ctx, deviceId);
  const [p] = await rows(
    ctx.db,
    `SELECT port_id, ifIndex, ifName, ifDescr, ifAlias, ifType, ifOperStatus, ifAdminStatus,
    ifSpeed, ifHighSpeed, ifMtu, ifPhysAddress, ifLastChange, ifInOctets_rate, ifOutOctets_rate, ifInErrors_rate,
    ifOutErrors_rate, poll_time
    FROM ports WHERE port_id = ? AND device_id = ?`,
    [portId, deviceId],
  );
  if (!p) throw new HttpError(404, `device ${deviceId} has no port ${portId}`);
  const r = pageRange(req.query);
  const name = String(p.ifName || p.ifDescr);
  const item = (label: string, v: unknown) => headItem(label, v);
  const speed = p.ifHighSpeed ? si(Number(p.ifHighSpeed) * 1e6, 'bps') : si(p.ifSpeed, 'bps');
  const rates = `${si(Number(p.ifInOctets_rate) * 8, 'bps')} / ${si(Number(p.ifOutOctets_rate) * 8, 'bps')}`;
  const errors = `${si(p.ifInErrors_rate, '/s')} / ${si(p.ifOutErrors_rate, '/s')}`;
  const polled = p.poll_time ? when(new Date(Number(p.poll_time) * 1000)) : null;
  const figures = GRAPHS.map(
    ([type, label]) =>
      html`<figure>
        <figcaption>${label}</figcaption>
        ${graphImg(type, portId, r.from, r.to, 700, 180)}
      </figure>`,
  );
  const body = html`${deviceHeader(d)}
    <h2><a href="/device/${deviceId}/ports">Ports</a> › ${name} ${portStatus(p.ifOperStatus, p.ifAdminStatus)}</h2>
    <dl class="head">
      ${item('Description', p.ifDescr)}${item('Alias', p.ifAlias)}${item('Type', p.ifType)}
      ${item('ifIndex', p.ifIndex)}${item('Speed', speed)}${item('MTU', p.ifMtu)}${item('MAC', p.ifPhysAddress)}
      ${item('In / Out now', rates)}${item('Errors in / out', errors)}${item('Last polled', polled)}
    </dl>
    ${rangeBar(`/device/${deviceId}/port/${portId}`, r.from)}
    <div class="graphs">${figures}</div>`;
  return htmlReply(page(req, `${name} · ${String(d.hostname)}`, body));
}
