import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { FLEET_ROUTE_ID } from '../../src/models/route-health-rollup';
import { applyRetention } from '../../src/retention/apply-retention';
import { rollUp } from '../../src/retention/roll-up';
import { SeriesWriter } from '../../src/series/series-writer';
import { useTestDatabase } from '../support/database';

/**
 * Roll-up and retention over a fixed clock: snapshots 40 and 5 days old across routes,
 * rolled into hourly and daily rollups, then retention, which deletes expired raw snapshots
 * only where a rollup accounts for every one of them, and rollups only after a year.
 */
useTestDatabase('retention');

const NOW = new Date('2026-11-25T12:20:00.000Z');
const H40 = new Date('2026-10-16T12:00:00.000Z'); // 40 days before NOW, on the hour
const H5 = new Date('2026-11-20T12:00:00.000Z'); // 5 days before NOW
const hour = (start: Date, n: number) => new Date(start.getTime() + n * 3_600_000);

type Status = 'up' | 'degraded' | 'down';
/** `n` snapshots of a route one minute apart from `start` (+ `offsetSec`). */
function snapshots(routeId: string, start: Date, n: number, status: (i: number) => Status, latencyMs = 10, offsetSec = 0) {
  return Array.from({ length: n }, (_, i) => {
    const s = status(i);
    return {
      routeId,
      at: new Date(start.getTime() + offsetSec * 1000 + i * 60_000),
      status: s,
      score: { up: 100, degraded: 60, down: 0 }[s],
      confidence: 1,
      ...(s === 'down' ? { lossPct: 100 } : { latencyMs: s === 'up' ? latencyMs : 40, lossPct: s === 'up' ? 0 : 5 }),
    };
  });
}
// r1 in its 40-day-old hour: 50 up (10 ms, 0 %), 6 degraded (40 ms, 5 %), 4 down (100 %).
const r1Status = (i: number): Status => (i < 50 ? 'up' : i < 56 ? 'degraded' : 'down');
const rollups = () => models.RouteHealthRollup.find().sort({ _id: 1 }).lean();
const rawCount = (filter: Record<string, unknown> = {}) => models.RouteHealthSnapshot.countDocuments(filter);

beforeAll(async () => {
  const seeded = [
    ...snapshots('r1', H40, 60, r1Status),
    ...snapshots('r1', hour(H40, 1), 30, () => 'up'),
    ...snapshots('r2', H40, 30, () => 'up', 20),
    ...snapshots('r1', H5, 20, () => 'up', 15),
    ...snapshots('r2', H5, 10, () => 'down'),
  ];
  await models.RouteHealthSnapshot.insertMany(seeded);
  // Their per-minute series, as the sweeper writes them: r1 and r2 in three hours 40 days ago, two 5 days ago.
  const series = new SeriesWriter(models, createLogger('silent'));
  for (const s of seeded) series.add(s);
  await series.stop();
});
const seriesHours = async () => (await models.RouteHealthSeries.find({}, { _id: 1 }).lean()).map((d) => d._id).sort();

describe('roll-up', () => {
  it('rolls every closed hour with snapshots into per-route hourly rollups with exact sums, each hour marked complete', async () => {
    const result = await rollUp({ models, resolution: 'hour', now: NOW });
    // Hours with data (10-16 12:00 and 13:00, 11-20 12:00) and the last closed hour (11-25 11:00, empty).
    expect(result).toMatchObject({ resolution: 'hour', buckets: 4, rollups: 5, skipped: 0, scanned: 150, to: new Date('2026-11-25T12:00:00.000Z') });
    const r1 = await models.RouteHealthRollup.findById(`r1:hour:${H40.toISOString()}`).lean();
    expect(r1).toEqual({
      _id: 'r1:hour:2026-10-16T12:00:00.000Z',
      routeId: 'r1',
      resolution: 'hour',
      start: H40,
      samples: 60,
      upSamples: 50,
      degradedSamples: 6,
      downSamples: 4,
      unknownSamples: 0,
      latencySum: 740,
      latencyCount: 56,
      latencyMax: 40,
      lossSum: 430,
      lossCount: 60,
      lossMax: 100,
      scoreSum: 5360,
      scoreMin: 0,
    });
    expect(r1!.latencySum / r1!.latencyCount).toBeCloseTo(13.214, 3);
    const fleet = await models.RouteHealthRollup.findById(`${FLEET_ROUTE_ID}:hour:${H40.toISOString()}`).lean();
    expect(fleet).toMatchObject({ samples: 90, upSamples: 80, downSamples: 4, latencySum: 1340, latencyCount: 86 });
    const lastClosed = await models.RouteHealthRollup.findById(`${FLEET_ROUTE_ID}:hour:2026-11-25T11:00:00.000Z`).lean();
    expect(lastClosed).toMatchObject({ samples: 0 });
    expect(await models.RouteHealthRollup.countDocuments({ resolution: 'hour' })).toBe(9);
  });

  it('rolls complete days from the hourly rollups', async () => {
    const result = await rollUp({ models, resolution: 'day', now: NOW });
    expect(result).toMatchObject({ resolution: 'day', buckets: 3, rollups: 4, scanned: 5, to: new Date('2026-11-25T00:00:00.000Z') });
    const day = await models.RouteHealthRollup.findById('r1:day:2026-10-16T00:00:00.000Z').lean();
    expect(day).toMatchObject({ samples: 90, upSamples: 80, degradedSamples: 6, downSamples: 4, latencySum: 1040, latencyCount: 86, latencyMax: 40, scoreMin: 0 });
    expect(await models.RouteHealthRollup.findById('r2:day:2026-11-20T00:00:00.000Z').lean()).toMatchObject({ samples: 10, downSamples: 10, latencyCount: 0, lossSum: 1000 });
    expect(await models.RouteHealthRollup.countDocuments({ resolution: 'day' })).toBe(7);
  });

  it('is idempotent: a second run finds nothing, and hours rolled up again give the same documents', async () => {
    const before = await rollups();
    expect(await rollUp({ models, resolution: 'hour', now: NOW })).toMatchObject({ buckets: 0, rollups: 0, scanned: 0 });
    expect(await rollUp({ models, resolution: 'day', now: NOW })).toMatchObject({ buckets: 0, rollups: 0, scanned: 0 });
    // As if every run had stopped before marking its hours complete: all hours are recomputed.
    await models.RouteHealthRollup.deleteMany({ routeId: FLEET_ROUTE_ID, resolution: 'hour' });
    expect(await rollUp({ models, resolution: 'hour', now: NOW })).toMatchObject({ buckets: 4, rollups: 5, skipped: 0 });
    expect(await rollups()).toEqual(before);
  });
});

describe('retention', () => {
  it('deletes expired raw snapshots only where their hour is rolled up, and keeps every rollup', async () => {
    // After the roll-up: r3 in a rolled-up hour (no rollup of its own), one more r1 snapshot
    // in a rolled-up hour (its rollup no longer accounts for all), r2 in an hour never rolled up.
    await models.RouteHealthSnapshot.insertMany([
      ...snapshots('r3', H40, 5, () => 'up'),
      ...snapshots('r1', hour(H40, 1), 1, () => 'up', 10, 30),
      ...snapshots('r2', hour(H40, 3), 7, () => 'up'),
    ]);
    const rollupsBefore = await rollups();
    // At most 25 documents per deleteMany: the 90 deletable ones go in four calls, the three old series in one.
    expect(await seriesHours()).toHaveLength(5);
    const result = await applyRetention({ models, now: NOW, rawDays: 30, rollupDays: 365, maxDelete: 25 });
    expect(result).toMatchObject({
      deletes: 5,
      seriesDeleted: 3,
      rawCutoff: new Date('2026-10-26T12:00:00.000Z'),
      rollupCutoff: new Date('2025-11-25T00:00:00.000Z'),
      rawDeleted: 90,
      rawKept: 43,
      rollupsDeleted: 0,
    });
    expect(result.keptExamples.sort()).toEqual(['r1@2026-10-16T13:00:00.000Z', 'r2@2026-10-16T15:00:00.000Z', 'r3@2026-10-16T12:00:00.000Z']);
    expect(await rawCount()).toBe(73);
    expect(await rawCount({ at: { $gte: H5 } })).toBe(30);
    expect(await rawCount({ routeId: 'r1', at: { $gte: H40, $lt: hour(H40, 1) } })).toBe(0);
    expect(await rawCount({ routeId: 'r2', at: { $gte: H40, $lt: hour(H40, 1) } })).toBe(0);
    expect(await rawCount({ routeId: 'r3' })).toBe(5);
    expect(await rawCount({ routeId: 'r1', at: { $gte: hour(H40, 1), $lt: hour(H40, 2) } })).toBe(31);
    expect(await rawCount({ routeId: 'r2', at: { $gte: hour(H40, 3), $lt: hour(H40, 4) } })).toBe(7);
    expect(await rollups()).toEqual(rollupsBefore);
    expect(await seriesHours()).toEqual(['r1:2026-11-20T12:00:00.000Z', 'r2:2026-11-20T12:00:00.000Z']);
    // Run again: nothing more goes.
    expect(await applyRetention({ models, now: NOW })).toMatchObject({ rawDeleted: 0, rawKept: 43, rollupsDeleted: 0, seriesDeleted: 0 });
  });

  it('deletes rollups after twelve months, and then the raw snapshots they covered', async () => {
    const later = new Date(NOW.getTime() + 340 * 86_400_000); // the 40-day-old buckets are now 380 days old
    const result = await applyRetention({ models, now: later });
    expect(result).toMatchObject({ rollupCutoff: new Date('2026-10-31T00:00:00.000Z'), rawDeleted: 30, rawKept: 43, rollupsDeleted: 8, seriesDeleted: 2, deletes: 3 });
    expect(await seriesHours()).toEqual([]);
    const left = await rollups();
    expect(left.every((r) => r.start >= result.rollupCutoff)).toBe(true);
    expect(left.map((r) => r._id)).toEqual([
      '*:day:2026-11-20T00:00:00.000Z',
      '*:day:2026-11-24T00:00:00.000Z',
      '*:hour:2026-11-20T12:00:00.000Z',
      '*:hour:2026-11-25T11:00:00.000Z',
      'r1:day:2026-11-20T00:00:00.000Z',
      'r1:hour:2026-11-20T12:00:00.000Z',
      'r2:day:2026-11-20T00:00:00.000Z',
      'r2:hour:2026-11-20T12:00:00.000Z',
    ]);
    expect(await rawCount()).toBe(43);
  });
});
