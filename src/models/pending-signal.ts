import { model, Schema, type InferSchemaType } from 'mongoose';
import { HEALTH_STATUSES } from './shared';

/**
 * A signal accepted by the HTTP API (POST /api/v1/signals) that a sweeper has not consumed
 * yet. The sweeper owning the route's shard takes it on its next tick.
 */
const pendingSignalSchema = new Schema(
  {
    routeId: { type: String, required: true },
    shard: { type: Number, required: true, min: 0 },
    at: { type: Date, required: true },
    receivedAt: { type: Date, required: true },
    source: { type: String, enum: ['api'], required: true },
    status: { type: String, enum: HEALTH_STATUSES, required: true },
    detail: String,
    taxonomy: { type: [String], default: [] },
    latencyMs: { type: Number, min: 0 },
    lossPct: { type: Number, min: 0, max: 100 },
    jitterMs: { type: Number, min: 0 },
    submittedBy: String,
  },
  { collection: 'pendingsignals', versionKey: false },
);
pendingSignalSchema.index({ shard: 1, receivedAt: 1 });

export type PendingSignalDoc = InferSchemaType<typeof pendingSignalSchema>;
export const PendingSignal = model('PendingSignal', pendingSignalSchema);
