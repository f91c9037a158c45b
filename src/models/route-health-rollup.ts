import { model, Schema, type InferSchemaType } from 'mongoose';

export const ROLLUP_RESOLUTIONS = ['hour', 'day'] as const;
export type RollupResolution = (typeof ROLLUP_RESOLUTIONS)[number];

/**
 * The routeId of a bucket's fleet-wide rollup: every route's numbers added up. It is written
 * after the routes' own rollups of the bucket, so its presence marks the bucket complete
 * (retention deletes raw snapshots only of complete hours). Route ids never contain `*`.
 */
export const FLEET_ROUTE_ID = '*';

/**
 * A route's health over one hour or one UTC day, summed from its raw snapshots (hours) or
 * from its hourly rollups (days). Sums and counts, not means, so buckets add up exactly.
 * _id `<routeId>:<resolution>:<bucket start ISO>`: rolling a bucket up again replaces it.
 */
const routeHealthRollupSchema = new Schema(
  {
    _id: { type: String, required: true },
    routeId: { type: String, required: true },
    resolution: { type: String, enum: ROLLUP_RESOLUTIONS, required: true },
    start: { type: Date, required: true },
    samples: { type: Number, required: true, min: 0 },
    upSamples: { type: Number, required: true, min: 0 },
    degradedSamples: { type: Number, required: true, min: 0 },
    downSamples: { type: Number, required: true, min: 0 },
    unknownSamples: { type: Number, required: true, min: 0 },
    /** Over the snapshots that carry a latency (a down route usually has none). */
    latencySum: { type: Number, required: true, min: 0 },
    latencyCount: { type: Number, required: true, min: 0 },
    latencyMax: { type: Number, min: 0 },
    lossSum: { type: Number, required: true, min: 0 },
    lossCount: { type: Number, required: true, min: 0 },
    lossMax: { type: Number, min: 0 },
    scoreSum: { type: Number, required: true, min: 0 },
    scoreMin: { type: Number, min: 0 },
  },
  { collection: 'routehealthrollups', versionKey: false },
);
routeHealthRollupSchema.index({ routeId: 1, resolution: 1, start: 1 });
routeHealthRollupSchema.index({ resolution: 1, start: 1 });

export type RouteHealthRollupDoc = InferSchemaType<typeof routeHealthRollupSchema>;
export const RouteHealthRollup = model('RouteHealthRollup', routeHealthRollupSchema);
