import { signWebhookBody } from '../channels/webhook/signature';
import { errorMessage, truncate, type ExecutorOutcome } from './types';

export interface WebhookRequest {
  url: string;
  secret: string;
  timeoutSec: number;
  idempotencyKey: string;
  payload: Record<string, unknown>;
}

/**
 * POSTs the payload as JSON, signed. A 2xx answer is success; any other status, a timeout or
 * a connection error is a failed run. Redirects are not followed: the signed request goes
 * to the configured URL only.
 */
export async function postWebhook(req: WebhookRequest): Promise<ExecutorOutcome> {
  const body = JSON.stringify(req.payload);
  const timestamp = String(Math.floor(Date.now() / 1000));
  try {
    const response = await fetch(req.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-StateTrace-Signature': signWebhookBody(req.secret, timestamp, body),
        'X-StateTrace-Timestamp': timestamp,
        'Idempotency-Key': req.idempotencyKey,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(req.timeoutSec * 1000),
    });
    const text = truncate(await response.text());
    return { ok: response.ok, detail: [`HTTP ${response.status}`, text].filter(Boolean).join('; ') };
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return { ok: false, detail: `timed out after ${req.timeoutSec}s` };
    // fetch reports connection problems as "fetch failed" with the reason in `cause`.
    const cause = (err as Error).cause;
    return { ok: false, detail: `request failed: ${errorMessage(err)}${cause ? ` (${errorMessage(cause)})` : ''}` };
  }
}
