import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { seriesId, type MinuteStats } from '../../src/models/route-health-series';
import { addSample, emptyMinute, type SeriesSample } from '../../src/series/minute-stats';
import { SeriesWriter } from '../../src/series/series-writer';
import { useTestDatabase } from '../support/database';

const db = useTestDatabase('series');
beforeEach(() => db.clear());
const logger = createLogger('silent');

// 10:58:00 to 11:02:00 UTC: two hours, five minutes.
const t0 = Date.parse('2026-11-24T10:58:00.000Z');
function samples(routeId: string, count: number): SeriesSample[] {
  return Array.from({ length: count }, (_, i) => {
    const down = i % 17 === 5;
    return {
      routeId,
      at: new Date(t0 + i * 1000),
      status: down ? 'down' : i % 11 === 3 ? 'degraded' : 'up',
      score: down ? 0 : 80 + (i % 20),
      ...(down ? {} : { latencyMs: 10 + ((i * 37) % 50) / 10 }),
      lossPct: down ? 100 : i % 7,
    };
  });
}

/** The expected stats of each stored minute, summed in memory. */
function expected(all: SeriesSample[]): Map<string, MinuteStats> {
  const out = new Map<string, MinuteStats>();
  for (const s of all) {
    const at = s.at.getTime();
    const key = `${seriesId(s.routeId, at)}/${Math.floor((at % 3_600_000) / 60_000)}`;
    if (!out.has(key)) out.set(key, emptyMinute());
    addSample(out.get(key)!, s);
  }
  return out;
}

async function stored(): Promise<Map<string, MinuteStats>> {
  const out = new Map<string, MinuteStats>();
  for (const doc of await models.RouteHealthSeries.find().lean()) for (const [minute, m] of Object.entries(doc.m as Record<string, MinuteStats>)) out.set(`${doc._id}/${minute}`, m);
  return out;
}

const close = (a: Map<string, MinuteStats>, b: Map<string, MinuteStats>) => {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [k, m] of a) {
    const s = b.get(k)!;
    for (const [field, v] of Object.entries(m)) expect([k, field, s[field as keyof MinuteStats]]).toEqual([k, field, field.endsWith('Sum') ? expect.closeTo(v as number, 6) : v]);
  }
};

describe('SeriesWriter', () => {
  it('stores per-minute sums, counts and extremes in one document per route and UTC hour', async () => {
    const all = [...samples('r1', 240), ...samples('r2', 90)];
    const writer = new SeriesWriter(models, logger);
    for (const s of all) writer.add(s);
    await writer.flush();
    expect(writer.stats()).toMatchObject({ writes: 3, failedWrites: 0, pending: 0 });
    const ids = (await models.RouteHealthSeries.find({}, { _id: 1 }).lean()).map((d) => d._id).sort();
    expect(ids).toEqual(['r1:2026-11-24T10:00:00.000Z', 'r1:2026-11-24T11:00:00.000Z', 'r2:2026-11-24T10:00:00.000Z']);
    const doc = await models.RouteHealthSeries.findById('r1:2026-11-24T11:00:00.000Z').lean();
    expect(doc!.hour.toISOString()).toBe('2026-11-24T11:00:00.000Z');
    close(expected(all), await stored());
  });

  it('adds up: two writers with interleaved parts of the same minutes, flushed at different times, store what one would', async () => {
    const all = samples('r1', 300);
    const a = new SeriesWriter(models, logger);
    const b = new SeriesWriter(models, logger);
    for (const [i, s] of all.entries()) {
      (i % 3 === 0 ? a : b).add(s);
      if (i === 100) await a.flush();
      if (i === 200) await b.flush();
    }
    // One after the other: FerretDB 1.x has no atomic update, so two updates of one document
    // at the same instant can lose one (this test saw it); one process never does that.
    await a.flush();
    await b.flush();
    close(expected(all), await stored());
  });

  it('keeps the sums of a failed write and adds them with what came meanwhile on the next flush', async () => {
    let failures = 1;
    const collection = models.RouteHealthSeries.collection;
    const flaky = {
      RouteHealthSeries: {
        collection: {
          updateOne: ((...args: Parameters<typeof collection.updateOne>) =>
            failures-- > 0 ? Promise.reject(new Error('connection reset')) : collection.updateOne(...args)) as typeof collection.updateOne,
        },
      },
    } as unknown as Pick<typeof models, 'RouteHealthSeries'>;
    const writer = new SeriesWriter(flaky, logger);
    const all = samples('r1', 100); // 10:58:00-10:59:39, one document
    for (const s of all.slice(0, 60)) writer.add(s);
    await writer.flush();
    expect(writer.stats()).toMatchObject({ writes: 0, failedWrites: 1, pending: 1, lastError: 'connection reset' });
    expect(await models.RouteHealthSeries.countDocuments()).toBe(0);
    for (const s of all.slice(60)) writer.add(s);
    await writer.stop();
    // The failed write again, unchanged, then what came meanwhile.
    expect(writer.stats()).toMatchObject({ writes: 2, pending: 0 });
    close(expected(all), await stored());
  });

  it('does not add again a write the database applied before its reply was lost (FerretDB killed mid-write)', async () => {
    let lostReplies = 1;
    const collection = models.RouteHealthSeries.collection;
    const dying = {
      RouteHealthSeries: {
        collection: {
          updateOne: (async (...args: Parameters<typeof collection.updateOne>) => {
            const result = await collection.updateOne(...args);
            if (lostReplies-- > 0) throw new Error('connection closed');
            return result;
          }) as typeof collection.updateOne,
          countDocuments: collection.countDocuments.bind(collection),
        },
      },
    } as unknown as Pick<typeof models, 'RouteHealthSeries'>;
    const writer = new SeriesWriter(dying, logger);
    const all = samples('r1', 100);
    for (const s of all.slice(0, 60)) writer.add(s);
    await writer.flush();
    expect(writer.stats()).toMatchObject({ writes: 0, failedWrites: 1, pending: 1 });
    for (const s of all.slice(60)) writer.add(s);
    await writer.flush();
    expect(writer.stats()).toMatchObject({ writes: 2, failedWrites: 1, pending: 0 });
    close(expected(all), await stored());
  });

  it('retries a write that lost the race to insert a new document to another writer', async () => {
    const all = samples('r1', 100);
    const b = new SeriesWriter(models, logger);
    all.forEach((s, i) => i % 2 || b.add(s));
    // b inserts the document while a's upsert, which found none, is about to insert it too.
    const collection = models.RouteHealthSeries.collection;
    let raced = false;
    const late = {
      RouteHealthSeries: {
        collection: {
          updateOne: (async (...args: Parameters<typeof collection.updateOne>) => {
            if (!raced) {
              raced = true;
              await b.flush();
              const err = Object.assign(new Error('E11000 duplicate key error'), { code: 11000 });
              throw err;
            }
            return collection.updateOne(...args);
          }) as typeof collection.updateOne,
          countDocuments: collection.countDocuments.bind(collection),
        },
      },
    } as unknown as Pick<typeof models, 'RouteHealthSeries'>;
    const racing = new SeriesWriter(late, logger);
    all.forEach((s, i) => i % 2 && racing.add(s));
    await racing.flush();
    expect(racing.stats()).toMatchObject({ writes: 0, failedWrites: 1, pending: 1 });
    await racing.flush();
    expect(racing.stats()).toMatchObject({ writes: 1, pending: 0 });
    close(expected(all), await stored());
  });
});
