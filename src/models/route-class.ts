import { model, Schema, type InferSchemaType } from 'mongoose';
import { SUBDOC } from './shared';

/** Thresholds and debounce settings shared by a class of routes (e.g. core, edge). */
const routeClassSchema = new Schema(
  {
    _id: { type: String, required: true },
    description: String,
    thresholds: {
      type: new Schema(
        {
          latencyMs: { type: Number, required: true, min: 0 },
          lossPct: { type: Number, required: true, min: 0, max: 100 },
          jitterMs: { type: Number, required: true, min: 0 },
        },
        SUBDOC,
      ),
      required: true,
    },
    telemetrySlaSec: { type: Number, required: true, min: 1 },
    debounce: {
      type: new Schema(
        {
          failuresToSuspect: { type: Number, required: true, min: 1 },
          failuresToDown: { type: Number, required: true, min: 1 },
          recoveriesToUp: { type: Number, required: true, min: 1 },
          graceSec: { type: Number, required: true, min: 0 },
        },
        SUBDOC,
      ),
      required: true,
    },
    flapping: {
      type: new Schema({ transitions: { type: Number, required: true, min: 2 }, windowSec: { type: Number, required: true, min: 0 } }, SUBDOC),
      required: true,
    },
    /** As the route file gives it; absent fields are derived when an outage loads the class (confirmationOf). */
    confirm: new Schema({ attempts: { type: Number, min: 0, max: 10 }, intervalMs: { type: Number, min: 0, max: 60_000 } }, SUBDOC),
  },
  { timestamps: true, collection: 'routeclasses' },
);

export type RouteClassDoc = InferSchemaType<typeof routeClassSchema>;
export const RouteClass = model('RouteClass', routeClassSchema);
