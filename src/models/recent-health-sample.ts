import { model, Schema, type InferSchemaType } from 'mongoose';
import { HEALTH_STATUSES } from './shared';

/** How long recent samples are kept: the series' settle time at its longest flush interval, and a short incident with room to spare. */
export const RECENT_SAMPLES_KEEP_MS = 15 * 60_000;

/**
 * The chart fields of every snapshot of the last RECENT_SAMPLES_KEEP_MS (RecentSampleWriter),
 * for the part of a packet's charts that the minute series do not hold yet and for a short
 * incident in detail. A copy of the snapshots, kept small: the embedded FerretDB 1.24 (SQLite)
 * uses no index for a time range, nor even for `_id` equality (its SQL names `_id` as
 * `->'$._id'`, its index as `->"_id"`, so SQLite scans), and the snapshot collection holds
 * weeks; scanning this one costs minutes' worth of documents.
 */
const recentHealthSampleSchema = new Schema(
  {
    routeId: { type: String, required: true },
    at: { type: Date, required: true },
    status: { type: String, enum: HEALTH_STATUSES, required: true },
    score: Number,
    latencyMs: Number,
    lossPct: Number,
  },
  { collection: 'recenthealthsamples', versionKey: false },
);
recentHealthSampleSchema.index({ routeId: 1, at: 1 });
recentHealthSampleSchema.index({ at: 1 });

export type RecentHealthSampleDoc = InferSchemaType<typeof recentHealthSampleSchema>;
export const RecentHealthSample = model('RecentHealthSample', recentHealthSampleSchema);
