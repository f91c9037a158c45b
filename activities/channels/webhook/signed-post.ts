import { signWebhookBody } from './signature';

/**
 * POSTs a JSON body signed as StateTrace signs every outbound request (X-StateTrace-Timestamp
 * and X-StateTrace-Signature over "<timestamp>.<body>"), plus `headers`. Redirects are not
 * followed: the signed request goes to the given URL only. Rejects on a timeout
 * (TimeoutError) or a connection failure, as fetch does.
 */
export function signedPost(req: { url: string; secret: string; body: string; headers: Record<string, string>; timeoutMs: number }): Promise<Response> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return fetch(req.url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...req.headers,
      'X-StateTrace-Timestamp': timestamp,
      'X-StateTrace-Signature': signWebhookBody(req.secret, timestamp, req.body),
    },
    body: req.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(req.timeoutMs),
  });
}

/** fetch reports connection problems as "fetch failed" with the reason in `cause`. */
export function requestFailure(err: unknown): string {
  const e = err as Error;
  const cause = (e.cause as Error | undefined)?.message;
  return `request failed: ${e.message}${cause ? ` (${cause})` : ''}`;
}
