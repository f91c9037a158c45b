import { models } from '../../../src/models';
import { seriesId } from '../../../src/models/route-health-series';
import { rollupDoc } from '../../../src/retention/rollup-store';
import { addSample as addToTotals, emptyTotals } from '../../../src/retention/health-totals';
import { addSample, emptyMinute, seriesUpdate } from '../../../src/series/minute-stats';
import { StatusBoardWriter } from '../../../src/status/status-board';
import { snapshotDatabase, useTestDatabase } from '../../support/database';
import { logger, startApiRig, type ApiRig } from './api-harness';

useTestDatabase('api_status');
let rig: ApiRig;
const measuredAt = '2030-03-01T12:00:00.000Z';
beforeAll(async () => {
  rig = await startApiRig();
  const board = new StatusBoardWriter(models, 0, logger);
  board.set({ routeId: 'r1', at: measuredAt, status: 'down', score: 10, lossPct: 100, taxonomy: ['link_down'], lastHealthyAt: '2030-03-01T11:58:00.000Z' });
  await board.flush();
});

describe('GET /api/v1/status', () => {
  it('lists every route with its latest status, names and counts; unmeasured routes are unknown', async () => {
    const res = await rig.call('GET', '/api/v1/status');
    expect(res.statusCode).toBe(200);
    const body = res.json<{ counts: Record<string, number>; routes: Record<string, unknown>[] }>();
    expect(body.counts).toEqual({ up: 0, degraded: 0, down: 1, unknown: 1 });
    expect(body.routes).toEqual([
      { routeId: 'r1', name: 'Route one', team: 'core-net', environment: 'lab', at: measuredAt, status: 'down', score: 10, lossPct: 100, taxonomy: ['link_down'], lastHealthyAt: '2030-03-01T11:58:00.000Z' },
      { routeId: 'r2', name: 'Route two', team: 'core-net', environment: 'lab', status: 'unknown', score: 0, taxonomy: [] },
    ]);
    const down = (await rig.call('GET', '/api/v1/status?status=down')).json<{ counts: Record<string, number>; routes: { routeId: string }[] }>();
    expect(down.routes.map((r) => r.routeId)).toEqual(['r1']);
    expect(down.counts.unknown).toBe(1);
  });

  it('one route', async () => {
    const res = await rig.call('GET', '/api/v1/routes/r1/status');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ routeId: 'r1', status: 'down', name: 'Route one' });
  });
});

const HOUR = 3_600_000;
const now = Date.parse('2030-03-01T12:00:00Z');

describe('GET /api/v1/routes/:id/history', () => {
  beforeAll(async () => {
    // Two hours of per-minute data for r1: up with 10 ms, then degraded with 80 ms.
    for (const hourStart of [now - 2 * HOUR, now - HOUR]) {
      const minutes = new Map<number, ReturnType<typeof emptyMinute>>();
      for (let minute = 0; minute < 60; minute++) {
        const m = emptyMinute();
        const degraded = hourStart === now - HOUR;
        addSample(m, { routeId: 'r1', at: new Date(hourStart + minute * 60_000), status: degraded ? 'degraded' : 'up', score: degraded ? 60 : 100, latencyMs: degraded ? 80 : 10, lossPct: 0 });
        minutes.set(minute, m);
      }
      await models.RouteHealthSeries.collection.updateOne({ _id: seriesId('r1', hourStart) as never }, seriesUpdate('r1', new Date(hourStart), minutes), { upsert: true });
    }
    // Hourly rollups over 3 days, daily ones over 90 days.
    const totals = emptyTotals();
    addToTotals(totals, { status: 'up', score: 100, latencyMs: 12, lossPct: 0 });
    addToTotals(totals, { status: 'down', score: 0 });
    const hours = Array.from({ length: 72 }, (_, i) => rollupDoc('r1', 'hour', new Date(now - (i + 1) * HOUR), totals));
    const days = Array.from({ length: 90 }, (_, i) => rollupDoc('r1', 'day', new Date(now - 12 * HOUR - (i + 1) * 24 * HOUR), totals));
    await models.RouteHealthRollup.insertMany([...hours, ...days]);
  });

  const history = (query: string) => rig.call('GET', `/api/v1/routes/r1/history?${query}`);
  type History = { resolution: string; bucketSec: number; points: { start: string; samples: number; statusCounts: Record<string, number>; latencyMs: Record<string, number>; score: Record<string, number> }[] };

  it('reads the minute series up to 48 h, one point per minute when that stays under ~500', async () => {
    const res = await history(`from=${new Date(now - 2 * HOUR).toISOString()}&to=${new Date(now).toISOString()}`);
    expect(res.statusCode).toBe(200);
    const body = res.json<History>();
    expect(body.resolution).toBe('minute');
    expect(body.bucketSec).toBe(60);
    expect(body.points).toHaveLength(120);
    expect(body.points[0]).toEqual({ start: new Date(now - 2 * HOUR).toISOString(), samples: 1, statusCounts: { up: 1, degraded: 0, down: 0, unknown: 0 }, latencyMs: { min: 10, avg: 10, max: 10 }, lossPct: { min: 0, avg: 0, max: 0 }, score: { min: 100, avg: 100, max: 100 } });
  });

  it('widens minute buckets so that a 48 h range gives at most ~500 points', async () => {
    const body = (await history(`from=${new Date(now - 48 * HOUR).toISOString()}&to=${new Date(now).toISOString()}`)).json<History>();
    expect(body.resolution).toBe('minute');
    expect(body.bucketSec).toBe(360);
    // Each 6-minute bucket holds six minutes of one kind: two hours → 20 points.
    expect(body.points).toHaveLength(20);
    expect(body.points.at(-1)).toMatchObject({ samples: 6, statusCounts: { degraded: 6 }, latencyMs: { min: 80, avg: 80, max: 80 } });
  });

  it('reads hourly rollups beyond 48 h and daily ones beyond 60 days', async () => {
    const hourly = (await history(`from=${new Date(now - 72 * HOUR).toISOString()}&to=${new Date(now).toISOString()}`)).json<History>();
    expect(hourly).toMatchObject({ resolution: 'hour', bucketSec: 3600 });
    expect(hourly.points).toHaveLength(72);
    expect(hourly.points[0]).toEqual({ start: new Date(now - 72 * HOUR).toISOString(), samples: 2, statusCounts: { up: 1, degraded: 0, down: 1, unknown: 0 }, latencyMs: { avg: 12, max: 12 }, lossPct: { avg: 0, max: 0 }, score: { min: 0, avg: 50 } });
    const daily = (await history(`from=${new Date(now - 90 * 24 * HOUR).toISOString()}&to=${new Date(now).toISOString()}`)).json<History>();
    expect(daily).toMatchObject({ resolution: 'day', bucketSec: 86_400 });
    expect(daily.points.length).toBeGreaterThanOrEqual(89);
    const explicit = (await history(`from=${new Date(now - 72 * HOUR).toISOString()}&to=${new Date(now).toISOString()}&resolution=day`)).json<History>();
    expect(explicit.resolution).toBe('day');
  });
});

describe('refuses, and changes nothing', () => {
  const cases: [string, () => ReturnType<ApiRig['call']>, number, RegExp][] = [
    ['status without a token', () => rig.call('GET', '/api/v1/status', { as: null }), 401, /bearer token/],
    ['status with an unknown status filter', () => rig.call('GET', '/api/v1/status?status=sideways'), 400, /status/],
    ['status of an unknown route', () => rig.call('GET', '/api/v1/routes/nope/status'), 404, /no route nope/],
    ['history without a token', () => rig.call('GET', '/api/v1/routes/r1/history', { as: null }), 401, /bearer token/],
    ['history of an unknown route', () => rig.call('GET', '/api/v1/routes/nope/history'), 404, /no route nope/],
    ['history with a bad date', () => rig.call('GET', '/api/v1/routes/r1/history?from=yesterday'), 400, /from/],
    ['history backwards', () => rig.call('GET', '/api/v1/routes/r1/history?from=2030-03-02T00:00:00Z&to=2030-03-01T00:00:00Z'), 400, /from: must be before to/],
    ['history by minute over a week', () => rig.call('GET', '/api/v1/routes/r1/history?from=2030-03-01T00:00:00Z&to=2030-03-08T00:00:00Z&resolution=minute'), 400, /resolution: minute covers at most 2 days/],
    ['history over two years', () => rig.call('GET', '/api/v1/routes/r1/history?from=2028-03-01T00:00:00Z&to=2030-03-08T00:00:00Z'), 400, /366 days/],
  ];
  it.each(cases)('%s', async (_name, send, status, message) => {
    const before = await snapshotDatabase();
    const res = await send();
    expect(res.statusCode).toBe(status);
    const body = res.json<{ error: string; details?: string[] }>();
    expect([body.error, ...(body.details ?? [])].join('\n')).toMatch(message);
    expect(await snapshotDatabase()).toEqual(before);
  });
});
