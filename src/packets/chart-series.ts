import type { Models } from '../models';

/**
 * The packet's chart data: latency, loss and score of the incident's first routes around
 * the incident, downsampled into at most MAX_POINTS time buckets (min/avg/max each).
 *
 * Reading snapshots is the slow part on the embedded FerretDB 1.24 (SQLite). Measured with
 * 86,400 snapshots (24 h at 1 s, one route) on 2 vCPUs:
 *  - only `_id` equality uses an index (2 ms); plain equality (`routeId: 'r1'`) is pushed
 *    down to SQLite but still evaluated row by row (a match-nothing query: 5.3 s); ranges,
 *    `$in`, sort and skip are not pushed down at all. A range find of 86,400 projected docs
 *    took 6.8-7.6 s (batchSize 1,000 to 100,000 made little difference), one of only 144
 *    docs (one bucket's worth) 6.5 s: both scan the whole table;
 *  - so N parallel range queries (one per bucket) cost N full scans: 600 of them had not
 *    finished after 10 minutes;
 *  - its aggregation has no $min/$max/$avg and scans the same way ($group $sum: 6.3 s);
 *  - the scan streams: a cursor closed after its first 1,000 docs took 125 ms.
 * Hence ONE streaming find for every chart route (projection, batches of BATCH_SIZE),
 * bucketed here as the batches arrive: ~5-6 s for the 86,400 docs in `npm run bench --
 * packet --cold`, nearly all of it FerretDB's scan. On MongoDB the same query uses the
 * { routeId: 1, at: -1 } index. Once the window has closed, the series are kept with the
 * packet (IncidentPacket.charts), so a regeneration does not read the snapshots again.
 */

export const MAX_POINTS = 600;
export const CHART_ROUTE_LIMIT = 3;
/** Shown before detection and after resolution. */
export const LEAD_MS = 30 * 60_000;
export const TAIL_MS = 15 * 60_000;
/** The longest window charted: a longer incident is shown from 30 min before detection. */
export const MAX_WINDOW_MS = 48 * 3_600_000;
/** Snapshots arrive within seconds of their time; a window this far in the past is closed. */
export const SETTLE_MS = 2 * 60_000;
const BATCH_SIZE = 20_000;

export type MetricName = 'latency' | 'loss' | 'score';
export const METRICS: { name: MetricName; field: 'latencyMs' | 'lossPct' | 'score'; label: string; unit: string }[] = [
  { name: 'latency', field: 'latencyMs', label: 'Latency', unit: 'ms' },
  { name: 'loss', field: 'lossPct', label: 'Loss', unit: '%' },
  { name: 'score', field: 'score', label: 'Health score', unit: '' },
];

/** One bucket: its start (epoch ms), the extremes and the mean of its samples. */
export interface SeriesPoint {
  t: number;
  min: number;
  avg: number;
  max: number;
  n: number;
}

export interface RouteSeries {
  routeId: string;
  latency: SeriesPoint[];
  loss: SeriesPoint[];
  score: SeriesPoint[];
  /** Snapshots read for this route within the window. */
  samples: number;
}

export interface ChartWindow {
  from: number;
  to: number;
  bucketMs: number;
}

export interface ChartSeries extends ChartWindow {
  routes: RouteSeries[];
  /** When the snapshots were read (epoch ms); a cache is valid only if this is after the window closed. */
  computedAt: number;
}

/** The window around an incident: detection - 30 min to resolution (or now) + 15 min, capped at 48 h and at now. */
export function chartWindow(detectedAt: Date, endedAt: Date | undefined, now: Date): ChartWindow {
  const from = detectedAt.getTime() - LEAD_MS;
  const to = Math.min(now.getTime(), (endedAt ?? now).getTime() + TAIL_MS, from + MAX_WINDOW_MS);
  const span = Math.max(to - from, 60_000);
  // Whole seconds, so bucket starts are readable and stable for one window.
  const bucketMs = Math.max(1000, Math.ceil(span / MAX_POINTS / 1000) * 1000);
  return { from, to: from + span, bucketMs };
}

/** Accumulates samples into fixed buckets; points() returns the non-empty ones in time order. */
export class Bucketer {
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  private readonly sum: Float64Array;
  private readonly count: Uint32Array;

  constructor(private readonly window: ChartWindow) {
    const n = Math.ceil((window.to - window.from) / window.bucketMs);
    this.min = new Float64Array(n).fill(Infinity);
    this.max = new Float64Array(n).fill(-Infinity);
    this.sum = new Float64Array(n);
    this.count = new Uint32Array(n);
  }

  add(at: number, value: number): void {
    const i = Math.floor((at - this.window.from) / this.window.bucketMs);
    if (i < 0 || i >= this.count.length || !Number.isFinite(value)) return;
    if (value < this.min[i]!) this.min[i] = value;
    if (value > this.max[i]!) this.max[i] = value;
    this.sum[i]! += value;
    this.count[i]! += 1;
  }

  points(): SeriesPoint[] {
    const out: SeriesPoint[] = [];
    const round = (x: number) => Math.round(x * 1000) / 1000;
    for (let i = 0; i < this.count.length; i++) {
      const n = this.count[i]!;
      if (n === 0) continue;
      out.push({ t: this.window.from + i * this.window.bucketMs, min: round(this.min[i]!), avg: round(this.sum[i]! / n), max: round(this.max[i]!), n });
    }
    return out;
  }
}

interface SnapshotRow {
  routeId: string;
  at: Date;
  latencyMs?: number | null;
  lossPct?: number | null;
  score?: number | null;
}

/** Reads and downsamples the snapshots of routeIds within the window (one streaming query). */
export async function loadChartSeries(models: Pick<Models, 'RouteHealthSnapshot'>, routeIds: readonly string[], window: ChartWindow, now: Date): Promise<ChartSeries> {
  const buckets = new Map(routeIds.map((id) => [id, { latency: new Bucketer(window), loss: new Bucketer(window), score: new Bucketer(window), samples: 0 }]));
  if (routeIds.length > 0) {
    // A single route as plain equality: the one filter FerretDB 1.x pushes down to SQLite.
    const routeFilter = routeIds.length === 1 ? routeIds[0]! : { $in: [...routeIds] };
    const cursor = models.RouteHealthSnapshot.collection.find<SnapshotRow>(
      { routeId: routeFilter, at: { $gte: new Date(window.from), $lt: new Date(window.to) } },
      { projection: { _id: 0, routeId: 1, at: 1, latencyMs: 1, lossPct: 1, score: 1 }, batchSize: BATCH_SIZE },
    );
    for await (const row of cursor) {
      const b = buckets.get(row.routeId);
      if (!b || !(row.at instanceof Date)) continue;
      const at = row.at.getTime();
      b.samples += 1;
      if (typeof row.latencyMs === 'number') b.latency.add(at, row.latencyMs);
      if (typeof row.lossPct === 'number') b.loss.add(at, row.lossPct);
      if (typeof row.score === 'number') b.score.add(at, row.score);
    }
  }
  return {
    ...window,
    computedAt: now.getTime(),
    routes: routeIds.map((routeId) => {
      const b = buckets.get(routeId)!;
      return { routeId, latency: b.latency.points(), loss: b.loss.points(), score: b.score.points(), samples: b.samples };
    }),
  };
}

/** True when cached series were read after their window closed, for the same routes and window. */
export function usableCache(cached: unknown, routeIds: readonly string[], window: ChartWindow): cached is ChartSeries {
  if (typeof cached !== 'object' || cached === null) return false;
  const c = cached as Partial<ChartSeries>;
  return (
    c.from === window.from &&
    c.to === window.to &&
    c.bucketMs === window.bucketMs &&
    typeof c.computedAt === 'number' &&
    c.computedAt >= window.to + SETTLE_MS &&
    Array.isArray(c.routes) &&
    c.routes.length === routeIds.length &&
    c.routes.every((r, i) => r.routeId === routeIds[i])
  );
}

/** Whether a window is closed at `now` (its series can be kept). */
export const windowClosed = (window: ChartWindow, now: Date) => now.getTime() >= window.to + SETTLE_MS;
