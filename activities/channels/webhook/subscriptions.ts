import { randomBytes } from 'node:crypto';
import type { Models } from '../../../src/models';
import { WEBHOOK_EVENTS } from '../../../src/models/webhook-subscription';
import { checkOutboundUrl, type OutboundPolicy } from '../../../src/net/outbound';
import type { Actor, NotificationKind } from '../../outage-contract';

export interface NewWebhookSubscription {
  url: string;
  events?: NotificationKind[];
  description?: string;
  createdBy: Actor;
}

/**
 * Creates a subscription with a fresh secret (32 random bytes); the caller shows the secret
 * once. A URL whose host is, or resolves to, an address the outbound policy refuses is
 * refused here (OutboundRefused) and nothing is stored; deliveries check again at connect time.
 */
export async function createWebhookSubscription(models: Pick<Models, 'WebhookSubscription'>, input: NewWebhookSubscription, outbound: OutboundPolicy) {
  await checkOutboundUrl(input.url, outbound);
  const subscription = await models.WebhookSubscription.create({
    _id: `wh_${randomBytes(6).toString('hex')}`,
    url: input.url,
    description: input.description ?? '',
    events: input.events ?? WEBHOOK_EVENTS,
    secret: `whsec_${randomBytes(32).toString('base64url')}`,
    active: true,
    createdBy: input.createdBy,
  });
  return subscription.toObject();
}
