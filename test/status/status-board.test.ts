import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { loadStatusBoard, StatusBoardWriter, type RouteStatusEntry } from '../../src/status/status-board';
import { useTestDatabase } from '../support/database';

const db = useTestDatabase('status_board');
beforeEach(() => db.clear());
const logger = createLogger('silent');
const entry = (routeId: string, status: RouteStatusEntry['status'], over: Partial<RouteStatusEntry> = {}): RouteStatusEntry => ({
  routeId,
  at: '2026-11-25T10:00:00.000Z',
  status,
  score: status === 'up' ? 99 : 0,
  ...(status === 'up' ? { latencyMs: 11.5, lossPct: 0, jitterMs: 0.4 } : { lossPct: 100 }),
  taxonomy: status === 'down' ? ['link_down'] : [],
  ...over,
});

describe('status board', () => {
  it('keeps the latest entry of every route of every shard, route ids with dots included, absent measurements absent', async () => {
    const a = new StatusBoardWriter(models, 0, logger);
    const b = new StatusBoardWriter(models, 1, logger);
    a.set(entry('edge.fra-1', 'up'));
    a.set(entry('edge.fra-1', 'down', { at: '2026-11-25T10:00:05.000Z' }));
    a.set(entry('r2', 'up'));
    b.set(entry('r3', 'degraded', { score: 60 }));
    await Promise.all([a.flush(), b.flush()]);
    const board = await loadStatusBoard(models);
    expect([...board.keys()].sort()).toEqual(['edge.fra-1', 'r2', 'r3']);
    expect(board.get('edge.fra-1')).toEqual({ routeId: 'edge.fra-1', at: '2026-11-25T10:00:05.000Z', status: 'down', score: 0, lossPct: 100, taxonomy: ['link_down'] });
    expect(board.get('r3')).toMatchObject({ status: 'degraded', score: 60 });
  });

  it('writes only what changed, and forgets routes that left the shard', async () => {
    const w = new StatusBoardWriter(models, 0, logger);
    w.set(entry('r1', 'up'));
    w.set(entry('r2', 'up'));
    await w.flush();
    w.set(entry('r2', 'down'));
    w.forget(['r1']);
    await w.flush();
    const board = await loadStatusBoard(models);
    expect([...board.keys()]).toEqual(['r2']);
    expect(board.get('r2')!.status).toBe('down');
  });

  it('keeps what a failed write carried for the next flush, unless newer entries came meanwhile', async () => {
    let fail = true;
    const collection = models.RouteStatusBoard.collection;
    const flaky = {
      RouteStatusBoard: {
        collection: { updateOne: ((...args: Parameters<typeof collection.updateOne>) => (fail ? Promise.reject(new Error('db away')) : collection.updateOne(...args))) as typeof collection.updateOne },
      },
    } as unknown as Pick<typeof models, 'RouteStatusBoard'>;
    const w = new StatusBoardWriter(flaky, 0, logger);
    w.set(entry('r1', 'up'));
    w.set(entry('r2', 'up'));
    await w.flush();
    fail = false;
    w.set(entry('r2', 'down'));
    await w.flush();
    const board = await loadStatusBoard(models);
    expect([board.get('r1')?.status, board.get('r2')?.status]).toEqual(['up', 'down']);
  });
});
