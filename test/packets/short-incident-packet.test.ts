import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { MINUTE_MS, seriesId } from '../../src/models/route-health-series';
import type { SeriesPoint } from '../../src/packets/chart-series';
import { loadPacketData } from '../../src/packets/packet-data';
import { packetView, renderPacketHtml } from '../../src/packets/render-packet';
import { loadRunbooks, type RunbookLibrary } from '../../src/runbooks/load-runbooks';
import type { SeriesSample } from '../../src/series/minute-stats';
import { RecentSampleWriter } from '../../src/series/recent-sample-writer';
import { SeriesWriter } from '../../src/series/series-writer';
import { routeRecordDoc } from '../fixtures/route-records';
import { useTestDatabase } from '../support/database';

/**
 * The packet of a 23 s outage, made 5 s after it resolved (the demo's case): the sweeper
 * flushed its minute series 40 s before, so they hold nothing of the outage; the recent
 * samples (written every second) do.
 */

const db = useTestDatabase('short_packet');
const logger = createLogger('silent');
const ROUTE = 'edge-fra-1';
const minute = Math.floor((Date.now() - 86_400_000) / MINUTE_MS) * MINUTE_MS;
const detectedAt = minute + 20_000;
const resolvedAt = detectedAt + 23_000;
const now = resolvedAt + 5_000;
let runbooks: RunbookLibrary;

/** One sample a second from 8 min before the outage's minute to now; down (no latency, all lost) during the outage. */
function samples(): SeriesSample[] {
  const out: SeriesSample[] = [];
  for (let t = minute - 8 * MINUTE_MS, i = 0; t < now; t += 1000, i++) {
    const down = t >= detectedAt && t < resolvedAt;
    out.push(down ? { routeId: ROUTE, at: new Date(t), status: 'down', score: 0, lossPct: 100 } : { routeId: ROUTE, at: new Date(t), status: 'up', score: 95 + (i % 5), latencyMs: 10 + (i % 7), lossPct: 0 });
  }
  return out;
}

/** The points a window's buckets should hold, computed from the samples directly. */
function expectedPoints(all: SeriesSample[], field: 'score' | 'latencyMs' | 'lossPct', bucketOf: (t: number) => number | undefined): SeriesPoint[] {
  const buckets = new Map<number, number[]>();
  for (const s of all) {
    const b = bucketOf(s.at.getTime());
    const v = s[field];
    if (b === undefined || typeof v !== 'number') continue;
    buckets.set(b, [...(buckets.get(b) ?? []), v]);
  }
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return [...buckets]
    .sort(([a], [b]) => a - b)
    .map(([t, vs]) => ({ t, min: Math.min(...vs), avg: round(vs.reduce((a, b) => a + b, 0) / vs.length), max: Math.max(...vs), n: vs.length }));
}

/** The y of every vertex of a chart's lines. */
const lineYs = (svg: string) => [...svg.matchAll(/<polyline points="([^"]+)"/g)].flatMap((m) => m[1]!.split(' ').map((p) => Number(p.split(',')[1])));

async function seedIncident(): Promise<void> {
  await models.RouteRecord.insertMany([routeRecordDoc(ROUTE, { name: 'Frankfurt edge uplink' })]);
  await models.Incident.create({ _id: 'inc-23s', workflowId: `outage:${ROUTE}`, routes: [ROUTE], severity: 'critical', state: 'resolved', detectedAt: new Date(detectedAt), resolvedAt: new Date(resolvedAt), mttrSec: 23 });
}

beforeAll(async () => {
  runbooks = await loadRunbooks();
});

describe('the packet of a 23 s outage made right after it resolved, its minute series not flushed yet', () => {
  const all = samples();

  beforeAll(async () => {
    await db.clear();
    await seedIncident();
    // As the sweeper does: every sample into the minute series (flushed every 30 s; the last
    // flush 40 s before now) and into the recent samples (written every second).
    const series = new SeriesWriter(models, logger);
    const recent = new RecentSampleWriter(models, logger);
    let flushed = false;
    for (const s of all) {
      if (!flushed && s.at.getTime() >= now - 40_000) {
        await series.flush();
        flushed = true;
      }
      series.add(s);
      recent.add(s);
    }
    await recent.flush();
  });

  it('holds nothing of the outage in the minute series (the case this is about)', async () => {
    const doc = await models.RouteHealthSeries.findById(seriesId(ROUTE, minute)).lean();
    const stored = (doc?.m as Record<string, { n: number; down: number }> | undefined)?.[String((minute % 3_600_000) / MINUTE_MS)];
    expect(stored).toMatchObject({ n: 8, down: 0 }); // :00 to :07 of the outage's minute, flushed at :08
  });

  it('charts a window fitted to the incident, its last minutes in 5 s buckets from the recent samples', async () => {
    const data = (await loadPacketData({ models, runbooks, now: () => new Date(now) }, 'inc-23s'))!;
    const charts = data.charts;
    // Detection - 5 min (floored to its minute) to now (the window would end 5 min after resolution, which has not come).
    expect([charts.from, charts.to, charts.bucketMs]).toEqual([minute - 5 * MINUTE_MS, minute + MINUTE_MS, MINUTE_MS]);
    // From the minute of now - 2 min (what a 30 s flush may not have written) to the end, which holds the whole outage.
    expect(charts.raw).toEqual({ from: minute - 2 * MINUTE_MS, to: minute + MINUTE_MS, bucketMs: 5_000 });
    expect(charts.source).toBe('minute series and recent samples');
    expect(charts.cacheable).toBe(false);

    // Every point is what the samples say: minutes before the raw part, 5 s buckets in it, each sample once.
    const bucketOf = (t: number) =>
      t < charts.from || t >= charts.to ? undefined : t < charts.raw!.from ? Math.floor(t / MINUTE_MS) * MINUTE_MS : Math.floor(t / 5_000) * 5_000;
    const [route] = charts.routes;
    expect(route!.score).toEqual(expectedPoints(all, 'score', bucketOf));
    expect(route!.loss).toEqual(expectedPoints(all, 'lossPct', bucketOf));
    expect(route!.latency).toEqual(expectedPoints(all, 'latencyMs', bucketOf));
    expect(route!.samples).toBe(all.filter((s) => s.at.getTime() >= charts.from).length);

    // The outage itself: four 5 s buckets wholly inside it, score 0 and 100 % loss, and no latency.
    const inOutage = (p: SeriesPoint) => p.t >= detectedAt && p.t + 5_000 <= resolvedAt;
    expect(route!.score.filter(inOutage).map((p) => [p.max, p.n])).toEqual([[0, 5], [0, 5], [0, 5], [0, 5]]);
    expect(route!.loss.filter(inOutage).map((p) => p.min)).toEqual([100, 100, 100, 100]);
    expect(route!.latency.filter(inOutage)).toEqual([]);
  });

  it('draws the outage in the SVG charts: the score line at 0, the loss line at 100 %, a break in the latency line', async () => {
    const data = (await loadPacketData({ models, runbooks, now: () => new Date(now) }, 'inc-23s'))!;
    const [view] = packetView(data).charts;
    const bottom = 22 + 124; // the plot's top margin and height: y of 0
    expect(lineYs(view!.scoreSvg).filter((y) => y === bottom).length).toBeGreaterThanOrEqual(4);
    expect(lineYs(view!.lossSvg).filter((y) => y === 22).length).toBeGreaterThanOrEqual(4); // 100 % is the top of its axis
    expect(view!.latencySvg.match(/<polyline/g)).toHaveLength(2); // before and after the outage
    const html = renderPacketHtml(data);
    expect(html).not.toContain('no measurements in this window');
    expect(html).toContain('each point is one bucket of 1m 00s; 5s from');
  });
});

describe('a route whose recent samples are missing (a sweeper without them)', () => {
  beforeAll(async () => {
    await db.clear();
    await seedIncident();
    const series = new SeriesWriter(models, logger);
    for (const s of samples()) series.add(s);
    await series.flush();
  });

  it('keeps its minute series in the raw part', async () => {
    const data = (await loadPacketData({ models, runbooks, now: () => new Date(now) }, 'inc-23s'))!;
    const [route] = data.charts.routes;
    expect(data.charts.raw).toBeDefined();
    const outageMinute = route!.score.find((p) => p.t === minute)!;
    expect(outageMinute).toMatchObject({ min: 0, n: 48 }); // :00 to :47, the outage's 23 among them
    expect(route!.samples).toBe(6 * 60 - 12); // 5 min before the outage's minute and its 48 s
  });
});
