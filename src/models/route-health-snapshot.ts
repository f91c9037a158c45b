import { model, Schema, type InferSchemaType } from 'mongoose';
import { HEALTH_STATUSES, SUBDOC } from './shared';

/** Why a route is unhealthy; runbooks are matched on these. */
export const FAILURE_TAXONOMY = [
  'link_down',
  'bgp_down',
  'unreachable',
  'high_loss',
  'high_latency',
  'high_jitter',
  'telemetry_gap',
  'snmp_mismatch',
] as const;

/** One scored measurement of a route. */
const routeHealthSnapshotSchema = new Schema(
  {
    routeId: { type: String, required: true },
    at: { type: Date, required: true },
    status: { type: String, enum: HEALTH_STATUSES, required: true },
    score: { type: Number, required: true, min: 0, max: 100 },
    latencyMs: { type: Number, min: 0 },
    lossPct: { type: Number, min: 0, max: 100 },
    jitterMs: { type: Number, min: 0 },
    /** Each signal that went into this snapshot (probe, trap, pushed signal). */
    sources: [
      new Schema(
        {
          kind: { type: String, required: true },
          target: String,
          status: { type: String, enum: HEALTH_STATUSES, required: true },
          detail: String,
        },
        SUBDOC,
      ),
    ],
    /** 0..1: how far the signals agree. */
    confidence: { type: Number, required: true, min: 0, max: 1 },
    taxonomy: { type: [String], enum: FAILURE_TAXONOMY, default: [] },
    lastHealthyAt: Date,
  },
  { collection: 'routehealthsnapshots', versionKey: false },
);
routeHealthSnapshotSchema.index({ routeId: 1, at: -1 });
routeHealthSnapshotSchema.index({ at: 1 });

export type RouteHealthSnapshotDoc = InferSchemaType<typeof routeHealthSnapshotSchema>;
export const RouteHealthSnapshot = model('RouteHealthSnapshot', routeHealthSnapshotSchema);
