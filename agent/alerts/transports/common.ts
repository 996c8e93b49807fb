// What every transport shares: the interface, the error whose message is safe to log and
// store (never the URL, headers or passwords), a one-line summary and a JSON POST with a timeout.
import { NmsError } from '../../../lib/errors.js';

export class DeliveryError extends NmsError {}

/** What a transport receives (stored in the outbox as JSON, so a retry sends the same). */
export interface AlertPayload {
  alert_id: number;
  log_id: number;
  rule: string;
  severity: string;
  /** `alert` when raised, `recovered` when it cleared. */
  state: 'alert' | 'recovered';
  device_id: number;
  hostname: string;
  entity: string;
  message: string;
  timestamp: string;
}

export interface Transport {
  readonly name: string;
  send(payload: AlertPayload): Promise<void>;
  close?(): void;
}

/** A one-line summary for chat and mail subjects. */
export function summary(p: AlertPayload): string {
  const what = p.state === 'alert' ? `${p.severity.toUpperCase()} ${p.rule}` : `RECOVERED ${p.rule}`;
  return `${what}: ${p.message}`;
}

/** POSTs JSON with a timeout; a non-2xx answer or a network failure is a DeliveryError. */
export async function postJson(
  url: string,
  body: unknown,
  timeoutSeconds: number,
  headers: Record<string, string> = {},
): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'nms-agent', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError') throw new DeliveryError(`no answer within ${timeoutSeconds} s`);
    throw new DeliveryError(`request failed: ${e.cause?.code ?? e.name}`);
  }
  await res.body?.cancel().catch(() => undefined);
  if (res.status < 200 || res.status > 299) throw new DeliveryError(`HTTP ${res.status}`);
}
