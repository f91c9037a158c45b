import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { RECENT_SAMPLES_KEEP_MS } from '../../src/models/recent-health-sample';
import { RecentSampleWriter } from '../../src/series/recent-sample-writer';
import { useTestDatabase } from '../support/database';

const db = useTestDatabase('recent_samples');
beforeEach(() => db.clear());
const logger = createLogger('silent');
const now = Date.parse('2026-11-24T11:00:00.000Z');

describe('RecentSampleWriter', () => {
  it('writes the chart fields of every sample it is given', async () => {
    const writer = new RecentSampleWriter(models, logger, { now: () => now });
    writer.add({ routeId: 'r1', at: new Date(now - 2000), status: 'up', score: 97.5, latencyMs: 11.2, lossPct: 0 });
    writer.add({ routeId: 'r1', at: new Date(now - 1000), status: 'down', score: 0, lossPct: 100 });
    writer.add({ routeId: 'r2', at: new Date(now - 1000), status: 'unknown', score: 0 });
    await writer.flush();
    const docs = await models.RecentHealthSample.find({}, { _id: 0 }).sort({ routeId: 1, at: 1 }).lean();
    expect(docs.map((d) => [d.routeId, d.at.getTime(), d.status, d.score, d.latencyMs ?? null, d.lossPct ?? null])).toEqual([
      ['r1', now - 2000, 'up', 97.5, 11.2, 0],
      ['r1', now - 1000, 'down', 0, null, 100],
      ['r2', now - 1000, 'unknown', 0, null, null],
    ]);
    expect(writer.stats()).toMatchObject({ written: 3, buffered: 0 });
  });

  it('prunes the samples older than the keep time, and only those', async () => {
    const writer = new RecentSampleWriter(models, logger, { now: () => now });
    for (const ago of [RECENT_SAMPLES_KEEP_MS + 60_000, RECENT_SAMPLES_KEEP_MS + 1, RECENT_SAMPLES_KEEP_MS - 1000, 5000]) {
      writer.add({ routeId: 'r1', at: new Date(now - ago), status: 'up', score: 99 });
    }
    await writer.flush();
    await writer.prune();
    const left = (await models.RecentHealthSample.find({}, { at: 1 }).sort({ at: 1 }).lean()).map((d) => now - d.at.getTime());
    expect(left).toEqual([RECENT_SAMPLES_KEEP_MS - 1000, 5000]);
  });

  it('writes what is left when stopped', async () => {
    const writer = new RecentSampleWriter(models, logger, { now: () => now, flushEveryMs: 3_600_000, pruneEveryMs: 3_600_000 });
    writer.start();
    writer.add({ routeId: 'r1', at: new Date(now), status: 'up', score: 99 });
    await writer.stop();
    expect(await models.RecentHealthSample.countDocuments()).toBe(1);
  });
});
