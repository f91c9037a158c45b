import { RECENT_SAMPLES_KEEP_MS } from '../models/recent-health-sample';
import { MINUTE_MS } from '../models/route-health-series';

/**
 * The time window a packet charts, fitted to its incident, and which part of it comes from
 * which source (see chart-series.ts): the per-minute series in buckets of whole minutes, and
 * a raw part read from the recent samples (the last RECENT_SAMPLES_KEEP_MS of snapshots) in
 * buckets of its own — sub-minute while the window is short, so an outage of seconds shows
 * as more than one point.
 */

export const MAX_POINTS = 600;
/** Shown before detection and after resolution: the incident's duration, at least this. */
export const MIN_PAD_MS = 5 * 60_000;
/** The longest window charted: the padding shrinks to fit a long incident; a longer one is shown from MIN_PAD_MS before detection. */
export const MAX_WINDOW_MS = 48 * 3_600_000;
/** An incident at most this long is charted from its raw measurements while they are recent (minutes would hide it). */
export const SHORT_INCIDENT_MS = 10 * 60_000;
/**
 * Bucket sizes of the raw part: the smallest no finer than the window shared out in MAX_POINTS
 * and keeping it within MAX_POINTS; when none does (a window over 5 h), the window's own.
 */
const RAW_BUCKETS_MS = [5_000, 10_000, 15_000, 20_000, 30_000];
/** STATETRACE_SERIES_FLUSH_SEC's default, in ms. */
export const DEFAULT_SERIES_FLUSH_MS = 30_000;

/** How long after a minute has ended its series sums are surely in the database: one flush interval, and time for the write. */
export const seriesSettleMs = (seriesFlushMs: number = DEFAULT_SERIES_FLUSH_MS) => seriesFlushMs + 90_000;

/** A span of time (epoch ms, `to` excluded) and the size of its buckets. */
export interface ChartSpan {
  from: number;
  to: number;
  bucketMs: number;
}

export interface ChartWindow extends ChartSpan {
  /** The part read from the raw snapshots, in buckets of its own; whole buckets of the window; absent when the series hold everything. */
  raw?: ChartSpan;
}

const floorTo = (t: number, step: number) => Math.floor(t / step) * step;
const ceilTo = (t: number, step: number) => Math.ceil(t / step) * step;

/**
 * From detection - pad to resolution (or now) + pad, capped at now, in whole minutes; pad is
 * the incident's duration, at least MIN_PAD_MS, and less where the window would pass
 * MAX_WINDOW_MS. Series buckets are whole minutes, at most MAX_POINTS of them. The raw part
 * covers what the series may not hold yet (from `settleMs` before now, see seriesSettleMs)
 * and, for an incident of at most SHORT_INCIDENT_MS, the incident's own minutes — as far as
 * the recent samples still reach back.
 */
export function chartWindow(detectedAt: Date, endedAt: Date | undefined, now: Date, settleMs: number = seriesSettleMs()): ChartWindow {
  const detected = detectedAt.getTime();
  const ended = (endedAt ?? now).getTime();
  const duration = Math.max(0, ended - detected);
  const pad = Math.max(MIN_PAD_MS, Math.min(duration, (MAX_WINDOW_MS - duration) / 2));
  const from = floorTo(detected - pad, MINUTE_MS);
  const end = Math.min(now.getTime(), ended + pad, from + MAX_WINDOW_MS);
  const to = from + Math.max(ceilTo(end - from, MINUTE_MS), MINUTE_MS);
  const bucketMs = ceilTo((to - from) / MAX_POINTS, MINUTE_MS);
  const raw = rawPart({ from, to, bucketMs }, now.getTime() - RECENT_SAMPLES_KEEP_MS, [
    [floorTo(now.getTime() - settleMs, MINUTE_MS), to],
    ...(duration <= SHORT_INCIDENT_MS ? [[floorTo(detected, MINUTE_MS), ceilTo(ended + 1, MINUTE_MS)] as [number, number]] : []),
  ]);
  return raw ? { from, to, bucketMs, raw } : { from, to, bucketMs };
}

/**
 * One span over the given parts, clipped to the window, widened to whole buckets of it but not
 * before `recentFrom` (older samples are gone), with its buckets (RAW_BUCKETS_MS).
 */
function rawPart(window: ChartSpan, recentFrom: number, parts: [number, number][]): ChartSpan | undefined {
  const oldest = window.from + ceilTo(Math.max(recentFrom, window.from) - window.from, window.bucketMs);
  const clipped = parts.map(([a, b]) => [Math.max(a, oldest), Math.min(b, window.to)] as const).filter(([a, b]) => a < b);
  if (clipped.length === 0) return undefined;
  const from = Math.max(oldest, window.from + floorTo(Math.min(...clipped.map(([a]) => a)) - window.from, window.bucketMs));
  const to = Math.min(window.to, window.from + ceilTo(Math.max(...clipped.map(([, b]) => b)) - window.from, window.bucketMs));
  const seriesBuckets = Math.ceil((from - window.from) / window.bucketMs) + Math.ceil((window.to - to) / window.bucketMs);
  const finest = (window.to - window.from) / MAX_POINTS;
  const bucketMs = RAW_BUCKETS_MS.find((b) => b >= finest && seriesBuckets + Math.ceil((to - from) / b) <= MAX_POINTS) ?? window.bucketMs;
  return { from, to, bucketMs };
}

/** Whether `at` falls in the window's raw part. */
export const inRawPart = (window: ChartWindow, at: number): boolean => window.raw !== undefined && at >= window.raw.from && at < window.raw.to;

/** The size of the bucket that holds `at`. */
export const bucketSizeAt = (window: ChartWindow, at: number): number => (inRawPart(window, at) ? window.raw!.bucketMs : window.bucketMs);

/** Whether a window is closed at `now`: its series are all written, so what was read from them can be kept. */
export const windowClosed = (window: ChartWindow, now: Date, settleMs: number = seriesSettleMs()): boolean => now.getTime() >= window.to + settleMs;
