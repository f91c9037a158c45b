import { FLEET_ROUTE_ID } from '../models/route-health-rollup';
import { bucketStart, DAY_MS, HOUR_MS } from './health-totals';
import type { RollupModels } from './rollup-store';

export interface RetentionOptions {
  models: RollupModels;
  now?: Date;
  /** Raw snapshots older than this many days go, once their hour is rolled up. */
  rawDays?: number;
  /** Hourly and daily rollups older than this many days go. */
  rollupDays?: number;
}

export interface RetentionResult {
  /** Raw snapshots before this hour were considered. */
  rawCutoff: Date;
  /** Rollups of buckets starting before this day were deleted. */
  rollupCutoff: Date;
  rawDeleted: number;
  /** Expired raw snapshots kept: their hour is not rolled up, or they are not all in its rollup. */
  rawKept: number;
  /** `<routeId>@<hour ISO>` of the route-hours kept (at most 20). */
  keptExamples: string[];
  rollupsDeleted: number;
}

export const DEFAULT_RAW_DAYS = 30;
export const DEFAULT_ROLLUP_DAYS = 365;
/** $or branches per deleteMany: FerretDB 1.x tries each branch on every document it scans. */
const MAX_BRANCHES = 200;

interface Branch {
  routes: string[];
  start: number;
  end: number;
}

/**
 * Deletes raw snapshots older than `rawDays` (whole hours) only where the hour is complete
 * (fleet marker present) and the route's hourly rollup holds exactly as many samples as
 * there are raw snapshots: nothing goes that no rollup accounts for (a late snapshot, an
 * hour never rolled up). Then deletes rollups older than `rollupDays`. Costs one read of the
 * expired snapshots' route and time, one of the matching hourly rollups, and one deleteMany
 * per 200 (routes × adjacent hours) groups, usually one.
 */
export async function applyRetention(opts: RetentionOptions): Promise<RetentionResult> {
  const { models } = opts;
  const now = (opts.now ?? new Date()).getTime();
  const rawCutoff = bucketStart(now - (opts.rawDays ?? DEFAULT_RAW_DAYS) * DAY_MS, 'hour');
  const rollupCutoff = bucketStart(now - (opts.rollupDays ?? DEFAULT_ROLLUP_DAYS) * DAY_MS, 'day');
  const result: RetentionResult = { rawCutoff, rollupCutoff, rawDeleted: 0, rawKept: 0, keptExamples: [], rollupsDeleted: 0 };

  // Expired raw snapshots per hour and route.
  const counts = new Map<number, Map<string, number>>();
  const cursor = models.RouteHealthSnapshot.collection.find({ at: { $lt: rawCutoff } }, { projection: { _id: 0, routeId: 1, at: 1 }, batchSize: 10_000 });
  for await (const s of cursor) {
    const hour = bucketStart(s.at as Date, 'hour').getTime();
    let routes = counts.get(hour);
    if (!routes) counts.set(hour, (routes = new Map<string, number>()));
    routes.set(s.routeId as string, (routes.get(s.routeId as string) ?? 0) + 1);
  }

  if (counts.size > 0) {
    const hours = [...counts.keys()].sort((a, b) => a - b);
    const rolled = new Map<string, number>();
    const rollups = await models.RouteHealthRollup.find({ resolution: 'hour', start: { $gte: new Date(hours[0]!), $lt: rawCutoff } }, { _id: 0, routeId: 1, start: 1, samples: 1 }).lean();
    for (const r of rollups) rolled.set(`${r.start.getTime()}|${r.routeId}`, r.samples);

    const branches: Branch[] = [];
    for (const hour of hours) {
      const complete = rolled.has(`${hour}|${FLEET_ROUTE_ID}`);
      const routes: string[] = [];
      for (const [routeId, n] of counts.get(hour)!) {
        if (complete && rolled.get(`${hour}|${routeId}`) === n) {
          routes.push(routeId);
        } else {
          result.rawKept += n;
          if (result.keptExamples.length < 20) result.keptExamples.push(`${routeId}@${new Date(hour).toISOString()}`);
        }
      }
      if (routes.length === 0) continue;
      routes.sort();
      const prev = branches.at(-1);
      if (prev && prev.end === hour && prev.routes.join('\n') === routes.join('\n')) prev.end = hour + HOUR_MS;
      else branches.push({ routes, start: hour, end: hour + HOUR_MS });
    }
    // (A snapshot arriving for a month-old, rolled-up hour between the count and the delete
    // would go unaccounted; the sweeper writes snapshots within seconds of their time.)
    for (let i = 0; i < branches.length; i += MAX_BRANCHES) {
      const $or = branches.slice(i, i + MAX_BRANCHES).map((b) => ({ routeId: { $in: b.routes }, at: { $gte: new Date(b.start), $lt: new Date(b.end) } }));
      result.rawDeleted += (await models.RouteHealthSnapshot.deleteMany({ $or })).deletedCount;
    }
  }

  result.rollupsDeleted = (await models.RouteHealthRollup.deleteMany({ start: { $lt: rollupCutoff } })).deletedCount;
  return result;
}
