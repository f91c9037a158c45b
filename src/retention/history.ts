import { addTotals, bucketStart, DAY_MS, emptyTotals, HOUR_MS, rollupId, type HealthTotals } from './health-totals';
import { findRollup, latestCompleteBucket, type RollupModels } from './rollup-store';

export type HistoryResolution = 'raw' | 'hour' | 'day';

/** Up to this range, history reads raw snapshots; up to HOURLY_HISTORY_MAX_SEC hourly rollups; beyond, daily ones. */
export const RAW_HISTORY_MAX_SEC = 48 * 3600;
export const HOURLY_HISTORY_MAX_SEC = 60 * 86_400;

/** Which data a history over the last `rangeSec` seconds reads. */
export function historyResolution(rangeSec: number): HistoryResolution {
  return rangeSec <= RAW_HISTORY_MAX_SEC ? 'raw' : rangeSec <= HOURLY_HISTORY_MAX_SEC ? 'hour' : 'day';
}

export interface RollupHistory {
  resolution: 'hour' | 'day';
  /** Covered: [from, to), from aligned down to the resolution, to the end of the last complete hour. */
  from: Date;
  to: Date;
  totals: HealthTotals;
}

/** How far back the newest complete hour and day are looked for; older means the roll-up job is not running. */
const RECENT_HOURS = 6;
const RECENT_DAYS = 3;

/**
 * A route's health totals since `since` from rollups, or undefined when the roll-up job has
 * not completed an hour in the last six (the caller then reads raw snapshots). Whole days
 * inside the range come from daily rollups and the hours around them from hourly ones: the
 * sums equal the hourly ones, for far fewer reads. Each read is an _id lookup (FerretDB 1.x
 * would scan the whole rollup collection for a query on routeId and start).
 */
export async function loadRollupHistory(opts: { models: RollupModels; routeId: string; since: Date; now?: Date; resolution: 'hour' | 'day' }): Promise<RollupHistory | undefined> {
  const { models, routeId, resolution } = opts;
  const now = opts.now ?? new Date();
  const lastHour = await latestCompleteBucket(models, 'hour', bucketStart(now, 'hour'), RECENT_HOURS);
  if (!lastHour) return undefined;
  const to = lastHour.getTime() + HOUR_MS;
  const lastDay = await latestCompleteBucket(models, 'day', bucketStart(now, 'day'), RECENT_DAYS);
  const dayEnd = lastDay ? lastDay.getTime() + DAY_MS : undefined;

  const from = bucketStart(opts.since, resolution).getTime();
  const firstDay = Math.min(from % DAY_MS === 0 ? from : bucketStart(from, 'day').getTime() + DAY_MS, to);
  const daysEnd = dayEnd === undefined ? firstDay : Math.max(firstDay, Math.min(dayEnd, bucketStart(to, 'day').getTime()));
  const ids: string[] = [];
  for (let t = from; t < firstDay; t += HOUR_MS) ids.push(rollupId(routeId, 'hour', new Date(t)));
  for (let t = firstDay; t < daysEnd; t += DAY_MS) ids.push(rollupId(routeId, 'day', new Date(t)));
  for (let t = daysEnd; t < to; t += HOUR_MS) ids.push(rollupId(routeId, 'hour', new Date(t)));

  const totals = emptyTotals();
  for (const id of ids) {
    const doc = await findRollup(models, id);
    if (doc) addTotals(totals, doc as unknown as HealthTotals);
  }
  return { resolution, from: new Date(from), to: new Date(to), totals };
}

const num = (v: number | undefined, unit: string) => (v === undefined ? '—' : `${v.toFixed(1)} ${unit}`);
const pct = (part: number, whole: number) => (whole ? `${((part / whole) * 100).toFixed(2)} %` : '—');
const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** The two summary lines of `history` from rollups (the same shape as from raw snapshots, naming the resolution). */
export function rollupHistoryLines(routeId: string, rangeLabel: string, h: RollupHistory): string[] {
  const t = h.totals;
  return [
    `*${routeId}*, last ${rangeLabel} (${h.resolution === 'hour' ? 'hourly' : 'daily'} rollups, ${utc(h.from)} to ${utc(h.to)}): ${t.samples} measurements · up ${pct(t.upSamples, t.samples)} · degraded ${pct(t.degradedSamples, t.samples)} · down ${pct(t.downSamples, t.samples)}`,
    `mean rtt ${num(t.latencyCount ? t.latencySum / t.latencyCount : undefined, 'ms')} · worst rtt ${num(t.latencyMax, 'ms')} · mean loss ${num(t.lossCount ? t.lossSum / t.lossCount : undefined, '%')}`,
  ];
}
