import { outboundRefusal, type OutboundPolicy } from '../../../src/net/outbound';
import type { SendOutcome } from '../../notify';
import { requestFailure, signedPost } from './signed-post';

export interface WebhookRequest {
  url: string;
  secret: string;
  deliveryId: string;
  event: string;
  /** The JSON body, sent as is. */
  body: string;
  timeoutMs: number;
  outbound: OutboundPolicy;
}

/** The outcome of one POST, with the HTTP status when there was an answer. */
export type WebhookAnswer = SendOutcome & { status?: number };

/**
 * POSTs one signed delivery. 2xx → delivered; 429, 5xx, a timeout or a network error →
 * retryable (after Retry-After when the receiver sent one); an address the outbound policy
 * refuses, or any other answer → refused for good.
 */
export async function postWebhook(req: WebhookRequest): Promise<WebhookAnswer> {
  try {
    const response = await signedPost({
      url: req.url,
      secret: req.secret,
      body: req.body,
      headers: { 'User-Agent': 'StateTrace-Webhooks/1', 'X-StateTrace-Event': req.event, 'X-StateTrace-Delivery': req.deliveryId },
      timeoutMs: req.timeoutMs,
      outbound: req.outbound,
    });
    // Read (and drop) the answer so the connection is released.
    await response.arrayBuffer().catch(() => undefined);
    const { status } = response;
    if (response.ok) return { ok: true, retryable: false, status };
    const retryable = status === 429 || status >= 500;
    const retryAfterMs = retryable ? retryAfter(response.headers.get('retry-after')) : undefined;
    return { ok: false, retryable, status, error: `HTTP ${status}`, ...(retryAfterMs ? { retryAfterMs } : {}) };
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return { ok: false, retryable: true, error: `no answer within ${req.timeoutMs} ms` };
    return { ok: false, retryable: outboundRefusal(err) === undefined, error: requestFailure(err) };
  }
}

/** Retry-After in ms: delay-seconds or an HTTP date; undefined when absent or unreadable. */
function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const ms = /^\d+$/.test(header.trim()) ? Number(header) * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
