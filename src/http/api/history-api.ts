import { z } from 'zod';
import { id } from '../../directory/schema';
import { HOUR_MS, MINUTE_MS, seriesId, type MinuteStats } from '../../models/route-health-series';
import { addTotals, bucketMs, bucketStart, emptyTotals, rollupId, type HealthTotals } from '../../retention/health-totals';
import { HOURLY_HISTORY_MAX_SEC, historyResolution, RAW_HISTORY_MAX_SEC } from '../../retention/history';
import { findRollup } from '../../retention/rollup-store';
import { emptyMinute, mergeMinute } from '../../series/minute-stats';
import { sendError } from '../api-errors';
import type { HttpServer } from '../server';
import { errorResponses, type ApiV1Deps } from './api-schemas';

/** At most about this many points come back; finer data is merged into wider buckets. */
const MAX_POINTS = 500;
const MAX_RANGE_SEC = 366 * 86_400;
/** The longest range each explicit resolution may read (one document per hour or day). */
const LIMIT_SEC = { minute: RAW_HISTORY_MAX_SEC, hour: HOURLY_HISTORY_MAX_SEC, day: MAX_RANGE_SEC } as const;
/** Rollup lookups in flight at once (each an _id read). */
const READ_CONCURRENCY = 32;

type Resolution = keyof typeof LIMIT_SEC;
const stat = z.object({ min: z.number().optional(), avg: z.number().optional(), max: z.number().optional() });
const point = z.object({
  start: z.string(),
  samples: z.number().int(),
  statusCounts: z.object({ up: z.number().int(), degraded: z.number().int(), down: z.number().int(), unknown: z.number().int() }),
  latencyMs: stat,
  lossPct: stat,
  score: stat,
});
type Point = z.infer<typeof point>;

/** A route's health over a time range, downsampled: minute series up to 48 h, hourly rollups up to 60 days, daily ones beyond. */
export function registerHistoryApi(app: HttpServer, { models, auth }: ApiV1Deps): void {
  app.get('/api/v1/routes/:id/history', {
    preHandler: auth.requireScope('read'),
    schema: {
      tags: ['status'],
      summary: 'Health history of one route',
      description: `resolution=auto reads the per-minute series for ranges up to 48 h, hourly rollups up to 60 days and daily rollups beyond (at most 366 days); buckets are widened so that at most ~${MAX_POINTS} points come back (\`bucketSec\`). Only buckets with measurements are listed. Rollups keep no minimum latency or loss and no maximum score: those stay absent at hour and day resolution.`,
      params: z.object({ id: id() }),
      querystring: z.object({
        from: z.iso.datetime({ offset: true }).optional().describe('default: 24 h before `to`'),
        to: z.iso.datetime({ offset: true }).optional().describe('default: now'),
        resolution: z.enum(['auto', 'minute', 'hour', 'day']).default('auto'),
      }),
      response: {
        200: z.object({ routeId: z.string(), from: z.string(), to: z.string(), resolution: z.enum(['minute', 'hour', 'day']), bucketSec: z.number().int(), points: z.array(point) }),
        ...errorResponses(400, 401, 403, 404),
      },
    },
  }, async (req, reply) => {
    const to = req.query.to ? Date.parse(req.query.to) : Date.now();
    const from = req.query.from ? Date.parse(req.query.from) : to - 86_400_000;
    const rangeSec = (to - from) / 1000;
    if (rangeSec <= 0) return sendError(reply, 400, 'invalid request querystring', ['from: must be before to']);
    if (rangeSec > MAX_RANGE_SEC) return sendError(reply, 400, 'invalid request querystring', ['from: the range is at most 366 days']);
    const auto = historyResolution(rangeSec);
    const resolution: Resolution = req.query.resolution !== 'auto' ? req.query.resolution : auto === 'raw' ? 'minute' : auto;
    if (rangeSec > LIMIT_SEC[resolution]) return sendError(reply, 400, 'invalid request querystring', [`resolution: ${resolution} covers at most ${LIMIT_SEC[resolution] / 86_400} days; use a coarser one or auto`]);
    if (!(await models.RouteRecord.exists({ _id: req.params.id }))) return sendError(reply, 404, `no route ${req.params.id}`);

    const history = resolution === 'minute'
      ? await minuteHistory(models, req.params.id, from, to)
      : await rollupHistory(models, req.params.id, from, to, resolution);
    return { routeId: req.params.id, from: new Date(from).toISOString(), to: new Date(to).toISOString(), resolution, ...history };
  });
}

type HistoryModels = ApiV1Deps['models'];
/** How many units of `unitMs` one point covers so that [from, to) gives at most MAX_POINTS points. */
const unitsPerPoint = (from: number, to: number, unitMs: number) => Math.max(1, Math.ceil((to - from) / unitMs / MAX_POINTS));

async function minuteHistory(models: HistoryModels, routeId: string, from: number, to: number) {
  const start = Math.floor(from / MINUTE_MS) * MINUTE_MS;
  const widthMs = unitsPerPoint(start, to, MINUTE_MS) * MINUTE_MS;
  const hours: number[] = [];
  for (let h = Math.floor(start / HOUR_MS) * HOUR_MS; h < to; h += HOUR_MS) hours.push(h);
  // One _id read per hour (≤ 49): a query on routeId and hour would scan the collection on FerretDB 1.x.
  const docs = await Promise.all(hours.map((h) => models.RouteHealthSeries.findById(seriesId(routeId, h), { m: 1 }).lean()));
  const buckets = new Map<number, MinuteStats>();
  docs.forEach((doc, i) => {
    for (const [minute, stats] of Object.entries((doc?.m ?? {}) as Record<string, MinuteStats>)) {
      const at = hours[i]! + Number(minute) * MINUTE_MS;
      if (at < start || at >= to) continue;
      const bucket = start + Math.floor((at - start) / widthMs) * widthMs;
      if (!buckets.has(bucket)) buckets.set(bucket, emptyMinute());
      mergeMinute(buckets.get(bucket)!, stats);
    }
  });
  const points = [...buckets].sort(([a], [b]) => a - b).map(([at, m]) => minutePoint(at, m));
  return { bucketSec: widthMs / 1000, points };
}

async function rollupHistory(models: HistoryModels, routeId: string, from: number, to: number, resolution: 'hour' | 'day') {
  const unit = bucketMs(resolution);
  const start = bucketStart(from, resolution).getTime();
  const widthMs = unitsPerPoint(start, to, unit) * unit;
  const starts: number[] = [];
  for (let t = start; t < to; t += unit) starts.push(t);
  const docs: (HealthTotals | null)[] = [];
  for (let i = 0; i < starts.length; i += READ_CONCURRENCY) {
    const batch = starts.slice(i, i + READ_CONCURRENCY).map((t) => findRollup(models, rollupId(routeId, resolution, new Date(t))) as Promise<HealthTotals | null>);
    docs.push(...(await Promise.all(batch)));
  }
  const buckets = new Map<number, HealthTotals>();
  docs.forEach((doc, i) => {
    if (!doc) return;
    const bucket = start + Math.floor((starts[i]! - start) / widthMs) * widthMs;
    if (!buckets.has(bucket)) buckets.set(bucket, emptyTotals());
    addTotals(buckets.get(bucket)!, doc);
  });
  const points = [...buckets].sort(([a], [b]) => a - b).map(([at, t]) => rollupPoint(at, t));
  return { bucketSec: widthMs / 1000, points };
}

const mean = (sum: number, n: number) => (n > 0 ? sum / n : undefined);

function minutePoint(at: number, m: MinuteStats): Point {
  return {
    start: new Date(at).toISOString(),
    samples: m.n,
    statusCounts: { up: m.up, degraded: m.degraded, down: m.down, unknown: m.unknown },
    latencyMs: { min: m.latMin, avg: mean(m.latSum, m.latN), max: m.latMax },
    lossPct: { min: m.lossMin, avg: mean(m.lossSum, m.lossN), max: m.lossMax },
    score: { min: m.scoreMin, avg: mean(m.scoreSum, m.scoreN), max: m.scoreMax },
  };
}

function rollupPoint(at: number, t: HealthTotals): Point {
  return {
    start: new Date(at).toISOString(),
    samples: t.samples,
    statusCounts: { up: t.upSamples, degraded: t.degradedSamples, down: t.downSamples, unknown: t.unknownSamples },
    latencyMs: { avg: mean(t.latencySum, t.latencyCount), max: t.latencyMax },
    lossPct: { avg: mean(t.lossSum, t.lossCount), max: t.lossMax },
    // Every snapshot carries a score.
    score: { min: t.scoreMin, avg: mean(t.scoreSum, t.samples) },
  };
}
