import type { Models } from '../models';
import { HOUR_MS, MINUTE_MS, SERIES_METRICS, seriesId, type MinuteStats } from '../models/route-health-series';

/**
 * The packet's chart data: latency, loss and score of the incident's first routes around
 * the incident, downsampled into at most MAX_POINTS time buckets (min/mean/max each) of
 * whole minutes, from the per-minute series the sweeper writes (RouteHealthSeries).
 *
 * Not from the raw snapshots: the embedded FerretDB 1.24 (SQLite) uses no index but `_id`,
 * so any query for a route's snapshots in a time range scans the whole collection (measured
 * on 2 vCPUs: 5-7 s at 86,400 snapshots, 24 h of one route at 1 s, however few match; its
 * aggregation scans the same way). The series are one document per route and UTC hour, read
 * by `_id`: a 48 h window of three routes is ~150 reads. Buckets are whole minutes, which a
 * printed chart of a window of 45 min or more does not miss; the band keeps every extreme.
 * Once the window has closed, the series are kept with the packet (IncidentPacket.charts).
 */

export const MAX_POINTS = 600;
export const CHART_ROUTE_LIMIT = 3;
/** Shown before detection and after resolution. */
export const LEAD_MS = 30 * 60_000;
export const TAIL_MS = 15 * 60_000;
/** The longest window charted: a longer incident is shown from 30 min before detection. */
export const MAX_WINDOW_MS = 48 * 3_600_000;
/** Series sums arrive within a flush interval (30 s) of their time; a window this far in the past is closed. */
export const SETTLE_MS = 2 * 60_000;
/** Series documents read at a time. */
const READ_CONCURRENCY = 8;

export type MetricName = 'latency' | 'loss' | 'score';
/** Charted metrics; `prefix` names their fields in MinuteStats. */
export const METRICS: { name: MetricName; prefix: (typeof SERIES_METRICS)[number]['prefix']; label: string; unit: string }[] = [
  { name: 'latency', prefix: 'lat', label: 'Latency', unit: 'ms' },
  { name: 'loss', prefix: 'loss', label: 'Loss', unit: '%' },
  { name: 'score', prefix: 'score', label: 'Health score', unit: '' },
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
  /** Snapshots summed into this route's series within the window. */
  samples: number;
}

export interface ChartWindow {
  from: number;
  to: number;
  bucketMs: number;
}

export interface ChartSeries extends ChartWindow {
  routes: RouteSeries[];
  /** When the series were read (epoch ms); a cache is valid only if this is after the window closed. */
  computedAt: number;
}

/** The window around an incident: detection - 30 min to resolution (or now) + 15 min, capped at 48 h and at now; whole minutes. */
export function chartWindow(detectedAt: Date, endedAt: Date | undefined, now: Date): ChartWindow {
  const from = Math.floor((detectedAt.getTime() - LEAD_MS) / MINUTE_MS) * MINUTE_MS;
  const end = Math.min(now.getTime(), (endedAt ?? now).getTime() + TAIL_MS, from + MAX_WINDOW_MS);
  const span = Math.max(Math.ceil((end - from) / MINUTE_MS) * MINUTE_MS, MINUTE_MS);
  const bucketMs = Math.ceil(span / MAX_POINTS / MINUTE_MS) * MINUTE_MS;
  return { from, to: from + span, bucketMs };
}

/** Accumulates per-minute stats into fixed buckets; points() returns the non-empty ones in time order. */
export class Bucketer {
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  private readonly sum: Float64Array;
  private readonly count: Float64Array;

  constructor(private readonly window: ChartWindow) {
    const n = Math.ceil((window.to - window.from) / window.bucketMs);
    this.min = new Float64Array(n).fill(Infinity);
    this.max = new Float64Array(n).fill(-Infinity);
    this.sum = new Float64Array(n);
    this.count = new Float64Array(n);
  }

  /** Adds n samples that started at `at` (epoch ms), with their sum and extremes. */
  add(at: number, s: { min: number; max: number; sum: number; n: number }): void {
    const i = Math.floor((at - this.window.from) / this.window.bucketMs);
    if (i < 0 || i >= this.count.length || !(s.n > 0) || ![s.min, s.max, s.sum].every(Number.isFinite)) return;
    if (s.min < this.min[i]!) this.min[i] = s.min;
    if (s.max > this.max[i]!) this.max[i] = s.max;
    this.sum[i]! += s.sum;
    this.count[i]! += s.n;
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

interface SeriesDoc {
  routeId: string;
  hour: Date;
  m?: Record<string, Partial<MinuteStats>>;
}

/** Reads and downsamples the minute series of routeIds within the window (by _id, a few at a time). */
export async function loadChartSeries(models: Pick<Models, 'RouteHealthSeries'>, routeIds: readonly string[], window: ChartWindow, now: Date): Promise<ChartSeries> {
  const ids: string[] = [];
  for (const routeId of routeIds) for (let h = Math.floor(window.from / HOUR_MS) * HOUR_MS; h < window.to; h += HOUR_MS) ids.push(seriesId(routeId, h));
  const docs: SeriesDoc[] = [];
  let next = 0;
  const read = async () => {
    while (next < ids.length) {
      const doc = await models.RouteHealthSeries.collection.findOne<SeriesDoc>({ _id: ids[next++] as never }, { projection: { _id: 0, routeId: 1, hour: 1, m: 1 } });
      if (doc) docs.push(doc);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, ids.length) }, read));

  const buckets = new Map(routeIds.map((id) => [id, { latency: new Bucketer(window), loss: new Bucketer(window), score: new Bucketer(window), samples: 0 }]));
  for (const doc of docs) {
    const b = buckets.get(doc.routeId);
    if (!b || !(doc.hour instanceof Date)) continue;
    for (const [minute, stats] of Object.entries(doc.m ?? {})) {
      const at = doc.hour.getTime() + Number(minute) * MINUTE_MS;
      if (at < window.from || at >= window.to) continue;
      b.samples += stats.n ?? 0;
      for (const { name, prefix } of METRICS) {
        b[name].add(at, { min: stats[`${prefix}Min`] ?? NaN, max: stats[`${prefix}Max`] ?? NaN, sum: stats[`${prefix}Sum`] ?? NaN, n: stats[`${prefix}N`] ?? 0 });
      }
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
