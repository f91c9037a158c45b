import type { SendOutcome } from '../../notify';
import { signWebhookBody } from './signature';

export interface WebhookRequest {
  url: string;
  secret: string;
  deliveryId: string;
  event: string;
  /** The JSON body, sent as is. */
  body: string;
  timeoutMs: number;
}

/** The outcome of one POST, with the HTTP status when there was an answer. */
export type WebhookAnswer = SendOutcome & { status?: number };

/**
 * POSTs one signed delivery. 2xx → delivered; 429, 5xx, a timeout or a network error →
 * retryable (after Retry-After when the receiver sent one); anything else → refused for
 * good. Redirects are not followed: the signed request goes to the subscribed URL only.
 */
export async function postWebhook(req: WebhookRequest): Promise<WebhookAnswer> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  try {
    const response = await fetch(req.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'StateTrace-Webhooks/1',
        'X-StateTrace-Event': req.event,
        'X-StateTrace-Delivery': req.deliveryId,
        'X-StateTrace-Timestamp': timestamp,
        'X-StateTrace-Signature': signWebhookBody(req.secret, timestamp, req.body),
      },
      body: req.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    // Read (and drop) the answer so the connection is released.
    await response.arrayBuffer().catch(() => undefined);
    const { status } = response;
    if (response.ok) return { ok: true, retryable: false, status };
    const retryable = status === 429 || status >= 500;
    const retryAfterMs = retryable ? retryAfter(response.headers.get('retry-after')) : undefined;
    return { ok: false, retryable, status, error: `HTTP ${status}`, ...(retryAfterMs ? { retryAfterMs } : {}) };
  } catch (err) {
    const e = err as Error;
    if (e.name === 'TimeoutError') return { ok: false, retryable: true, error: `no answer within ${req.timeoutMs} ms` };
    // fetch reports connection problems as "fetch failed" with the reason in `cause`.
    const cause = (e.cause as Error | undefined)?.message;
    return { ok: false, retryable: true, error: `request failed: ${e.message}${cause ? ` (${cause})` : ''}` };
  }
}

/** Retry-After in ms: delay-seconds or an HTTP date; undefined when absent or unreadable. */
function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const ms = /^\d+$/.test(header.trim()) ? Number(header) * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
