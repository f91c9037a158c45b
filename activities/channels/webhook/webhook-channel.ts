import { insertOnce } from '../../../src/models/insert-once';
import type { WebhookDeliveryDoc } from '../../../src/models/webhook-delivery';
import { WEBHOOK_SUBSCRIPTION_ID, WEBHOOK_TARGET_HINT } from '../../../src/models/webhook-subscription';
import type { NotificationChannel, RenderedMessage } from '../../notify';
import { attemptDelivery, type WebhookDeliveryDeps } from './deliver';
import { renderWebhookPayload } from './payload';

/**
 * Outbound webhooks: `webhook:<subscription id>` destinations, named by escalation levels and
 * team preferences, or added by notify's route stage (one per active subscription that wants
 * the kind). Only subscriptions are posted to, signed with their secret; any other target
 * (a URL stored before route files were refused for naming one) fails, saying what to write
 * instead. Each delivery is recorded in
 * WebhookDelivery and is idempotent: once delivered or dead it is never sent again,
 * however often the notification is retried.
 */
export function createWebhookChannel(deps: WebhookDeliveryDeps): NotificationChannel {
  return {
    name: 'webhook',
    async send(msg, subscriptionId) {
      if (!WEBHOOK_SUBSCRIPTION_ID.test(subscriptionId)) {
        return { ok: false, retryable: false, error: `"${subscriptionId.slice(0, 80)}" is not a webhook subscription id, so nothing was sent; in the route file, ${WEBHOOK_TARGET_HINT}` };
      }
      const subscription = await deps.models.WebhookSubscription.findById(subscriptionId).lean();
      if (!subscription?.active) return { ok: false, retryable: false, error: `no active webhook subscription "${subscriptionId}"` };
      const delivery = await recordedDelivery(deps.models, msg, subscriptionId);
      if (delivery.status === 'delivered') return { ok: true, retryable: false };
      if (delivery.status === 'dead') return { ok: false, retryable: false, error: `dead-lettered: ${delivery.lastError ?? 'given up'}` };
      return attemptDelivery(deps, delivery, subscription, { lastChance: false });
    },
  };
}

/** The delivery of this notification to this subscription, recorded (with its payload) on its first attempt. */
async function recordedDelivery(models: WebhookDeliveryDeps['models'], msg: RenderedMessage, subscriptionId: string): Promise<WebhookDeliveryDoc> {
  const id = `${msg.key}:${subscriptionId}`;
  const recorded = await models.WebhookDelivery.findById(id).lean<WebhookDeliveryDoc>();
  if (recorded) return recorded;
  const payload = await renderWebhookPayload(models, id, msg);
  await insertOnce(models.WebhookDelivery, { _id: id, subscription: subscriptionId, incidentId: msg.incidentId, kind: msg.kind, payload, status: 'pending', attempts: 0 });
  return (await models.WebhookDelivery.findById(id).lean<WebhookDeliveryDoc>())!;
}
