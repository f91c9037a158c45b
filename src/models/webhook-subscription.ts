import { model, Schema, type InferSchemaType } from 'mongoose';
import type { NotificationKind } from '../../activities/outage-contract';
import { actorSchema } from './shared';

/** Every notification kind is a change of an incident's state; a subscription picks the ones it wants. */
export const WEBHOOK_EVENT_MEANINGS: Record<NotificationKind, string> = {
  opened: 'an incident opened: a route is down or degraded',
  flapping: 'an incident opened for a flapping route',
  telemetry_gap: 'an incident opened because a route’s telemetry stopped',
  maintenance: 'a route failed during its maintenance window: recorded, nobody paged',
  escalated: 'not acknowledged in time: the next escalation level was paged',
  acknowledged: 'someone acknowledged the incident',
  routes_attached: 'more routes joined the incident',
  failed_over: 'a route was switched to a backup path (verified)',
  failover_failed: 'a fail-over or failback failed: needs a human',
  failed_back: 'a route’s primary is healthy again: its failback awaits approval, or it is back on its primary',
  resolved: 'the incident resolved',
};
export const WEBHOOK_EVENTS = Object.keys(WEBHOOK_EVENT_MEANINGS) as NotificationKind[];

/** A subscription's id, as createWebhookSubscription makes it: `wh_` and 12 hex digits. */
export const WEBHOOK_SUBSCRIPTION_ID = /^wh_[0-9a-f]{12}$/;

/**
 * What a route file writes to page a webhook: a subscription, whose deliveries are signed
 * with its secret. A URL is refused: unsigned posts to whatever address a file names are
 * never sent.
 */
export const WEBHOOK_TARGET_HINT =
  'name a webhook subscription instead, e.g. webhook:wh_0123456789ab (POST /api/v1/webhooks {"url": …} creates one and shows its signing secret; GET /api/v1/webhooks lists them)';

/** An absolute http: or https: URL. */
export function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/**
 * An outbound webhook: incident state changes of the chosen kinds are POSTed to `url`,
 * signed with `secret`. The secret is stored as is (unlike API tokens' secrets, which are
 * only checked): signing each delivery needs it. The API shows it once, at creation.
 * Deleting a subscription deactivates it (its deliveries keep their reference).
 */
const webhookSubscriptionSchema = new Schema(
  {
    _id: { type: String, required: true },
    url: { type: String, required: true, maxlength: 2048, validate: { validator: isHttpUrl, message: 'url must be an absolute http(s) URL' } },
    description: { type: String, default: '', maxlength: 500 },
    events: {
      type: [{ type: String, enum: WEBHOOK_EVENTS }],
      default: () => [...WEBHOOK_EVENTS],
      validate: { validator: (v: string[]) => v.length > 0, message: 'a subscription needs at least one event' },
    },
    secret: { type: String, required: true },
    active: { type: Boolean, required: true, default: true },
    createdBy: { type: actorSchema, required: true },
    deactivatedAt: Date,
  },
  { timestamps: true, collection: 'webhooksubscriptions', versionKey: false },
);
webhookSubscriptionSchema.index({ active: 1 });

export type WebhookSubscriptionDoc = InferSchemaType<typeof webhookSubscriptionSchema>;
export const WebhookSubscription = model('WebhookSubscription', webhookSubscriptionSchema);
