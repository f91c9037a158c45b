import type { Models } from '../../../src/models';
import type { NotificationKind } from '../../outage-contract';

/** The webhook destinations of a notification: every active subscription that wants its kind. */
export async function subscribedWebhooks(models: Pick<Models, 'WebhookSubscription'>, kind: NotificationKind): Promise<{ channel: 'webhook'; target: string }[]> {
  const subscriptions = await models.WebhookSubscription.find({ active: true, events: kind }, { _id: 1 }).lean();
  return subscriptions.map((s) => ({ channel: 'webhook', target: s._id }));
}
