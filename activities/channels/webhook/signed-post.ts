import { outboundFetch, outboundRefusal, type OutboundPolicy } from '../../../src/net/outbound';
import type { Response } from 'undici';
import { signWebhookBody } from './signature';

/**
 * POSTs a JSON body signed as StateTrace signs every outbound request (X-StateTrace-Timestamp
 * and X-StateTrace-Signature over "<timestamp>.<body>"), plus `headers`. Redirects are not
 * followed: the signed request goes to the given URL only, and only to an address the
 * outbound policy allows. Rejects on a timeout (TimeoutError), a refused address or a
 * connection failure, as fetch does.
 */
export function signedPost(req: { url: string; secret: string; body: string; headers: Record<string, string>; timeoutMs: number; outbound: OutboundPolicy }): Promise<Response> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return outboundFetch(req.url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...req.headers,
      'X-StateTrace-Timestamp': timestamp,
      'X-StateTrace-Signature': signWebhookBody(req.secret, timestamp, req.body),
    },
    body: req.body,
    signal: AbortSignal.timeout(req.timeoutMs),
  }, req.outbound);
}

/** fetch reports connection problems as "fetch failed" with the reason in `cause`. */
export function requestFailure(err: unknown): string {
  const refused = outboundRefusal(err);
  if (refused) return `refused before sending: ${refused}`;
  const e = err as Error;
  const cause = (e.cause as Error | undefined)?.message;
  return `request failed: ${e.message}${cause ? ` (${cause})` : ''}`;
}
