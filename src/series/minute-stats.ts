import { SERIES_METRICS, type MinuteStats } from '../models/route-health-series';

/** The parts of a snapshot that the minute series keeps. */
export interface SeriesSample {
  routeId: string;
  at: Date;
  status: string;
  score?: number | null;
  latencyMs?: number | null;
  lossPct?: number | null;
}

const STATUS_COUNTERS = ['up', 'degraded', 'down', 'unknown'] as const;
type StatusCounter = (typeof STATUS_COUNTERS)[number];
/** The fields that add up. */
const COUNTERS = ['n', ...STATUS_COUNTERS, 'latSum', 'latN', 'lossSum', 'lossN', 'scoreSum', 'scoreN'] as const;
const MINS = SERIES_METRICS.map((m) => `${m.prefix}Min` as const);
const MAXES = SERIES_METRICS.map((m) => `${m.prefix}Max` as const);

export const emptyMinute = (): MinuteStats => ({ n: 0, up: 0, degraded: 0, down: 0, unknown: 0, latSum: 0, latN: 0, lossSum: 0, lossN: 0, scoreSum: 0, scoreN: 0 });

const lower = (a: number | undefined, b: number) => (a === undefined || b < a ? b : a);
const higher = (a: number | undefined, b: number) => (a === undefined || b > a ? b : a);

/** Adds one sample to a minute (in place). */
export function addSample(m: MinuteStats, s: SeriesSample): void {
  m.n += 1;
  const status = (STATUS_COUNTERS as readonly string[]).includes(s.status) ? (s.status as StatusCounter) : 'unknown';
  m[status] += 1;
  for (const { prefix, field } of SERIES_METRICS) {
    const v = s[field];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    m[`${prefix}Sum`] += v;
    m[`${prefix}N`] += 1;
    m[`${prefix}Min`] = lower(m[`${prefix}Min`], v);
    m[`${prefix}Max`] = higher(m[`${prefix}Max`], v);
  }
}

/** Adds minute b into a (in place): what seriesUpdate does to the stored minute. */
export function mergeMinute(a: MinuteStats, b: MinuteStats): void {
  for (const k of COUNTERS) a[k] += b[k];
  for (const k of MINS) if (b[k] !== undefined) a[k] = lower(a[k], b[k]);
  for (const k of MAXES) if (b[k] !== undefined) a[k] = higher(a[k], b[k]);
}

/** The upsert that adds `minutes` (minute of the hour → stats) to a route's series document. */
export function seriesUpdate(routeId: string, hour: Date, minutes: ReadonlyMap<number, MinuteStats>) {
  const $inc: Record<string, number> = {};
  const $min: Record<string, number> = {};
  const $max: Record<string, number> = {};
  for (const [minute, s] of minutes) {
    for (const k of COUNTERS) $inc[`m.${minute}.${k}`] = s[k];
    for (const k of MINS) if (s[k] !== undefined) $min[`m.${minute}.${k}`] = s[k];
    for (const k of MAXES) if (s[k] !== undefined) $max[`m.${minute}.${k}`] = s[k];
  }
  return {
    $setOnInsert: { routeId, hour },
    $inc,
    ...(Object.keys($min).length > 0 ? { $min } : {}),
    ...(Object.keys($max).length > 0 ? { $max } : {}),
  };
}
