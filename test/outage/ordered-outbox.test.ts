import { createLogger } from '../../src/logger';
import { OrderedOutbox } from '../../src/outage/ordered-outbox';
import { until } from '../support/until';

/**
 * The outbox's rules on its own (the real-stack check, a Temporal server crashed and
 * restarted, is in test/chaos/temporal-restart.test.ts): order kept through failures,
 * failures that retrying cannot fix dropped, the bound, and what stop() gives up.
 */
class Unavailable extends Error {}

function outbox(opts: { maxHeldPerKey?: number } = {}) {
  const sent: [string, number[]][] = [];
  const state = { up: false, refuse: new Set<number>() };
  const box = new OrderedOutbox<number>({
    name: 'test',
    send: (key, items) => {
      if (items.some((i) => state.refuse.has(i))) return Promise.reject(new Error('refused'));
      if (!state.up) return Promise.reject(new Unavailable('server away'));
      sent.push([key, items]);
      return Promise.resolve();
    },
    retryable: (err) => err instanceof Unavailable,
    logger: createLogger('silent'),
    gatherMs: 10,
    maxBatch: 3,
    maxHeldPerKey: opts.maxHeldPerKey ?? 100,
    retryMaxMs: 50,
  });
  return { box, sent, state };
}

it('holds items while sends fail and delivers them in order, in batches, once they work', async () => {
  const { box, sent, state } = outbox();
  for (const i of [1, 2]) box.add('a', i);
  box.add('b', 10);
  await new Promise((r) => setTimeout(r, 100));
  for (const i of [3, 4, 5]) box.add('a', i);
  expect(box.held).toBe(6);
  state.up = true;
  await until('delivered', () => box.held === 0, 5_000);
  expect(sent.filter(([k]) => k === 'a').map(([, items]) => items)).toEqual([
    [1, 2, 3],
    [4, 5],
  ]);
  expect(sent.filter(([k]) => k === 'b').flatMap(([, items]) => items)).toEqual([10]);
  await box.stop();
});

it('drops a batch the server refuses and goes on with the next', async () => {
  const { box, sent, state } = outbox();
  state.up = true;
  state.refuse.add(1);
  box.add('a', 1);
  await until('refused batch dropped', () => box.held === 0, 5_000);
  box.add('a', 2);
  await until('next delivered', () => sent.length === 1, 5_000);
  expect(sent).toEqual([['a', [2]]]);
  await box.stop();
});

it('beyond maxHeldPerKey drops the oldest waiting items, never the batch being sent', async () => {
  const { box, sent, state } = outbox({ maxHeldPerKey: 5 });
  for (const i of [1, 2, 3]) box.add('a', i);
  await new Promise((r) => setTimeout(r, 50)); // [1, 2, 3] is the batch being retried
  for (const i of [4, 5, 6, 7, 8]) box.add('a', i);
  expect(box.held).toBe(5);
  state.up = true;
  await until('delivered', () => box.held === 0, 5_000);
  expect(sent.flatMap(([, items]) => items)).toEqual([1, 2, 3, 7, 8]);
  await box.stop();
});

it('stop() waits a little, then gives up on what the server never took', async () => {
  const { box } = outbox();
  box.add('a', 1);
  const started = Date.now();
  await box.stop(200);
  expect(Date.now() - started).toBeLessThan(1_000);
  expect(box.held).toBe(0);
  box.add('a', 2); // after stop: ignored
  expect(box.held).toBe(0);
});
