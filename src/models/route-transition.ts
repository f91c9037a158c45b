import { model, Schema, type InferSchemaType } from 'mongoose';
import { HEALTH_STATUSES } from './shared';

const STATES = ['healthy', 'suspect', 'down', 'degraded', 'recovering'] as const;

/**
 * A debounced change of a route's health (healthy → suspect → down, recovery, flapping,
 * telemetry gap). The outage workflow is started from these (signalWithStart); until then
 * they are the record. _id `<routeId>:<at ms>:<kind>` makes recording idempotent.
 */
const routeTransitionSchema = new Schema(
  {
    _id: { type: String, required: true },
    routeId: { type: String, required: true },
    at: { type: Date, required: true },
    kind: {
      type: String,
      required: true,
      enum: ['suspect', 'cleared', 'down', 'degraded', 'recovering', 'recovered', 'flapping', 'telemetry_gap', 'telemetry_restored'],
    },
    from: { type: String, enum: STATES, required: true },
    to: { type: String, enum: STATES, required: true },
    cause: { type: String, required: true },
    consecutiveFailures: { type: Number, required: true, min: 0 },
    status: { type: String, enum: HEALTH_STATUSES, required: true },
    score: { type: Number, required: true, min: 0, max: 100 },
    taxonomy: { type: [String], default: [] },
    detail: String,
  },
  { collection: 'routetransitions', versionKey: false },
);
routeTransitionSchema.index({ routeId: 1, at: -1 });
routeTransitionSchema.index({ at: -1 });

export type RouteTransitionDoc = InferSchemaType<typeof routeTransitionSchema>;
export const RouteTransition = model('RouteTransition', routeTransitionSchema);
