import { model, Schema, type InferSchemaType } from 'mongoose';

/**
 * One minute of a route's health, summed from its snapshots. Sums, counts and extremes
 * only, so partial minutes written by different sweepers (or before and after a restart)
 * add up exactly with $inc/$min/$max.
 */
export interface MinuteStats {
  n: number;
  up: number;
  degraded: number;
  down: number;
  unknown: number;
  /** Per metric (lat = latency ms, loss = loss %, score): sum and count of the samples that carry it, extremes. */
  latSum: number;
  latN: number;
  latMin?: number;
  latMax?: number;
  lossSum: number;
  lossN: number;
  lossMin?: number;
  lossMax?: number;
  scoreSum: number;
  scoreN: number;
  scoreMin?: number;
  scoreMax?: number;
}

/** The metrics kept per minute, by field prefix, and the snapshot field each comes from. */
export const SERIES_METRICS = [
  { prefix: 'lat', field: 'latencyMs' },
  { prefix: 'loss', field: 'lossPct' },
  { prefix: 'score', field: 'score' },
] as const;

/**
 * A route's health minute by minute within one UTC hour: `m.<minute 0-59>` holds that
 * minute's MinuteStats. _id `<routeId>:<hour start ISO>`, so readers fetch a time range by
 * _id (the embedded FerretDB 1.x uses no other index: a range query over the raw snapshots
 * scans all of them). Written by the sweeper alongside the snapshots (SeriesWriter).
 */
const routeHealthSeriesSchema = new Schema(
  {
    _id: { type: String, required: true },
    routeId: { type: String, required: true },
    hour: { type: Date, required: true },
    m: { type: Schema.Types.Mixed, default: {} },
  },
  { collection: 'routehealthseries', versionKey: false, minimize: false },
);
routeHealthSeriesSchema.index({ hour: 1 });

export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;

/** The _id of routeId's series document for the UTC hour that holds `at` (epoch ms). */
export const seriesId = (routeId: string, at: number) => `${routeId}:${new Date(Math.floor(at / HOUR_MS) * HOUR_MS).toISOString()}`;

export type RouteHealthSeriesDoc = InferSchemaType<typeof routeHealthSeriesSchema>;
export const RouteHealthSeries = model('RouteHealthSeries', routeHealthSeriesSchema);
