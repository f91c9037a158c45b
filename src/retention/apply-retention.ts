import { FLEET_ROUTE_ID } from '../models/route-health-rollup';
import { bucketStart, DAY_MS } from './health-totals';
import type { RollupModels } from './rollup-store';

export interface RetentionOptions {
  models: RollupModels;
  now?: Date;
  /** Raw snapshots older than this many days go, once their hour is rolled up. */
  rawDays?: number;
  /** Hourly and daily rollups older than this many days go. */
  rollupDays?: number;
  /** Documents one deleteMany may match (default MAX_DELETE). */
  maxDelete?: number;
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
  /** Per-minute series documents (RouteHealthSeries) of hours before rawCutoff. */
  seriesDeleted: number;
  /** deleteMany calls made (each scans the collection on FerretDB 1.x). */
  deletes: number;
}

export const DEFAULT_RAW_DAYS = 30;
export const DEFAULT_ROLLUP_DAYS = 365;
/**
 * Documents one deleteMany may match: FerretDB 1.24 on SQLite deletes the matched ids in one
 * statement and fails past SQLite's 32,766 variables ("too many SQL variables", measured).
 */
export const MAX_DELETE = 30_000;
/** $or branches per deleteMany: FerretDB 1.x tries each branch on every document it scans. */
const MAX_BRANCHES = 200;
const MINUTE_MS = 60_000;

type Counts = Map<number, Map<string, number>>;
const bump = (counts: Counts, at: number, routeId: string, n = 1) => {
  let routes = counts.get(at);
  if (!routes) counts.set(at, (routes = new Map<string, number>()));
  routes.set(routeId, (routes.get(routeId) ?? 0) + n);
};

/**
 * Deletes raw snapshots older than `rawDays` (whole hours) only where the hour is complete
 * (fleet marker present) and the route's hourly rollup holds exactly as many samples as
 * there are raw snapshots: nothing goes that no rollup accounts for (a late snapshot, an
 * hour never rolled up). Then deletes rollups older than `rollupDays`, and the per-minute
 * series as old as the expired raw snapshots. Reads the expired
 * snapshots' route and time once, and the hourly rollups of those hours once; deletes by
 * route and minute range, at most MAX_DELETE documents per deleteMany.
 */
export async function applyRetention(opts: RetentionOptions): Promise<RetentionResult> {
  const { models } = opts;
  const now = (opts.now ?? new Date()).getTime();
  const rawCutoff = bucketStart(now - (opts.rawDays ?? DEFAULT_RAW_DAYS) * DAY_MS, 'hour');
  const rollupCutoff = bucketStart(now - (opts.rollupDays ?? DEFAULT_ROLLUP_DAYS) * DAY_MS, 'day');
  const maxDelete = opts.maxDelete ?? MAX_DELETE;
  const result: RetentionResult = { rawCutoff, rollupCutoff, rawDeleted: 0, rawKept: 0, keptExamples: [], rollupsDeleted: 0, seriesDeleted: 0, deletes: 0 };

  // Expired raw snapshots per minute and route, and per hour and route.
  const perMinute: Counts = new Map();
  const perHour: Counts = new Map();
  const cursor = models.RouteHealthSnapshot.collection.find({ at: { $lt: rawCutoff } }, { projection: { _id: 0, routeId: 1, at: 1 }, batchSize: 10_000 });
  for await (const s of cursor) bump(perMinute, Math.floor((s.at as Date).getTime() / MINUTE_MS) * MINUTE_MS, s.routeId as string);
  for (const [minute, routes] of perMinute) for (const [routeId, n] of routes) bump(perHour, bucketStart(minute, 'hour').getTime(), routeId, n);

  if (perHour.size > 0) {
    const hours = [...perHour.keys()].sort((a, b) => a - b);
    const rolled = new Map<string, number>();
    const rollups = await models.RouteHealthRollup.find({ resolution: 'hour', start: { $gte: new Date(hours[0]!), $lt: rawCutoff } }, { _id: 0, routeId: 1, start: 1, samples: 1 }).lean();
    for (const r of rollups) rolled.set(`${r.start.getTime()}|${r.routeId}`, r.samples);
    const deletable = new Set<string>();
    for (const hour of hours) {
      const complete = rolled.has(`${hour}|${FLEET_ROUTE_ID}`);
      for (const [routeId, n] of perHour.get(hour)!) {
        if (complete && rolled.get(`${hour}|${routeId}`) === n) {
          deletable.add(`${hour}|${routeId}`);
        } else {
          result.rawKept += n;
          if (result.keptExamples.length < 20) result.keptExamples.push(`${routeId}@${new Date(hour).toISOString()}`);
        }
      }
    }
    // (A snapshot arriving for a month-old, rolled-up hour between the count and the delete
    // would go unaccounted; the sweeper writes snapshots within seconds of their time.)
    let batch: { minute: number; routes: string[] }[] = [];
    let batchCount = 0;
    const flush = async () => {
      for (const $or of branches(batch)) {
        result.rawDeleted += (await models.RouteHealthSnapshot.deleteMany({ $or })).deletedCount;
        result.deletes += 1;
      }
      batch = [];
      batchCount = 0;
    };
    for (const minute of [...perMinute.keys()].sort((a, b) => a - b)) {
      const hour = bucketStart(minute, 'hour').getTime();
      const routes = [...perMinute.get(minute)!].filter(([routeId]) => deletable.has(`${hour}|${routeId}`)).sort(([a], [b]) => (a < b ? -1 : 1));
      for (const [routeId, n] of routes) {
        if (batchCount + n > maxDelete && batchCount > 0) await flush();
        const last = batch.at(-1);
        if (last?.minute === minute) last.routes.push(routeId);
        else batch.push({ minute, routes: [routeId] });
        batchCount += n;
      }
    }
    if (batchCount > 0) await flush();
  }

  result.rollupsDeleted = await deleteOldRollups(models, rollupCutoff, maxDelete, result);
  result.seriesDeleted = await deleteOldSeries(models, rawCutoff, maxDelete, result);
  return result;
}

/**
 * The per-minute series of hours before the raw cutoff: they only feed packet charts, and a
 * resolved incident's packet keeps its own chart series. By _id, at most maxDelete per call.
 */
async function deleteOldSeries(models: RollupModels, cutoff: Date, maxDelete: number, result: RetentionResult): Promise<number> {
  const ids = (await models.RouteHealthSeries.find({ hour: { $lt: cutoff } }, { _id: 1 }).lean()).map((d) => d._id);
  let deleted = 0;
  for (let i = 0; i < ids.length; i += maxDelete) {
    deleted += (await models.RouteHealthSeries.deleteMany({ _id: { $in: ids.slice(i, i + maxDelete) } })).deletedCount;
    result.deletes += 1;
  }
  return deleted;
}

/** Filters of one batch: adjacent minutes with the same routes merged, at most MAX_BRANCHES per filter. */
type Branch = { routeId: { $in: string[] }; at: { $gte: Date; $lt: Date } };
function branches(batch: { minute: number; routes: string[] }[]): Branch[][] {
  const merged: { routes: string[]; start: number; end: number }[] = [];
  for (const { minute, routes } of batch) {
    const prev = merged.at(-1);
    if (prev && prev.end === minute && prev.routes.join('\n') === routes.join('\n')) prev.end = minute + MINUTE_MS;
    else merged.push({ routes, start: minute, end: minute + MINUTE_MS });
  }
  const out: Branch[][] = [];
  for (let i = 0; i < merged.length; i += MAX_BRANCHES) {
    out.push(merged.slice(i, i + MAX_BRANCHES).map((b) => ({ routeId: { $in: b.routes }, at: { $gte: new Date(b.start), $lt: new Date(b.end) } })));
  }
  return out;
}

/** Rollups of buckets before the cutoff, hour by hour of their start, at most maxDelete per deleteMany (unless one hour has more). */
async function deleteOldRollups(models: RollupModels, cutoff: Date, maxDelete: number, result: RetentionResult): Promise<number> {
  const perHour = new Map<number, number>();
  for (const r of await models.RouteHealthRollup.find({ start: { $lt: cutoff } }, { _id: 0, start: 1 }).lean()) {
    const hour = bucketStart(r.start, 'hour').getTime();
    perHour.set(hour, (perHour.get(hour) ?? 0) + 1);
  }
  let deleted = 0;
  let from: number | undefined;
  let count = 0;
  const flush = async (to: number) => {
    if (from === undefined) return;
    deleted += (await models.RouteHealthRollup.deleteMany({ start: { $gte: new Date(from), $lt: new Date(to) } })).deletedCount;
    result.deletes += 1;
    from = undefined;
    count = 0;
  };
  for (const hour of [...perHour.keys()].sort((a, b) => a - b)) {
    const n = perHour.get(hour)!;
    if (from !== undefined && count + n > maxDelete) await flush(hour);
    from ??= hour;
    count += n;
  }
  await flush(cutoff.getTime());
  return deleted;
}
