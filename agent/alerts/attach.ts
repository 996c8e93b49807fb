// Wires the alert engine to a dispatcher: each tick of the elected dispatcher runs one engine
// round; the configuration comes from the node's config.yaml (`alerts`) and .env
// (ALERT_SECRETS), re-read on every round so SIGHUP applies. Config problems are logged once.
import type { NodeConfig } from '../../lib/node-config.js';
import type { Logger } from '../../lib/log.js';
import { alertsFromSettings, type AlertsConfig } from '../../lib/alerts.js';
import type { Db } from '../db/index.js';
import type { Dispatcher, TickResult } from '../coord/dispatcher.js';
import { AlertEngine } from './engine.js';

export function attachAlerts(
  dispatcher: Dispatcher,
  o: { db: Db; log: Logger; config: () => NodeConfig },
): AlertEngine {
  let last: { settings: unknown; secrets: string; config: AlertsConfig } | undefined;
  const config = (): AlertsConfig => {
    const c = o.config();
    if (last && last.settings === c.settings.alerts && last.secrets === c.env.ALERT_SECRETS) return last.config;
    const { config: parsed, problems } = alertsFromSettings(c.settings.alerts, c.env.ALERT_SECRETS);
    for (const p of problems) o.log.warn('alerts_config_problem', { problem: p });
    last = { settings: c.settings.alerts, secrets: c.env.ALERT_SECRETS, config: parsed };
    return parsed;
  };
  const engine = new AlertEngine({
    db: o.db,
    log: o.log,
    owner: dispatcher.token,
    config,
    pollerFrequency: () => o.config().settings.service_poller_frequency,
  });
  dispatcher.on('tick', (r: TickResult) => engine.onTick(r.master));
  return engine;
}
