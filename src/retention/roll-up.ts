import { FLEET_ROUTE_ID, type RollupResolution } from '../models/route-health-rollup';
import { addSample, addTotals, bucketMs, bucketStart, emptyTotals, HOUR_MS, type HealthTotals, type SnapshotSample } from './health-totals';
import { completeBuckets, latestCompleteBucket, saveBucket, type RollupModels } from './rollup-store';

export interface RollUpOptions {
  models: RollupModels;
  resolution: RollupResolution;
  now?: Date;
  /** A bucket is closed this long after its end: snapshots still in the sweeper's batch writer land first. */
  settleMs?: number;
  /** How many buckets back to look for the last complete one before rolling up all history. */
  lookbackBuckets?: number;
}

export interface RollUpResult {
  resolution: RollupResolution;
  /** Buckets written (each with its fleet marker), including the last closed one when it is empty. */
  buckets: number;
  /** Route rollups written. */
  rollups: number;
  /** Buckets found complete already and left as they were. */
  skipped: number;
  /** Raw snapshots (hours) or hourly rollups (days) read. */
  scanned: number;
  /** The closed buckets considered: [from, to); from is absent when no earlier bucket was complete. */
  from?: Date;
  to: Date;
}

export const DEFAULT_SETTLE_MS = 5 * 60_000;
const DEFAULT_LOOKBACK = { hour: 48, day: 14 } as const;
const BATCH = 10_000;

type Buckets = Map<number, Map<string, HealthTotals>>;

function totalsFor(buckets: Buckets, start: number, routeId: string): HealthTotals {
  let routes = buckets.get(start);
  if (!routes) buckets.set(start, (routes = new Map<string, HealthTotals>()));
  let totals = routes.get(routeId);
  if (!totals) routes.set(routeId, (totals = emptyTotals()));
  return totals;
}

/**
 * Rolls up the closed buckets not rolled up yet: hours from the raw snapshots, days from the
 * hourly rollups (only days whose every hour is complete). One query reads everything after
 * the last complete bucket (FerretDB 1.x scans a collection for any filter but _id equality,
 * so one pass beats one query per bucket), the sums are made here, and each bucket is stored
 * with its routes' rollups first and its fleet marker last, oldest bucket first. Run again,
 * it finds nothing new; a bucket rolled up again gives the same documents.
 */
export async function rollUp(opts: RollUpOptions): Promise<RollUpResult> {
  const { models, resolution } = opts;
  const now = (opts.now ?? new Date()).getTime();
  const settle = opts.settleMs ?? DEFAULT_SETTLE_MS;
  const lookback = opts.lookbackBuckets ?? DEFAULT_LOOKBACK[resolution];
  const step = bucketMs(resolution);

  let to: Date;
  if (resolution === 'hour') {
    to = bucketStart(now - settle, 'hour');
  } else {
    // Days made only of complete hours.
    const lastHour = await latestCompleteBucket(models, 'hour', bucketStart(now, 'hour'), DEFAULT_LOOKBACK.hour);
    if (!lastHour) return { resolution, buckets: 0, rollups: 0, skipped: 0, scanned: 0, to: bucketStart(now, 'day') };
    to = bucketStart(lastHour.getTime() + HOUR_MS, 'day');
  }
  const last = await latestCompleteBucket(models, resolution, to, lookback);
  const from = last ? new Date(last.getTime() + step) : undefined;
  const result: RollUpResult = { resolution, buckets: 0, rollups: 0, skipped: 0, scanned: 0, from, to };
  if (from && from >= to) return result;

  const buckets: Buckets = new Map();
  const range = { ...(from ? { $gte: from } : {}), $lt: to };
  if (resolution === 'hour') {
    const projection = { _id: 0, routeId: 1, at: 1, status: 1, score: 1, latencyMs: 1, lossPct: 1 };
    for await (const s of models.RouteHealthSnapshot.collection.find({ at: range }, { projection, batchSize: BATCH })) {
      result.scanned += 1;
      addSample(totalsFor(buckets, bucketStart(s.at as Date, 'hour').getTime(), s.routeId as string), s as unknown as SnapshotSample);
    }
  } else {
    const filter = { resolution: 'hour', routeId: { $ne: FLEET_ROUTE_ID }, start: range };
    for await (const r of models.RouteHealthRollup.collection.find(filter, { projection: { _id: 0 }, batchSize: BATCH })) {
      result.scanned += 1;
      addTotals(totalsFor(buckets, bucketStart(r.start as Date, 'day').getTime(), r.routeId as string), r as unknown as HealthTotals);
    }
  }

  const starts = [...buckets.keys()];
  const first = from?.getTime() ?? Math.min(...starts);
  if (!Number.isFinite(first)) return result;
  // The last closed bucket gets its marker even when empty: the next run starts after it.
  const lastClosed = to.getTime() - step;
  if (!buckets.has(lastClosed)) starts.push(lastClosed);
  starts.sort((a, b) => a - b);
  // Without a recent marker the pass read all history: keep the buckets complete already
  // (their raw snapshots may be gone by now).
  const done = from ? new Set<number>() : await completeBuckets(models, resolution, new Date(first), to);
  for (const start of starts) {
    if (done.has(start)) {
      result.skipped += 1;
      continue;
    }
    result.rollups += await saveBucket(models, resolution, new Date(start), buckets.get(start) ?? new Map<string, HealthTotals>());
    result.buckets += 1;
  }
  return result;
}
