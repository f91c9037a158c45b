import type { OutboundPolicy } from '../../src/net/outbound';
import { requestFailure, signedPost } from '../channels/webhook/signed-post';
import { keptOutput, type ExecutorOutcome, type Secret } from './types';

export interface WebhookRequest {
  url: string;
  secret: string;
  timeoutSec: number;
  idempotencyKey: string;
  payload: Record<string, unknown>;
  /** Cut out of the response body before it is kept. */
  secrets: readonly Secret[];
  outbound: OutboundPolicy;
}

/**
 * POSTs the payload as JSON, signed. A 2xx answer is success; any other status, a timeout or
 * a connection error is a failed run.
 */
export async function postWebhook(req: WebhookRequest): Promise<ExecutorOutcome> {
  try {
    const response = await signedPost({ url: req.url, secret: req.secret, body: JSON.stringify(req.payload), headers: { 'Idempotency-Key': req.idempotencyKey }, timeoutMs: req.timeoutSec * 1000, outbound: req.outbound });
    const text = keptOutput(await response.text(), req.secrets);
    return { ok: response.ok, detail: [`HTTP ${response.status}`, text].filter(Boolean).join('; ') };
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return { ok: false, detail: `timed out after ${req.timeoutSec}s` };
    return { ok: false, detail: requestFailure(err) };
  }
}
