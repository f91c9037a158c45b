import type { Collection } from 'mongodb';
import type { Models } from '../models';
import { FLEET_ROUTE_ID, type RollupResolution, type RouteHealthRollupDoc } from '../models/route-health-rollup';
import { addTotals, bucketMs, emptyTotals, rollupId, settled, type HealthTotals } from './health-totals';

export type RollupModels = Pick<Models, 'RouteHealthSnapshot' | 'RouteHealthRollup' | 'RouteHealthSeries'>;
export type RollupDoc = RouteHealthRollupDoc & { _id: string };

const DUPLICATE_KEY = 11000;

export function rollupDoc(routeId: string, resolution: RollupResolution, start: Date, totals: HealthTotals): RollupDoc {
  return { _id: rollupId(routeId, resolution, start), routeId, resolution, start, ...settled(totals) };
}

/**
 * Stores one bucket: every route's rollup, then the fleet-wide one that marks the bucket
 * complete. New documents go in with one insertMany; a document already there (a bucket
 * recomputed after a run that stopped half-way) is replaced on its own. Not bulkWrite
 * replaceOne: FerretDB 1.24 on SQLite hangs the whole database on a bulk update of 100 or
 * more existing documents (measured).
 */
export async function saveBucket(models: RollupModels, resolution: RollupResolution, start: Date, routes: Map<string, HealthTotals>): Promise<number> {
  const fleet = emptyTotals();
  const docs: RollupDoc[] = [];
  for (const [routeId, totals] of [...routes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (routeId === FLEET_ROUTE_ID) continue;
    addTotals(fleet, totals);
    docs.push(rollupDoc(routeId, resolution, start, totals));
  }
  await insertOrReplace(models, docs);
  await insertOrReplace(models, [rollupDoc(FLEET_ROUTE_ID, resolution, start, fleet)]);
  return docs.length;
}

async function insertOrReplace(models: RollupModels, docs: RollupDoc[]): Promise<void> {
  if (docs.length === 0) return;
  // The driver's collection is typed for ObjectId ids; ours are strings.
  const collection = models.RouteHealthRollup.collection as unknown as Collection<RollupDoc>;
  try {
    await collection.insertMany(docs, { ordered: false });
  } catch (err) {
    const writeErrors = (err as { writeErrors?: { index: number; code?: number }[] }).writeErrors;
    if (!writeErrors?.length || writeErrors.some((w) => w.code !== DUPLICATE_KEY)) throw err;
    for (const { index } of writeErrors) {
      const doc = docs[index]!;
      await collection.replaceOne({ _id: doc._id }, doc);
    }
  }
}

/** A stored rollup by _id (FerretDB 1.x pushes down only _id equality: this never scans). */
export async function findRollup(models: RollupModels, id: string): Promise<RollupDoc | null> {
  return models.RouteHealthRollup.findById(id).lean<RollupDoc>();
}

/**
 * The newest complete bucket (its fleet marker) strictly before `before`, looking back at
 * most `maxBuckets` buckets one _id lookup each (a query on `start` would scan the collection).
 */
export async function latestCompleteBucket(models: RollupModels, resolution: RollupResolution, before: Date, maxBuckets: number): Promise<Date | undefined> {
  const step = bucketMs(resolution);
  for (let i = 1; i <= maxBuckets; i++) {
    const start = new Date(before.getTime() - i * step);
    if (await findRollup(models, rollupId(FLEET_ROUTE_ID, resolution, start))) return start;
  }
  return undefined;
}

/** The starts of the complete buckets in [from, to), in one query. */
export async function completeBuckets(models: RollupModels, resolution: RollupResolution, from: Date, to: Date): Promise<Set<number>> {
  const rows = await models.RouteHealthRollup.find({ routeId: FLEET_ROUTE_ID, resolution, start: { $gte: from, $lt: to } }, { start: 1 }).lean();
  return new Set(rows.map((r) => r.start.getTime()));
}
