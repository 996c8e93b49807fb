// Active alerts as the cluster view (`nms-agent cluster-status`, read by `nms status`) shows
// them: a short summary per alert; the API has the full rows.
import type { Db } from '../db/index.js';
import type { AlertSummary } from '../../lib/contracts/cluster-view.js';
import { listAlerts } from './store.js';

export async function alertSummaries(db: Pick<Db, 'query'>, limit = 20, timeoutMs = 3000): Promise<AlertSummary[]> {
  return (await listAlerts(db, { limit, timeoutMs })).map((a) => ({
    id: a.id,
    rule: a.rule,
    severity: a.severity,
    state: a.state_name,
    device_id: a.device_id,
    hostname: a.hostname,
    entity: a.entity,
    message: a.message,
    since: a.timestamp,
  }));
}
