import type { RollupResolution } from '../models/route-health-rollup';

/** The additive numbers of a rollup: sums, counts and extremes, so buckets add up exactly. */
export interface HealthTotals {
  samples: number;
  upSamples: number;
  degradedSamples: number;
  downSamples: number;
  unknownSamples: number;
  latencySum: number;
  latencyCount: number;
  latencyMax?: number;
  lossSum: number;
  lossCount: number;
  lossMax?: number;
  scoreSum: number;
  scoreMin?: number;
}

/** The fields of a raw snapshot that a rollup reads. */
export interface SnapshotSample {
  status: string;
  score: number;
  latencyMs?: number | null;
  lossPct?: number | null;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const bucketMs = (resolution: RollupResolution) => (resolution === 'hour' ? HOUR_MS : DAY_MS);
/** The start of the UTC hour or day that holds `at`. */
export const bucketStart = (at: Date | number, resolution: RollupResolution) => {
  const ms = typeof at === 'number' ? at : at.getTime();
  return new Date(ms - (((ms % bucketMs(resolution)) + bucketMs(resolution)) % bucketMs(resolution)));
};
export const rollupId = (routeId: string, resolution: RollupResolution, start: Date) => `${routeId}:${resolution}:${start.toISOString()}`;

export function emptyTotals(): HealthTotals {
  return { samples: 0, upSamples: 0, degradedSamples: 0, downSamples: 0, unknownSamples: 0, latencySum: 0, latencyCount: 0, lossSum: 0, lossCount: 0, scoreSum: 0 };
}

const max = (a: number | undefined, b: number | undefined | null) => (b === undefined || b === null ? a : a === undefined ? b : Math.max(a, b));
const min = (a: number | undefined, b: number | undefined | null) => (b === undefined || b === null ? a : a === undefined ? b : Math.min(a, b));

/** Adds one raw snapshot to the totals (in place). */
export function addSample(t: HealthTotals, s: SnapshotSample): void {
  t.samples += 1;
  if (s.status === 'up') t.upSamples += 1;
  else if (s.status === 'degraded') t.degradedSamples += 1;
  else if (s.status === 'down') t.downSamples += 1;
  else t.unknownSamples += 1;
  if (typeof s.latencyMs === 'number') {
    t.latencySum += s.latencyMs;
    t.latencyCount += 1;
    t.latencyMax = max(t.latencyMax, s.latencyMs);
  }
  if (typeof s.lossPct === 'number') {
    t.lossSum += s.lossPct;
    t.lossCount += 1;
    t.lossMax = max(t.lossMax, s.lossPct);
  }
  t.scoreSum += s.score;
  t.scoreMin = min(t.scoreMin, s.score);
}

/** Adds a rollup's (or other totals') numbers to `t` (in place). */
export function addTotals(t: HealthTotals, u: HealthTotals): void {
  t.samples += u.samples;
  t.upSamples += u.upSamples;
  t.degradedSamples += u.degradedSamples;
  t.downSamples += u.downSamples;
  t.unknownSamples += u.unknownSamples;
  t.latencySum += u.latencySum;
  t.latencyCount += u.latencyCount;
  t.latencyMax = max(t.latencyMax, u.latencyMax);
  t.lossSum += u.lossSum;
  t.lossCount += u.lossCount;
  t.lossMax = max(t.lossMax, u.lossMax);
  t.scoreSum += u.scoreSum;
  t.scoreMin = min(t.scoreMin, u.scoreMin);
}

/** Float sums rounded to 1e-6, so adding the same samples in another order stores the same document. */
export function settled(t: HealthTotals): HealthTotals {
  const r = (x: number) => Math.round(x * 1e6) / 1e6;
  const out: HealthTotals = { ...t, latencySum: r(t.latencySum), lossSum: r(t.lossSum), scoreSum: r(t.scoreSum) };
  for (const k of ['latencyMax', 'lossMax', 'scoreMin'] as const) if (out[k] === undefined) delete out[k];
  return out;
}
