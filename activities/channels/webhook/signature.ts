import { createHmac, timingSafeEqual } from 'node:crypto';

/*
 * Webhook signatures:
 *   X-StateTrace-Signature: sha256=<hex HMAC-SHA256(key, "<X-StateTrace-Timestamp>.<raw body>")>
 * keyed with the subscription's secret exactly as shown at creation (`whsec_…` included).
 * The timestamp is in the signed text so a receiver can refuse replays of old requests.
 * This file uses node:crypto only: receivers may copy it as their reference implementation.
 */

export function signWebhookBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * true when `signature` (the X-StateTrace-Signature header) signs `timestamp` (the
 * X-StateTrace-Timestamp header, unix seconds) and `body` (the raw request body, before
 * any JSON parsing) with `secret`, and the timestamp is within `toleranceSec` of now.
 */
export function verifyWebhookSignature(secret: string, timestamp: string, body: string, signature: string, toleranceSec = 300): boolean {
  const sentAt = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - sentAt) > toleranceSec) return false;
  const expected = Buffer.from(signWebhookBody(secret, timestamp, body));
  const presented = Buffer.from(signature);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
