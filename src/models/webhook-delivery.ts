import { model, Schema, type InferSchemaType } from 'mongoose';

/** pending: being retried; delivered: a 2xx answer; dead: given up (attempts spent, or refused with a 4xx). */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/**
 * One notification to one subscription, `_id` = `<notification key>:<subscription id>` (also
 * the X-StateTrace-Delivery header receivers dedupe on). Inserted once by the webhook
 * channel; then only the attempt in progress writes it (FerretDB 1.x updates of one
 * document are not atomic under concurrency). `status` is stored rather than derived from
 * deliveredAt/deadAt so listings filter by equality.
 */
const webhookDeliverySchema = new Schema(
  {
    _id: { type: String, required: true },
    subscription: { type: String, required: true },
    incidentId: { type: String, required: true },
    kind: { type: String, required: true },
    /** The JSON body as first sent: every attempt, and a retry from the API, sends the same bytes. */
    payload: { type: String, required: true },
    status: { type: String, enum: WEBHOOK_DELIVERY_STATUSES, required: true, default: 'pending' },
    attempts: { type: Number, required: true, min: 0, default: 0 },
    /** HTTP status of the last answer (none after a timeout or network error). */
    lastStatus: Number,
    lastError: String,
    lastAttemptAt: Date,
    deliveredAt: Date,
    deadAt: Date,
  },
  { timestamps: true, collection: 'webhookdeliveries', versionKey: false },
);
webhookDeliverySchema.index({ status: 1, lastAttemptAt: -1 });

export type WebhookDeliveryDoc = InferSchemaType<typeof webhookDeliverySchema> & { _id: string };
export const WebhookDelivery = model('WebhookDelivery', webhookDeliverySchema);
