import type { Models } from '../models';

/** A snapshot's chart fields, as RecentSampleWriter keeps them (null where the snapshot had no value). */
export interface RecentSample {
  routeId: string;
  at: Date;
  score?: number | null;
  latencyMs?: number | null;
  lossPct?: number | null;
}

/**
 * The recent samples of routeIds with `at` in [from, to) (epoch ms). One query over a
 * collection of minutes (RECENT_SAMPLES_KEEP_MS): on MongoDB its {routeId, at} index serves
 * it, on the embedded FerretDB it reads the whole small collection.
 */
export function readRecentSamples(models: Pick<Models, 'RecentHealthSample'>, routeIds: readonly string[], from: number, to: number): Promise<RecentSample[]> {
  return models.RecentHealthSample.collection
    .find<RecentSample>({ routeId: { $in: [...routeIds] }, at: { $gte: new Date(from), $lt: new Date(to) } }, { projection: { _id: 0, routeId: 1, at: 1, score: 1, latencyMs: 1, lossPct: 1 } })
    .toArray();
}
