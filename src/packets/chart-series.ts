import type { Models } from '../models';
import { HOUR_MS, MINUTE_MS, SERIES_METRICS, seriesId, type MinuteStats } from '../models/route-health-series';
import { inRawPart, seriesSettleMs, type ChartWindow } from './chart-window';
import { readRecentSamples, type RecentSample } from './recent-samples';

/**
 * The packet's chart data: latency, loss and score of the incident's first routes over the
 * window of chart-window.ts, downsampled into time buckets (min/mean/max each).
 *
 * Most of the window comes from the per-minute series the sweeper writes (RouteHealthSeries).
 * Not from the raw snapshots: the embedded FerretDB 1.24 (SQLite) uses no index for a time
 * range, so any query for a route's snapshots in one scans the whole collection (measured on
 * 2 vCPUs: 5-7 s at 86,400 snapshots, 24 h of one route at 1 s, however few match; its
 * aggregation scans the same way). The series are one document per route and UTC hour, read
 * by `_id` (which FerretDB 1.24 answers with a scan in SQLite too, see recent-health-sample.ts,
 * but of a collection 3,600 times smaller): a 48 h window of three routes is ~150 reads.
 *
 * The window's raw part (what the series may not hold yet, and a short incident) comes from
 * the recent samples instead: the sweeper's copy of the last minutes of snapshots, small
 * enough to read with one query (recent-samples.ts). There a route's series minutes are left
 * out from the minute of its first sample on, so nothing counts twice; before that (a sweeper
 * that was not writing samples yet) they stay.
 * Once the window has closed, the series are kept with the packet (IncidentPacket.charts).
 */

export const CHART_ROUTE_LIMIT = 3;
/** Series documents read at a time. */
const READ_CONCURRENCY = 8;

export type MetricName = 'latency' | 'loss' | 'score';
type SeriesMetric = (typeof SERIES_METRICS)[number];
/** Charted metrics; `prefix` names their fields in MinuteStats, `field` in a snapshot. */
export const METRICS: { name: MetricName; prefix: SeriesMetric['prefix']; field: SeriesMetric['field']; label: string; unit: string }[] = [
  { name: 'latency', prefix: 'lat', field: 'latencyMs', label: 'Latency', unit: 'ms' },
  { name: 'loss', prefix: 'loss', field: 'lossPct', label: 'Loss', unit: '%' },
  { name: 'score', prefix: 'score', field: 'score', label: 'Health score', unit: '' },
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
  /** Snapshots summed into this route's charts within the window. */
  samples: number;
}

export interface ChartSeries extends ChartWindow {
  routes: RouteSeries[];
  /** When the series were read (epoch ms); a cache is valid only if this is after the window closed. */
  computedAt: number;
}

/** Accumulates samples into the window's buckets (its own ones in the raw part); points() returns the non-empty ones in time order. */
export class Bucketer {
  private readonly gridCount: number;
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  private readonly sum: Float64Array;
  private readonly count: Float64Array;

  constructor(private readonly window: ChartWindow) {
    this.gridCount = Math.ceil((window.to - window.from) / window.bucketMs);
    const n = this.gridCount + (window.raw ? Math.ceil((window.raw.to - window.raw.from) / window.raw.bucketMs) : 0);
    this.min = new Float64Array(n).fill(Infinity);
    this.max = new Float64Array(n).fill(-Infinity);
    this.sum = new Float64Array(n);
    this.count = new Float64Array(n);
  }

  /** Adds n samples taken at or from `at` (epoch ms), with their sum and extremes. */
  add(at: number, s: { min: number; max: number; sum: number; n: number }): void {
    const i = this.indexOf(at);
    if (i < 0 || !(s.n > 0) || ![s.min, s.max, s.sum].every(Number.isFinite)) return;
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
      out.push({ t: this.startOf(i), min: round(this.min[i]!), avg: round(this.sum[i]! / n), max: round(this.max[i]!), n });
    }
    return out.sort((a, b) => a.t - b.t);
  }

  /** Raw-part buckets follow the window's own grid in the arrays; -1 outside the window. */
  private indexOf(at: number): number {
    const { from, to, bucketMs, raw } = this.window;
    if (raw && inRawPart(this.window, at)) return this.gridCount + Math.floor((at - raw.from) / raw.bucketMs);
    return at >= from && at < to ? Math.floor((at - from) / bucketMs) : -1;
  }

  private startOf(i: number): number {
    const { from, bucketMs, raw } = this.window;
    return i < this.gridCount ? from + i * bucketMs : raw!.from + (i - this.gridCount) * raw!.bucketMs;
  }
}

interface SeriesDoc {
  routeId: string;
  hour: Date;
  m?: Record<string, Partial<MinuteStats>>;
}

/** One route's three charts being filled. */
class RouteCharts {
  readonly latency: Bucketer;
  readonly loss: Bucketer;
  readonly score: Bucketer;
  samples = 0;

  constructor(window: ChartWindow) {
    this.latency = new Bucketer(window);
    this.loss = new Bucketer(window);
    this.score = new Bucketer(window);
  }

  addMinute(at: number, stats: Partial<MinuteStats>): void {
    this.samples += stats.n ?? 0;
    for (const { name, prefix } of METRICS) {
      this[name].add(at, { min: stats[`${prefix}Min`] ?? NaN, max: stats[`${prefix}Max`] ?? NaN, sum: stats[`${prefix}Sum`] ?? NaN, n: stats[`${prefix}N`] ?? 0 });
    }
  }

  addSample(s: RecentSample): void {
    this.samples += 1;
    for (const { name, field } of METRICS) {
      const v = s[field];
      if (typeof v === 'number') this[name].add(s.at.getTime(), { min: v, max: v, sum: v, n: 1 });
    }
  }

  series(routeId: string): RouteSeries {
    return { routeId, latency: this.latency.points(), loss: this.loss.points(), score: this.score.points(), samples: this.samples };
  }
}

/** Reads routeIds' charts within the window: minute series by _id (a few at a time), the raw part from the recent samples. */
export async function loadChartSeries(models: Pick<Models, 'RouteHealthSeries' | 'RecentHealthSample'>, routeIds: readonly string[], window: ChartWindow, now: Date): Promise<ChartSeries> {
  const [docs, samples] = await Promise.all([
    readSeriesHours(models, routeIds, window),
    window.raw ? readRecentSamples(models, routeIds, window.raw.from, window.raw.to) : Promise.resolve([]),
  ]);
  const charts = new Map(routeIds.map((id) => [id, new RouteCharts(window)]));
  /** Per route, where its samples start: series minutes in the raw part are used only before it. */
  const samplesFrom = new Map<string, number>();
  for (const s of samples) {
    const route = charts.get(s.routeId);
    if (!route || !(s.at instanceof Date)) continue;
    route.addSample(s);
    const minute = Math.floor(s.at.getTime() / MINUTE_MS) * MINUTE_MS;
    samplesFrom.set(s.routeId, Math.min(samplesFrom.get(s.routeId) ?? Infinity, minute));
  }
  for (const doc of docs) {
    const route = charts.get(doc.routeId);
    if (!route || !(doc.hour instanceof Date)) continue;
    const sampledFrom = samplesFrom.get(doc.routeId) ?? Infinity;
    for (const [minute, stats] of Object.entries(doc.m ?? {})) {
      const at = doc.hour.getTime() + Number(minute) * MINUTE_MS;
      if (at < window.from || at >= window.to || (inRawPart(window, at) && at >= sampledFrom)) continue;
      route.addMinute(at, stats);
    }
  }
  return { ...window, computedAt: now.getTime(), routes: routeIds.map((routeId) => charts.get(routeId)!.series(routeId)) };
}

/** The series documents of the hours the window touches. */
async function readSeriesHours(models: Pick<Models, 'RouteHealthSeries'>, routeIds: readonly string[], window: ChartWindow): Promise<SeriesDoc[]> {
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
  return docs;
}

/**
 * True when cached series were read after their window closed, for the same routes and window.
 * The raw part is not compared: it shrinks as the recent samples age out, and what was read
 * while they were there is the finer record.
 */
export function usableCache(cached: unknown, routeIds: readonly string[], window: ChartWindow, settleMs: number = seriesSettleMs()): cached is ChartSeries {
  if (typeof cached !== 'object' || cached === null) return false;
  const c = cached as Partial<ChartSeries>;
  return (
    c.from === window.from &&
    c.to === window.to &&
    c.bucketMs === window.bucketMs &&
    typeof c.computedAt === 'number' &&
    c.computedAt >= window.to + settleMs &&
    Array.isArray(c.routes) &&
    c.routes.length === routeIds.length &&
    c.routes.every((r, i) => r.routeId === routeIds[i])
  );
}
