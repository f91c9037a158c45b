import { BatchWriter } from '../../src/sweeper/batch-writer';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { useTestDatabase } from '../support/database';

useTestDatabase('batch_writer');
const logger = createLogger('silent');
const doc = (i: number) => ({ _id: `r${i}:0:down`, routeId: `r${i}`, at: new Date(), kind: 'down', from: 'suspect', to: 'down', cause: 'probe', consecutiveFailures: 3, status: 'down', score: 0 });

describe('BatchWriter', () => {
  beforeEach(() => models.RouteTransition.deleteMany({}));

  it('writes in batches and counts what it wrote', async () => {
    const w = new BatchWriter<{ _id: string }>('t', models.RouteTransition, logger, { maxBatch: 100 });
    for (let i = 0; i < 250; i++) w.add(doc(i));
    await w.flush();
    expect(w.stats()).toMatchObject({ written: 250, buffered: 0, failedFlushes: 0 });
    expect(await models.RouteTransition.countDocuments()).toBe(250);
  });

  it('keeps documents while the database refuses them and writes them once it answers', async () => {
    let refuse = 2;
    const target = {
      insertMany: (docs: object[], opts: { ordered: false; lean: true }) =>
        refuse-- > 0 ? Promise.reject(new Error('connection refused')) : models.RouteTransition.insertMany(docs, opts),
    };
    const w = new BatchWriter<{ _id: string }>('t', target, logger);
    for (let i = 0; i < 10; i++) w.add(doc(i));
    await w.flush();
    await w.flush();
    expect(w.stats()).toMatchObject({ written: 0, buffered: 10, failedFlushes: 2, lastError: 'connection refused' });
    await w.flush();
    expect(w.stats()).toMatchObject({ written: 10, buffered: 0 });
    expect(await models.RouteTransition.countDocuments()).toBe(10);
  });

  it('a batch retried after a hidden partial success writes nothing twice', async () => {
    await models.RouteTransition.insertMany([doc(1), doc(2)]);
    const w = new BatchWriter<{ _id: string }>('t', models.RouteTransition, logger);
    for (let i = 0; i < 5; i++) w.add(doc(i));
    await w.flush();
    expect(w.stats()).toMatchObject({ written: 3, buffered: 0 });
    expect(await models.RouteTransition.countDocuments()).toBe(5);
  });

  it('drops the oldest beyond maxBuffered, and says so', () => {
    const w = new BatchWriter<{ _id: string }>('t', { insertMany: () => Promise.reject(new Error('down')) }, logger, { maxBuffered: 5, maxBatch: 1000 });
    for (let i = 0; i < 8; i++) w.add(doc(i));
    expect(w.stats()).toMatchObject({ buffered: 5, dropped: 3 });
  });
});
