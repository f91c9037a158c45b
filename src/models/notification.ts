import { model, Schema, type InferSchemaType } from 'mongoose';
import { SEVERITIES, SUBDOC } from './shared';

/** One attempt to reach one target through one channel. */
const deliverySchema = new Schema(
  {
    channel: { type: String, required: true },
    target: { type: String, required: true },
    ok: { type: Boolean, required: true },
    error: String,
    at: { type: Date, required: true },
  },
  SUBDOC,
);

/**
 * A notification, stored once under its idempotency key (`_id`): inserting it is the
 * dedupe, since FerretDB 1.x keeps _id unique but does not make concurrent updates of one
 * document atomic. After the insert only the notify activity that made it writes it.
 */
const notificationSchema = new Schema(
  {
    _id: { type: String, required: true },
    incidentId: { type: String, required: true },
    kind: { type: String, required: true },
    severity: { type: String, enum: SEVERITIES, required: true },
    routes: { type: [String], default: [] },
    targets: { type: [String], default: [] },
    title: { type: String, required: true },
    text: { type: String, required: true },
    page: { type: Boolean, required: true },
    /** false until every delivery was attempted; a retried activity finishes an incomplete one. */
    complete: { type: Boolean, required: true, default: false },
    deliveries: { type: [deliverySchema], default: [] },
  },
  { timestamps: true, collection: 'notifications' },
);
notificationSchema.index({ incidentId: 1, createdAt: 1 });

export type NotificationDoc = InferSchemaType<typeof notificationSchema>;
export const Notification = model('Notification', notificationSchema);
