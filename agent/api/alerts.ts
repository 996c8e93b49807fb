// `/api/v0/alerts` (LibreNMS's list_alerts and get_alert): the active alerts by default, or
// one state (`state=0|1|2`) or severity; one alert by id whatever its state. Read only: an
// acknowledgement goes through `nms alert ack` (agent command `alert ack`).
import { HttpError, type Route } from './route.js';
import { listAlerts } from '../alerts/store.js';

const SEVERITIES = ['ok', 'warning', 'critical'];
const got = (v: string) => ` (got ${JSON.stringify(v)})`;

export function alertRoutes(): Route[] {
  return [
    {
      pattern: /^\/api\/v0\/alerts$/,
      params: [],
      query: ['state', 'severity'],
      handle: async (ctx, req) => {
        const state = req.query.get('state');
        const severity = req.query.get('severity');
        if (state !== null && !/^[012]$/.test(state))
          throw new HttpError(400, `state must be 0 (ok), 1 (alerting) or 2 (acknowledged)${got(state)}`);
        if (severity !== null && !SEVERITIES.includes(severity))
          throw new HttpError(400, `severity must be one of ${SEVERITIES.join(', ')}${got(severity)}`);
        const alerts = await listAlerts(ctx.db, {
          ...(state !== null ? { state: Number(state) } : {}),
          ...(severity !== null ? { severity } : {}),
          timeoutMs: ctx.queryTimeoutMs,
        });
        return { status: 'ok', count: alerts.length, alerts };
      },
    },
    {
      pattern: /^\/api\/v0\/alerts\/([^/]+)$/,
      params: ['id'],
      query: [],
      handle: async (ctx, req) => {
        const id = Number(req.params.id);
        if (!Number.isSafeInteger(id) || id < 1)
          throw new HttpError(400, `alert id must be a positive whole number (got ${JSON.stringify(req.params.id)})`);
        const alerts = await listAlerts(ctx.db, { id, timeoutMs: ctx.queryTimeoutMs });
        if (alerts.length === 0) throw new HttpError(404, `no alert with id ${id}`);
        return { status: 'ok', count: 1, alerts };
      },
    },
  ];
}
