import type { Models } from '../../../src/models';
import type { WebhookDeliveryDoc } from '../../../src/models/webhook-delivery';
import type { OutboundPolicy } from '../../../src/net/outbound';
import type { SendOutcome } from '../../notify';
import { postWebhook } from './post-webhook';

/** Per attempt; below the notify activity's 10 s start-to-close, so a hanging receiver fails its own attempt, not the whole notification's. */
export const WEBHOOK_TIMEOUT_MS = 8_000;

export interface WebhookDeliveryDeps {
  models: Pick<Models, 'WebhookSubscription' | 'WebhookDelivery' | 'Incident'>;
  /** Attempts before a delivery is dead-lettered (STATETRACE_WEBHOOK_MAX_ATTEMPTS). */
  maxAttempts: number;
  timeoutMs?: number;
  /** Which addresses deliveries may reach (STATETRACE_OUTBOUND_ALLOW). */
  outbound: OutboundPolicy;
}

interface Subscription {
  url: string;
  secret: string;
}

/**
 * One attempt at a pending delivery, recorded. It is counted before the POST, so an attempt
 * cut short by a crash still counts. A refusal (non-retryable answer), the last allowed
 * attempt or `lastChance` make it dead, reported as not retryable: the rest of the
 * notification then completes instead of being retried for this receiver.
 */
export async function attemptDelivery(deps: WebhookDeliveryDeps, delivery: WebhookDeliveryDoc, subscription: Subscription, opts: { lastChance: boolean }): Promise<SendOutcome> {
  const { WebhookDelivery } = deps.models;
  const attempts = delivery.attempts + 1;
  await WebhookDelivery.updateOne({ _id: delivery._id }, { $set: { attempts, lastAttemptAt: new Date() } });
  const { status, ...outcome } = await postWebhook({
    url: subscription.url,
    secret: subscription.secret,
    deliveryId: delivery._id,
    event: delivery.kind,
    body: delivery.payload,
    timeoutMs: deps.timeoutMs ?? WEBHOOK_TIMEOUT_MS,
    outbound: deps.outbound,
  });
  // A timeout has no status: the previous answer's must not stand for it.
  const answered = status === undefined ? { $unset: { lastStatus: 1 } } : {};
  if (outcome.ok) {
    await WebhookDelivery.updateOne({ _id: delivery._id }, { $set: { status: 'delivered', deliveredAt: new Date(), ...(status ? { lastStatus: status } : {}) }, $unset: { lastError: 1 } });
    return outcome;
  }
  const dead = !outcome.retryable || opts.lastChance || attempts >= deps.maxAttempts;
  await WebhookDelivery.updateOne(
    { _id: delivery._id },
    { $set: { status: dead ? 'dead' : 'pending', lastError: outcome.error, ...(status ? { lastStatus: status } : {}), ...(dead ? { deadAt: new Date() } : {}) }, ...answered },
  );
  return dead ? { ok: false, retryable: false, error: `dead-lettered after ${attempts} attempt(s): ${outcome.error ?? 'failed'}` } : outcome;
}

/** An operator's retry of a dead delivery: sent once more now; failing again, it is dead again. */
export async function retryDeadDelivery(deps: WebhookDeliveryDeps, delivery: WebhookDeliveryDoc, subscription: Subscription): Promise<SendOutcome> {
  await deps.models.WebhookDelivery.updateOne({ _id: delivery._id }, { $set: { status: 'pending' }, $unset: { deadAt: 1 } });
  return attemptDelivery(deps, delivery, subscription, { lastChance: true });
}
